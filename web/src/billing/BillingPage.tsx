import { useQuery } from '@tanstack/react-query';
import { type ReactNode, useEffect, useState } from 'react';
import { Link, useLocation, useSearchParams } from 'react-router';
import { api, type BillingCustomer, type CheckoutSession, type PaymentMethod } from '../api/client';
import { useSubmit } from '../api/forms';
import { queries } from '../api/queries';
import { useSignedIn } from '../api/session';
import { countryName } from '../shared/countries';
import { formatAmount } from '../shared/money';
import {
  Alert,
  Badge,
  Button,
  buttonClass,
  Card,
  CardIcon,
  ConfirmDialog,
  EmptyState,
  Loading,
  Page,
} from '../ui';
import { BuyPlan, BuyPlanButton } from './BuyPlanDialog';
import { CustomerModal } from './CustomerModal';
import { Invoices } from './Invoices';
import { PaymentLinks } from './PaymentLinks';
import { PlanCard } from './PlanCard';
import { Statements } from './Statements';
import { SubscriptionOverview } from './SubscriptionOverview';
import { useCheckout } from './useCheckout';
import './billing.css';

const gatewayLabel: Record<string, string> = { stripe: 'Stripe', cashfree: 'Cashfree', test: 'Test gateway' };

/** How often a checkout still open is asked about again, while the page waits for its payment. */
const CHECKOUT_POLL_MS = 3_000;

/**
 * Billing (C8–C11): without a billing customer, the first step; with one, its details, the plans this
 * organization may choose with the current one marked, and the saved payment methods. Owners and
 * super admins act; admins read.
 */
export function BillingPage() {
  const { organization, permissions } = useSignedIn();
  const customer = useQuery(queries.billingCustomer(organization.id));
  const [editing, setEditing] = useState(false);
  // A page that sent us here with news (Modify plan) says it once.
  const location = useLocation();
  const [notice, setNotice] = useState<string | undefined>(
    (location.state as { notice?: string } | null)?.notice,
  );
  const saveCard = useCheckout();
  const canAct = permissions.manage;
  const checkout = useCheckoutReturn(organization.id);

  const modal = editing ? (
    <CustomerModal
      customer={customer.data ?? undefined}
      organizationCountry={organization.country}
      onClose={() => setEditing(false)}
      onSaved={() => {
        setNotice(
          customer.data ? 'Billing details updated.' : 'Billing customer created. Choose a plan below.',
        );
        setEditing(false);
      }}
    />
  ) : null;

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
        <SubscriptionOverview
          organizationId={organization.id}
          canAct={canAct}
          onChanged={setNotice}
          onSaveCard={() => saveCard.start(undefined)}
        />
        {saveCard.error ? <Alert>{saveCard.error}</Alert> : null}
        <CustomerDetails customer={customer.data} canAct={canAct} onEdit={() => setEditing(true)} />
        <Plans
          organizationId={organization.id}
          currency={customer.data.currency}
          canAct={canAct}
          onNotice={setNotice}
        />
        <PaymentMethods organizationId={organization.id} canAct={canAct} />
        <Invoices organizationId={organization.id} />
        <Statements organizationId={organization.id} />
        <PaymentLinks organizationId={organization.id} currency={customer.data.currency} canAct={canAct} />
      </>
    );
  }

  return (
    <Page
      title="Billing"
      description="Your subscription, invoices, plans and payment methods."
      actions={canAct ? <BuyPlanButton /> : <Badge>Read-only for your role</Badge>}
    >
      {(notice ?? checkout.notice) ? <Alert tone="success">{notice ?? checkout.notice}</Alert> : null}
      {checkout.problem ? <Alert tone="warning">{checkout.problem}</Alert> : null}
      <BuyPlan />
      {body}
      {modal}
    </Page>
  );
}

function CustomerDetails({
  customer,
  canAct,
  onEdit,
}: {
  customer: BillingCustomer;
  canAct: boolean;
  onEdit: () => void;
}) {
  const address = [
    customer.address_line1,
    customer.address_line2,
    [customer.city, [customer.state, customer.postal_code].filter(Boolean).join(' ')]
      .filter(Boolean)
      .join(', '),
    countryName(customer.country),
  ].filter(Boolean);
  return (
    <Card
      title="Billing details"
      description={`Paid through ${gatewayLabel[customer.gateway] ?? customer.gateway}, in ${customer.currency}.`}
      actions={canAct ? <Button onClick={onEdit}>Update customer details</Button> : undefined}
    >
      <dl className="billing-details">
        <div>
          <dt>Billed to</dt>
          <dd>{customer.name}</dd>
        </div>
        <div>
          <dt>Email</dt>
          <dd>{customer.email}</dd>
        </div>
        <div>
          <dt>Address</dt>
          <dd>
            {address.map((line) => (
              <div key={line}>{line}</div>
            ))}
          </dd>
        </div>
        <div>
          <dt>Phone</dt>
          <dd>{customer.phone || '—'}</dd>
        </div>
        <div>
          <dt>Tax ID</dt>
          <dd>{customer.tax_id || '—'}</dd>
        </div>
        <div>
          <dt>Time zone</dt>
          <dd>{customer.time_zone.replaceAll('_', ' ')}</dd>
        </div>
      </dl>
    </Card>
  );
}

function Plans({
  organizationId,
  currency,
  canAct,
  onNotice,
}: {
  organizationId: string;
  currency: string;
  canAct: boolean;
  onNotice: (message: string) => void;
}) {
  const plans = useQuery(queries.plans(organizationId));
  const checkout = useCheckout({ onStarted: onNotice });
  const onPaidPlan = (plans.data?.data.find((plan) => plan.current)?.version.base_price ?? 0) > 0;
  return (
    <section aria-labelledby="plans-heading">
      <div className="section-heading">
        <h2 id="plans-heading">Plans</h2>
        <p>Prices in {currency}, before tax.</p>
      </div>
      {plans.error ? <Alert>{plans.error.message}</Alert> : null}
      {checkout.error ? <Alert>{checkout.error}</Alert> : null}
      {plans.isPending ? <Loading label="Loading plans…" /> : null}
      {plans.data ? (
        <div className="plan-grid">
          {plans.data.data.map((plan) => (
            <PlanCard
              key={plan.id}
              plan={plan}
              action={
                <>
                  {plan.current ? (
                    <Button disabled>Your current plan</Button>
                  ) : canAct && onPaidPlan ? (
                    // A paid plan changes with proration (Modify plan), not with a second checkout.
                    <Link className={buttonClass('secondary')} to="/billing/modify">
                      Change to {plan.name}
                    </Link>
                  ) : canAct ? (
                    <Button
                      variant="primary"
                      busy={checkout.pending === plan.id}
                      disabled={checkout.pending !== undefined}
                      onClick={() => checkout.start(plan.id, plan.name)}
                    >
                      Select subscription
                    </Button>
                  ) : null}
                  <Link className="plan-card-details" to={`/billing/plans/${plan.id}`}>
                    Plan details
                  </Link>
                </>
              }
            />
          ))}
        </div>
      ) : null}
    </section>
  );
}

function PaymentMethods({ organizationId, canAct }: { organizationId: string; canAct: boolean }) {
  const methods = useQuery(queries.paymentMethods(organizationId));
  const setup = useCheckout();
  const changes = [queries.paymentMethods(organizationId).queryKey];
  const [removing, setRemoving] = useState<PaymentMethod | undefined>();
  const makeDefault = useSubmit({
    send: (method: PaymentMethod) =>
      api.POST('/v1/payment_methods/{payment_method_id}/default', {
        params: { path: { payment_method_id: method.id } },
      }),
    invalidates: changes,
  });
  const remove = useSubmit({
    send: (method: PaymentMethod) =>
      api.DELETE('/v1/payment_methods/{payment_method_id}', {
        params: { path: { payment_method_id: method.id } },
      }),
    onSuccess: () => setRemoving(undefined),
    invalidates: changes,
  });

  // The default card first; the API lists them newest first.
  const list = [...(methods.data?.data ?? [])].sort((a, b) => Number(b.is_default) - Number(a.is_default));
  return (
    <section aria-labelledby="methods-heading">
      <div className="section-heading">
        <h2 id="methods-heading">Payment methods</h2>
        <p>Cards are kept by the payment gateway; Billfold stores only the brand and last four digits.</p>
      </div>
      {makeDefault.errors.general ? <Alert>{makeDefault.errors.general}</Alert> : null}
      {remove.errors.general ? <Alert>{remove.errors.general}</Alert> : null}
      {setup.error ? <Alert>{setup.error}</Alert> : null}
      <Card
        title="Saved cards"
        actions={
          canAct ? (
            <Button busy={setup.pending !== undefined} onClick={() => setup.start(undefined)}>
              Update payment details
            </Button>
          ) : undefined
        }
      >
        {methods.isPending ? <Loading /> : null}
        {methods.data && list.length === 0 ? (
          <EmptyState icon={<CardIcon />} title="No payment method saved">
            A card or mandate is saved at the gateway the first time you pay for a plan.
          </EmptyState>
        ) : null}
        {list.length > 0 ? (
          <ul className="payment-method-list">
            {list.map((method) => (
              <li key={method.id} className="payment-method">
                <span className="payment-method-brand">{method.brand}</span>
                <span className="cell-primary">•••• {method.last4}</span>
                {method.exp_month && method.exp_year ? (
                  <span className="payment-method-expiry">
                    Expires {String(method.exp_month).padStart(2, '0')}/{method.exp_year}
                  </span>
                ) : null}
                {method.is_default ? <Badge tone="accent">Default</Badge> : null}
                <span className="payment-method-spacer" />
                {canAct && !method.is_default ? (
                  <Button size="small" onClick={() => makeDefault.submit(method)}>
                    Make default
                  </Button>
                ) : null}
                {canAct ? (
                  <Button size="small" variant="ghost" onClick={() => setRemoving(method)}>
                    Remove
                  </Button>
                ) : null}
              </li>
            ))}
          </ul>
        ) : null}
      </Card>
      {removing ? (
        <ConfirmDialog
          title="Remove payment method?"
          confirmLabel="Remove"
          busy={remove.pending}
          onConfirm={() => remove.submit(removing)}
          onCancel={() => setRemoving(undefined)}
        >
          {`${removing.brand} •••• ${removing.last4} will no longer be charged.`}
          {removing.is_default ? ' The newest remaining method becomes the default.' : ''}
        </ConfirmDialog>
      ) : null}
    </section>
  );
}

/**
 * A payment that arrived while another paid plan was already in force (paid in another tab) is
 * refunded in full rather than kept: the person reads why, in the currency they paid in.
 */
function refundedConflictMessage(conflict: {
  plan_name: string;
  amount: number;
  currency: string;
  refund_status: 'refunded' | 'pending';
}): string {
  const paid = formatAmount(conflict.amount, conflict.currency);
  const refund = conflict.refund_status === 'refunded' ? 'was refunded' : 'is being refunded';
  return `You already subscribed to ${conflict.plan_name} in another tab; your payment of ${paid} ${refund}.`;
}

/** What a checkout's end means for the person who comes back from the gateway's page. */
function checkoutNews(session: CheckoutSession, cancelled: boolean): { notice?: string; problem?: string } {
  if (session.outcome === 'refunded_conflict' && session.conflict)
    return { problem: refundedConflictMessage(session.conflict) };
  if (session.status === 'complete' && session.payment)
    return {
      notice: `Payment of ${formatAmount(session.payment.amount, session.payment.currency)} received. Your plan is active.`,
    };
  if (session.status === 'complete' && session.mode === 'setup')
    return { notice: 'Card saved. It is now your default payment method.' };
  if (session.status === 'complete') return { notice: 'Your plan is active.' };
  if (session.status === 'expired')
    return { problem: 'That checkout expired before it was paid. Nothing was charged.' };
  if (cancelled) return { notice: 'Checkout cancelled. Nothing was charged.' };
  return { problem: 'The payment is not complete yet. If you paid, it will show here shortly.' };
}

/**
 * Back from the gateway's hosted page (`?checkout=...`, and `&cancelled=1` when the person cancelled
 * there): how the checkout ended, said once, the query dropped from the address. A checkout still open
 * is asked about again until it ends (the payment may be on its way), unless it was cancelled.
 */
function useCheckoutReturn(organizationId: string) {
  const [params, setParams] = useSearchParams();
  // Read once: the address drops them.
  const [returning] = useState(() => ({
    id: params.get('checkout'),
    cancelled: params.get('cancelled') === '1',
  }));
  useEffect(() => {
    if (params.has('checkout')) setParams({}, { replace: true });
  }, [params, setParams]);
  const outcome = useQuery({
    ...queries.checkoutOutcome(organizationId, returning.id ?? ''),
    enabled: returning.id !== null,
    refetchInterval: (query) =>
      query.state.data?.status === 'open' && !returning.cancelled ? CHECKOUT_POLL_MS : false,
  });
  if (outcome.error) return { problem: outcome.error.message };
  return outcome.data ? checkoutNews(outcome.data, returning.cancelled) : {};
}
