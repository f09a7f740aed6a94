import { type ReactNode, useEffect, useState } from 'react';
import { Link, useLocation, useSearchParams } from 'react-router';
import { api, type BillingCustomer, type PaymentMethod, toApiError, unwrap } from '../api/client';
import { allPages } from '../api/pages';
import { useSignedIn } from '../api/session';
import { useApi } from '../api/useApi';
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
import { CustomerModal } from './CustomerModal';
import { Invoices } from './Invoices';
import { PaymentLinks } from './PaymentLinks';
import { PlanCard } from './PlanCard';
import { Statements } from './Statements';
import { SubscriptionOverview } from './SubscriptionOverview';
import { useCheckout } from './useCheckout';
import './billing.css';

const gatewayLabel: Record<string, string> = { stripe: 'Stripe', cashfree: 'Cashfree', test: 'Test gateway' };

/** The customer, or null when the organization has none yet (the API answers 404). */
async function loadCustomer(): Promise<BillingCustomer | null> {
  try {
    return await unwrap(api.GET('/v1/billing_customer'));
  } catch (error) {
    if (toApiError(error).code === 'billing_customer.not_found') return null;
    throw error;
  }
}

/**
 * Billing (C8–C11): without a billing customer, the first step; with one, its details, the plans this
 * organization may choose with the current one marked, and the saved payment methods. Owners and
 * super admins act; admins read.
 */
export function BillingPage() {
  const { organization, permissions } = useSignedIn();
  const customer = useApi(loadCustomer, [organization.id]);
  const [editing, setEditing] = useState(false);
  // A page that sent us here with news (Modify plan) says it once.
  const location = useLocation();
  const [notice, setNotice] = useState<string | undefined>(
    (location.state as { notice?: string } | null)?.notice,
  );
  const saveCard = useCheckout(() => undefined);
  const [problem, setProblem] = useState<string | undefined>();
  const [refreshKey, setRefreshKey] = useState(0);
  const canAct = permissions.manage;
  const [params, setParams] = useSearchParams();
  const returning = params.get('checkout');
  const cancelled = params.get('cancelled') === '1';

  // Back from the gateway's hosted page: ask how the checkout ended (the webhook may have told us
  // already; applying twice changes nothing), say so, and drop the query from the address.
  useEffect(() => {
    if (!returning) return;
    let live = true;
    void (async () => {
      try {
        const session = await unwrap(
          api.POST('/v1/checkout_sessions/{checkout_session_id}/sync', {
            params: { path: { checkout_session_id: returning } },
          }),
        );
        if (!live) return;
        if (session.outcome === 'refunded_conflict' && session.conflict) {
          setProblem(refundedConflictMessage(session.conflict));
        } else if (session.status === 'complete' && session.payment) {
          setNotice(
            `Payment of ${formatAmount(session.payment.amount, session.payment.currency)} received. Your plan is active.`,
          );
        } else if (session.status === 'complete' && session.mode === 'setup') {
          setNotice('Card saved. It is now your default payment method.');
        } else if (session.status === 'complete') setNotice('Your plan is active.');
        else if (session.status === 'expired')
          setProblem('That checkout expired before it was paid. Nothing was charged.');
        else if (cancelled) setNotice('Checkout cancelled. Nothing was charged.');
        else setProblem('The payment is not complete yet. If you paid, it will show here shortly.');
        setRefreshKey((k) => k + 1);
      } catch (error) {
        if (live) setProblem(toApiError(error).message);
      } finally {
        if (live) setParams({}, { replace: true });
      }
    })();
    return () => {
      live = false;
    };
  }, [returning, cancelled, setParams]);

  const modal = editing ? (
    <CustomerModal
      customer={customer.data ?? undefined}
      organizationCountry={organization.country}
      onClose={() => setEditing(false)}
      onSaved={(saved) => {
        setNotice(
          customer.data ? 'Billing details updated.' : 'Billing customer created. Choose a plan below.',
        );
        customer.setData(() => saved);
        setEditing(false);
      }}
    />
  ) : null;

  let body: ReactNode;
  if (customer.loading && customer.data === undefined) body = <Loading />;
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
          refreshKey={refreshKey}
          onChanged={(message) => {
            setNotice(message);
            setRefreshKey((k) => k + 1);
          }}
          onSaveCard={() => saveCard.start(undefined)}
        />
        {saveCard.error ? <Alert>{saveCard.error}</Alert> : null}
        <CustomerDetails customer={customer.data} canAct={canAct} onEdit={() => setEditing(true)} />
        <Plans
          organizationId={organization.id}
          currency={customer.data.currency}
          canAct={canAct}
          refreshKey={refreshKey}
          onNotice={setNotice}
        />
        <PaymentMethods organizationId={organization.id} canAct={canAct} refreshKey={refreshKey} />
        <Invoices organizationId={organization.id} refreshKey={refreshKey} />
        <Statements organizationId={organization.id} refreshKey={refreshKey} />
        <PaymentLinks
          organizationId={organization.id}
          currency={customer.data.currency}
          canAct={canAct}
          onPaid={() => setRefreshKey((k) => k + 1)}
        />
      </>
    );
  }

  return (
    <Page
      title="Billing"
      description="Your subscription, invoices, plans and payment methods."
      actions={canAct ? undefined : <Badge>Read-only for your role</Badge>}
    >
      {notice ? <Alert tone="success">{notice}</Alert> : null}
      {problem ? <Alert tone="warning">{problem}</Alert> : null}
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
  refreshKey,
  onNotice,
}: {
  organizationId: string;
  currency: string;
  canAct: boolean;
  refreshKey: number;
  onNotice: (message: string) => void;
}) {
  const plans = useApi(
    () => allPages((query) => api.GET('/v1/plans', { params: { query } })),
    [organizationId, currency, refreshKey],
  );
  const checkout = useCheckout((message) => {
    onNotice(message);
    void plans.reload();
  });
  const onPaidPlan = (plans.data?.data.find((plan) => plan.current)?.version.base_price ?? 0) > 0;
  return (
    <section aria-labelledby="plans-heading">
      <div className="section-heading">
        <h2 id="plans-heading">Plans</h2>
        <p>Prices in {currency}, before tax.</p>
      </div>
      {plans.error ? <Alert>{plans.error.message}</Alert> : null}
      {checkout.error ? <Alert>{checkout.error}</Alert> : null}
      {plans.loading && !plans.data ? <Loading label="Loading plans…" /> : null}
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

function PaymentMethods({
  organizationId,
  canAct,
  refreshKey,
}: {
  organizationId: string;
  canAct: boolean;
  refreshKey: number;
}) {
  const methods = useApi(
    () => allPages((query) => api.GET('/v1/payment_methods', { params: { query } })),
    [organizationId, refreshKey],
  );
  const setup = useCheckout(() => undefined);
  const [removing, setRemoving] = useState<PaymentMethod | undefined>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();

  const makeDefault = async (method: PaymentMethod) => {
    setError(undefined);
    try {
      await unwrap(
        api.POST('/v1/payment_methods/{payment_method_id}/default', {
          params: { path: { payment_method_id: method.id } },
        }),
      );
      await methods.reload();
    } catch (e) {
      setError(toApiError(e).message);
    }
  };
  const remove = async () => {
    if (!removing) return;
    setBusy(true);
    setError(undefined);
    try {
      await unwrap(
        api.DELETE('/v1/payment_methods/{payment_method_id}', {
          params: { path: { payment_method_id: removing.id } },
        }),
      );
      setRemoving(undefined);
      await methods.reload();
    } catch (e) {
      setError(toApiError(e).message);
    } finally {
      setBusy(false);
    }
  };

  const list = methods.data?.data ?? [];
  return (
    <section aria-labelledby="methods-heading">
      <div className="section-heading">
        <h2 id="methods-heading">Payment methods</h2>
        <p>Cards are kept by the payment gateway; Billfold stores only the brand and last four digits.</p>
      </div>
      {error ? <Alert>{error}</Alert> : null}
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
        {methods.loading && !methods.data ? <Loading /> : null}
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
                  <Button size="small" onClick={() => makeDefault(method)}>
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
          busy={busy}
          onConfirm={remove}
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
