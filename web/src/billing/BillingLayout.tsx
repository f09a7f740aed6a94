import { useQuery } from '@tanstack/react-query';
import { createContext, type ReactNode, useContext, useEffect, useRef, useState } from 'react';
import { NavLink, Outlet, useLocation, useSearchParams } from 'react-router';
import type { BillingCustomer } from '../api/client';
import { queries } from '../api/queries';
import { useSignedIn } from '../api/session';
import { Alert, Badge, Button, Card, CardIcon, EmptyState, Loading, Page } from '../ui';
import { BuyPlan, BuyPlanButton } from './BuyPlanDialog';
import { CheckoutWatch, type WatchedCheckout } from './CheckoutWatch';
import { CustomerModal } from './CustomerModal';
import './billing.css';

/** The sections of the Billing area, each at its own address, in the order the section navigation shows them. */
export const billingSections = [
  { path: '/billing', label: 'Overview' },
  { path: '/billing/plans', label: 'Plans' },
  { path: '/billing/payment-methods', label: 'Payment methods' },
  { path: '/billing/invoices', label: 'Invoices' },
  { path: '/billing/statements', label: 'Statements' },
  { path: '/billing/payment-links', label: 'Payment links' },
] as const;

export type BillingSectionPath = (typeof billingSections)[number]['path'];

/** What every section is given by the Billing area's frame: the customer it is of, and who may act. */
export interface Billing {
  organizationId: string;
  customer: BillingCustomer;
  /** Owners and super admins act; admins read. */
  canAct: boolean;
  /** Says something once, above the section (a plan changed, a checkout opened). */
  notify: (message: string) => void;
  /** Opens the billing details' form. */
  editCustomer: () => void;
}

const BillingContext = createContext<Billing | undefined>(undefined);

/** The frame's billing customer and permissions, inside a section of the Billing area. */
export function useBilling(): Billing {
  const billing = useContext(BillingContext);
  if (!billing) throw new Error('useBilling is used outside the Billing area');
  return billing;
}

/**
 * The Billing area's frame (C8–C11), one for all its sections: the layout route the six are nested in
 * (routes.ts), so it stays mounted while the person moves from tab to tab, and with it what it watches
 * (a checkout being paid in another tab, one the gateway sent the person back from). It holds the
 * title, what happened, the section navigation, and the billing details' form. Without a billing
 * customer, every section is its first step instead, since each of them is the customer's.
 */
export function BillingLayout() {
  const { organization, permissions } = useSignedIn();
  const customer = useQuery(queries.billingCustomer(organization.id));
  const [editing, setEditing] = useState(false);
  const location = useLocation();
  // Said once, on the section it was said on: a page that sent us here with news (Modify plan), or a
  // section's own (a plan changed). The checkout's news stays from tab to tab.
  const [notice, setNotice] = useState<{ message: string; on: string } | undefined>();
  const sentNotice = (location.state as { notice?: string } | null)?.notice;
  useEffect(() => {
    if (sentNotice) setNotice({ message: sentNotice, on: location.pathname });
  }, [sentNotice, location.pathname]);
  const notify = (message: string) => setNotice({ message, on: location.pathname });
  const shownNotice = notice?.on === location.pathname ? notice.message : undefined;
  // The checkout waited on: one the Buy plan dialog opened, paid in another tab, or one the gateway
  // sent the person back from (`?checkout=...`, and `&cancelled=1` when they cancelled there; the
  // address drops both). Gateways return to the Overview; the frame listens on every section.
  const [watched, setWatched] = useState<WatchedCheckout | undefined>();
  const [params, setParams] = useSearchParams();
  const returnedFrom = params.get('checkout');
  const returnCancelled = params.get('cancelled') === '1';
  useEffect(() => {
    if (returnedFrom === null) return;
    setWatched({ id: returnedFrom, cancelled: returnCancelled });
    setParams({}, { replace: true });
  }, [returnedFrom, returnCancelled, setParams]);
  const canAct = permissions.manage;
  const current = billingSections.find((s) => s.path === location.pathname);

  let body: ReactNode;
  if (customer.isPending) body = <Loading />;
  else if (customer.error) body = <Alert>{customer.error.message}</Alert>;
  else if (!customer.data) {
    body = (
      <Card>
        <EmptyState
          icon={<CardIcon />}
          title="No billing customer yet"
          actions={
            canAct ? (
              <Button variant="primary" onClick={() => setEditing(true)}>
                Create billing customer
              </Button>
            ) : undefined
          }
        >
          A billing customer holds who is billed for {organization.name}: name, address, currency and time
          zone.
          {canAct ? ' Create it to see the plans you can choose.' : ' Ask an owner to create it.'}
        </EmptyState>
      </Card>
    );
  } else {
    body = (
      <>
        <BillingSectionNav />
        <BillingContext.Provider
          value={{
            organizationId: organization.id,
            customer: customer.data,
            canAct,
            notify,
            editCustomer: () => setEditing(true),
          }}
        >
          <Outlet />
        </BillingContext.Provider>
      </>
    );
  }

  return (
    <Page
      title="Billing"
      documentTitle={current && current.path !== '/billing' ? `${current.label} · Billing` : 'Billing'}
      description="Your subscription, invoices, plans and payment methods."
      actions={
        !canAct ? (
          <Badge>Read-only for your role</Badge>
        ) : customer.data ? (
          <BuyPlanButton organizationId={organization.id} />
        ) : undefined
      }
    >
      {shownNotice ? <Alert tone="success">{shownNotice}</Alert> : null}
      {watched ? (
        <CheckoutWatch
          key={watched.id}
          organizationId={organization.id}
          checkout={watched}
          onDismiss={() => setWatched(undefined)}
        />
      ) : null}
      <BuyPlan onCheckoutOpened={setWatched} />
      {body}
      {editing ? (
        <CustomerModal
          customer={customer.data ?? undefined}
          organizationCountry={organization.country}
          onClose={() => setEditing(false)}
          onSaved={() => {
            notify(
              customer.data
                ? 'Billing details updated.'
                : 'Billing customer created. Choose a plan under Plans.',
            );
            setEditing(false);
          }}
        />
      ) : null}
    </Page>
  );
}

/**
 * The sections as a row of links, the current one marked for assistive technology (aria-current,
 * which NavLink sets) and to the eye. On a phone the row scrolls sideways, the current one in view.
 */
function BillingSectionNav() {
  const list = useRef<HTMLUListElement>(null);
  const { pathname } = useLocation();
  // The frame stays from tab to tab: the row follows each section opened.
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs again as the section changes
  useEffect(() => {
    const scroller = list.current;
    const currentLink = scroller?.querySelector<HTMLElement>('[aria-current="page"]');
    if (!scroller || !currentLink) return;
    // Scrolls the row only, never the page.
    const overflow = currentLink.offsetLeft + currentLink.offsetWidth - scroller.clientWidth;
    scroller.scrollLeft = Math.max(0, Math.min(currentLink.offsetLeft - 16, overflow + 16));
  }, [pathname]);
  return (
    <nav className="billing-sections" aria-label="Billing sections">
      <ul ref={list}>
        {billingSections.map(({ path, label }) => (
          <li key={path}>
            <NavLink to={path} end className="billing-section-link">
              {label}
            </NavLink>
          </li>
        ))}
      </ul>
    </nav>
  );
}
