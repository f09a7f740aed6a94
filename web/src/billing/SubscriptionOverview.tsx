import { useState } from 'react';
import { Link } from 'react-router';
import { api, type BillingStatus, type Subscription, toApiError, unwrap } from '../api/client';
import { useApi } from '../api/useApi';
import { formatDate, formatDateIn, formatLastDayIn } from '../shared/format';
import { formatAmount } from '../shared/money';
import { describeLimit, type LimitShape } from '../shared/plans';
import { Alert, Button, buttonClass, Card, ConfirmDialog, CopyBox, Loading, StatusBadge } from '../ui';

/**
 * The billing overview (C31): the plan being paid for, its state, the next payment, the plan's
 * limits, and the subscription's history. A failed payment shows as a banner with a way to pay.
 * Modify plan and Cancel are for owners and super admins.
 */
export function SubscriptionOverview({
  organizationId,
  canAct,
  refreshKey,
  onChanged,
  onSaveCard,
}: {
  organizationId: string;
  canAct: boolean;
  refreshKey: number;
  onChanged: (message: string) => void;
  onSaveCard: () => void;
}) {
  const subscriptions = useApi(() => unwrap(api.GET('/v1/subscriptions')), [organizationId, refreshKey]);
  const status = useApi(() => unwrap(api.GET('/v1/billing/status')), [organizationId, refreshKey]);
  // Each live subscription is a license of its own (an organization may hold several).
  const live = subscriptions.data?.data.filter((s) => s.status !== 'cancelled') ?? [];

  if (subscriptions.loading && !subscriptions.data) return <Loading label="Loading your subscription…" />;
  if (subscriptions.error) return <Alert>{subscriptions.error.message}</Alert>;
  return (
    <>
      {status.data && status.data.status !== 'active' ? (
        <PaymentDue status={status.data} canAct={canAct} onPaid={onChanged} onSaveCard={onSaveCard} />
      ) : null}
      {live.length > 0 ? (
        live.map((subscription) => (
          <CurrentSubscription
            key={subscription.id}
            subscription={subscription}
            canAct={canAct}
            onChanged={onChanged}
            several={live.length > 1}
          />
        ))
      ) : (
        <Card title="Subscription">
          <p className="muted">No active subscription. Choose a plan below.</p>
        </Card>
      )}
    </>
  );
}

function PaymentDue({
  status,
  canAct,
  onPaid,
  onSaveCard,
}: {
  status: BillingStatus;
  canAct: boolean;
  onPaid: (message: string) => void;
  onSaveCard: () => void;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const [link, setLink] = useState<string | undefined>();
  const invoice = status.open_invoices[0];
  const blocked = status.status === 'blocked';
  // A link anyone can pay (a colleague with the company card, say), without signing in.
  const shareLink = async () => {
    if (!invoice) return;
    setError(undefined);
    try {
      const created = await unwrap(api.POST('/v1/payment_links', { body: { invoice_id: invoice.id } }));
      setLink(created.url);
    } catch (e) {
      setError(toApiError(e).message);
    }
  };
  const pay = async () => {
    if (!invoice) return;
    setBusy(true);
    setError(undefined);
    try {
      const paid = await unwrap(
        api.POST('/v1/invoices/{invoice_id}/pay', { params: { path: { invoice_id: invoice.id } } }),
      );
      onPaid(`Invoice ${paid.number} is paid. Thank you: your subscription is active again.`);
    } catch (e) {
      setError(toApiError(e).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div
      className={`payment-due ${blocked ? 'payment-due-blocked' : ''}`}
      role="alert"
      aria-label="Payment due"
    >
      <div>
        <strong>
          {blocked ? 'Your account is blocked for an unpaid invoice' : 'Your last payment failed'}
        </strong>
        <p>
          {invoice
            ? `${formatAmount(status.amount_due, invoice.currency)} is due on invoice ${invoice.number}. `
            : ''}
          {blocked
            ? 'Pay it to unblock your account.'
            : invoice?.next_attempt_at
              ? `We will try your card again on ${formatDate(invoice.next_attempt_at)}.`
              : ''}
        </p>
        {error ? <p className="payment-due-error">{error}</p> : null}
        {link ? <CopyBox label="Payment link" value={link} /> : null}
      </div>
      {canAct && invoice ? (
        <div className="row">
          {link ? null : (
            <Button variant="ghost" onClick={shareLink}>
              Get a payment link
            </Button>
          )}
          <Button onClick={onSaveCard}>Use another card</Button>
          <Button variant="primary" busy={busy} onClick={pay}>
            Pay {formatAmount(invoice.amount_due, invoice.currency)} now
          </Button>
        </div>
      ) : null}
    </div>
  );
}

function CurrentSubscription({
  subscription,
  canAct,
  onChanged,
  several,
}: {
  subscription: Subscription;
  canAct: boolean;
  onChanged: (message: string) => void;
  several: boolean;
}) {
  const detail = useApi(
    () =>
      unwrap(
        api.GET('/v1/subscriptions/{subscription_id}', {
          params: { path: { subscription_id: subscription.id } },
        }),
      ),
    [subscription.id, subscription.status, subscription.cancel_at_period_end, subscription.plan_id],
  );
  const [cancelling, setCancelling] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const limits = subscription.version.limits as LimitShape[];
  const next = subscription.next_invoice;
  const zone = subscription.time_zone;
  // Dates as the customer's billing calendar says them: the period ends at its local midnight.
  const ends = formatDateIn(subscription.current_period_end, zone);
  const lastDay = formatLastDayIn(subscription.current_period_end, zone);

  const act = async (path: 'cancel' | 'keep') => {
    setBusy(true);
    setError(undefined);
    try {
      if (path === 'cancel') {
        await unwrap(
          api.POST('/v1/subscriptions/{subscription_id}/cancel', {
            params: { path: { subscription_id: subscription.id } },
            body: { at_period_end: true },
          }),
        );
        onChanged(`${subscription.plan_name} ends on ${ends}. You can keep it until then.`);
      } else {
        await unwrap(
          api.POST('/v1/subscriptions/{subscription_id}/keep', {
            params: { path: { subscription_id: subscription.id } },
          }),
        );
        onChanged(`${subscription.plan_name} continues after ${ends}.`);
      }
      setCancelling(false);
    } catch (e) {
      setError(toApiError(e).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Card
      title={several ? `Subscription: ${subscription.plan_name}` : 'Subscription'}
      description={`Billed by ${subscription.billing_mode === 'calendar' ? 'calendar month' : 'month from the day it started'} in ${subscription.time_zone.replaceAll('_', ' ')}.`}
      actions={
        canAct && subscription.status !== 'cancelled' ? (
          <>
            {subscription.cancel_at_period_end ? (
              <Button busy={busy} onClick={() => act('keep')}>
                Keep subscription
              </Button>
            ) : (
              <Button variant="ghost" onClick={() => setCancelling(true)}>
                Cancel subscription
              </Button>
            )}
            <Link className={buttonClass('primary')} to={`/billing/modify?subscription=${subscription.id}`}>
              Modify plan
            </Link>
          </>
        ) : undefined
      }
    >
      {error ? <Alert>{error}</Alert> : null}
      <dl className="billing-details subscription-summary">
        <div>
          <dt>Plan</dt>
          <dd className="subscription-plan">
            {subscription.plan_name} <StatusBadge status={subscription.status} />
          </dd>
        </div>
        <div>
          <dt>Current period</dt>
          <dd>
            {formatDateIn(subscription.current_period_start, zone)} – {lastDay}
          </dd>
        </div>
        <div>
          <dt>Next payment</dt>
          <dd>
            {subscription.cancel_at_period_end
              ? `None: ends after ${lastDay}`
              : next && next.total > 0
                ? `${formatAmount(next.total, next.currency)} on ${formatDateIn(next.at, zone)}`
                : 'Nothing to pay'}
          </dd>
        </div>
        {subscription.scheduled_plan_id ? (
          <div>
            <dt>Scheduled</dt>
            <dd>Moves to a lower plan on {ends}</dd>
          </div>
        ) : null}
      </dl>
      {limits.length > 0 ? (
        <div className="usage-limits">
          <h3>Usage against limits</h3>
          <ul>
            {limits.map((limit) => (
              <li key={limit.feature}>
                <span>{describeLimit(limit)}</span>
                <span className="muted">usage appears once metering is on</span>
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      {detail.data && detail.data.history.length > 0 ? (
        <details className="subscription-history">
          <summary>History</summary>
          <ol>
            {detail.data.history.map((event) => (
              <li key={event.id}>
                <time dateTime={event.occurred_at}>{formatDate(event.occurred_at)}</time>
                <span>{event.reason}</span>
                {event.to_status && event.from_status !== event.to_status ? (
                  <StatusBadge status={event.to_status} />
                ) : null}
              </li>
            ))}
          </ol>
        </details>
      ) : null}
      {cancelling ? (
        <ConfirmDialog
          title="Cancel subscription?"
          confirmLabel="Cancel at period end"
          busy={busy}
          onConfirm={() => act('cancel')}
          onCancel={() => setCancelling(false)}
        >
          {`${subscription.plan_name} stays active until ${ends}, then ends. Nothing more is charged. You can keep it until then.`}
        </ConfirmDialog>
      ) : null}
    </Card>
  );
}
