import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { api, type Subscription, type UsageSummary } from '../api/client';
import { useSubmit } from '../api/forms';
import { billingChanges, queries } from '../api/queries';
import { formatDate, formatDateIn, formatLastDayIn } from '../shared/format';
import { formatAmount } from '../shared/money';
import { describeLimit, intervalAdverb, type LimitShape } from '../shared/plans';
import { Alert, Button, buttonClass, Card, ConfirmDialog, Loading, StatusBadge } from '../ui';
import { UsageBanners } from '../usage/UsageBanners';
import { UsageMeter } from '../usage/UsageMeter';
import { PaymentDueBanner } from './PaymentDueBanner';

/**
 * The billing overview (C31): the plan being paid for, its state, the next payment, the plan's
 * limits, and the subscription's history. A failed payment shows as a banner with a way to pay.
 * Modify plan and Cancel are for owners and super admins.
 */
export function SubscriptionOverview({
  organizationId,
  canAct,
  onChanged,
  onSaveCard,
}: {
  organizationId: string;
  canAct: boolean;
  onChanged: (message: string) => void;
  onSaveCard: () => void;
}) {
  const subscriptions = useQuery(queries.subscriptions(organizationId));
  const usage = useQuery(queries.usageSummary(organizationId));
  // Each live subscription is a license of its own (an organization may hold several).
  const live = subscriptions.data?.data.filter((s) => s.status !== 'cancelled') ?? [];

  if (subscriptions.isPending) return <Loading label="Loading your subscription…" />;
  if (subscriptions.error) return <Alert>{subscriptions.error.message}</Alert>;
  return (
    <>
      <PaymentDueBanner
        organizationId={organizationId}
        canAct={canAct}
        onPaid={onChanged}
        onSaveCard={onSaveCard}
      />
      {usage.data?.period && live[0] ? (
        <UsageBanners
          metrics={usage.data.metrics}
          periodEnd={usage.data.period.end}
          timeZone={live[0].time_zone}
          linkToUsage
        />
      ) : null}
      {live.length > 0 ? (
        live.map((subscription) => (
          <CurrentSubscription
            key={subscription.id}
            organizationId={organizationId}
            subscription={subscription}
            canAct={canAct}
            onChanged={onChanged}
            several={live.length > 1}
            usage={usage.data}
            usageError={usage.error?.message}
          />
        ))
      ) : (
        <Card title="Subscription">
          <p className="muted">
            No active subscription. <Link to="/billing/plans">Choose a plan</Link>.
          </p>
        </Card>
      )}
    </>
  );
}

function CurrentSubscription({
  organizationId,
  subscription,
  canAct,
  onChanged,
  several,
  usage,
  usageError,
}: {
  organizationId: string;
  subscription: Subscription;
  canAct: boolean;
  onChanged: (message: string) => void;
  several: boolean;
  /** The organization's use this period; it belongs to the subscription whose period it is. */
  usage: UsageSummary | undefined;
  usageError: string | undefined;
}) {
  const detail = useQuery(queries.subscription(organizationId, subscription.id));
  const [cancelling, setCancelling] = useState(false);
  const limits = subscription.version.limits as LimitShape[];
  const next = subscription.next_invoice;
  const zone = subscription.time_zone;
  // Dates as the customer's billing calendar says them: the period ends at its local midnight.
  const ends = formatDateIn(subscription.current_period_end, zone);
  const lastDay = formatLastDayIn(subscription.current_period_end, zone);

  const path = { params: { path: { subscription_id: subscription.id } } };
  const news = {
    cancel: `${subscription.plan_name} ends on ${ends}. You can keep it until then.`,
    keep: `${subscription.plan_name} continues after ${ends}.`,
    cancel_scheduled_change: `${subscription.plan_name} stays your plan after ${ends}.`,
  };
  const act = useSubmit({
    send: (action: keyof typeof news) =>
      action === 'cancel'
        ? api.POST('/v1/subscriptions/{subscription_id}/cancel', { ...path, body: { at_period_end: true } })
        : action === 'keep'
          ? api.POST('/v1/subscriptions/{subscription_id}/keep', path)
          : api.POST('/v1/subscriptions/{subscription_id}/cancel_scheduled_change', path),
    onSuccess: (_, action) => {
      onChanged(news[action]);
      setCancelling(false);
    },
    // The status, the plans' current marker and the next invoice change with it.
    invalidates: billingChanges(organizationId),
  });

  return (
    <Card
      title={several ? `Subscription: ${subscription.plan_name}` : 'Subscription'}
      description={`Billed ${intervalAdverb(subscription.interval)}, ${subscription.billing_mode === 'calendar' ? 'by the calendar' : 'from the day it started'}, in ${subscription.time_zone.replaceAll('_', ' ')}.`}
      actions={
        canAct && subscription.status !== 'cancelled' ? (
          <>
            {subscription.cancel_at_period_end ? (
              <Button busy={act.pending} onClick={() => act.submit('keep')}>
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
      {act.errors.general ? <Alert>{act.errors.general}</Alert> : null}
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
            {subscription.paused_for_payment
              ? 'None while paused: it resumes when the open invoices are paid'
              : subscription.cancel_at_period_end
                ? `None: ends after ${lastDay}`
                : next && next.total > 0
                  ? `${formatAmount(next.total, next.currency)} on ${formatDateIn(next.at, zone)}`
                  : 'Nothing to pay'}
          </dd>
        </div>
        {subscription.scheduled_plan_id ? (
          <div>
            <dt>Scheduled</dt>
            <dd>
              Moves to a lower plan on {ends}
              {canAct ? (
                <>
                  {' '}
                  <Button
                    variant="ghost"
                    busy={act.pending}
                    onClick={() => act.submit('cancel_scheduled_change')}
                  >
                    Keep {subscription.plan_name}
                  </Button>
                </>
              ) : null}
            </dd>
          </div>
        ) : null}
      </dl>
      {limits.length > 0 ? (
        <div className="usage-limits">
          <div className="usage-limits-heading">
            <h3>Usage against limits</h3>
            <Link to="/usage">See usage</Link>
          </div>
          {usageError ? <p className="muted">Usage could not be loaded: {usageError}</p> : null}
          <ul>
            {/* The metered limits first, with their bars; the others (members) in words after them. */}
            {limits
              .map((limit) => ({ limit, metered: usageOfLimit(limit, subscription, usage) }))
              .sort((a, b) => Number(!a.metered) - Number(!b.metered))
              .map(({ limit, metered }) => (
                <li key={limit.feature}>
                  {metered ? (
                    <UsageMeter use={{ ...metered, limit: limit.limit, mode: limit.mode }} compact />
                  ) : (
                    <span>{describeLimit(limit)}</span>
                  )}
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
          busy={act.pending}
          onConfirm={() => act.submit('cancel')}
          onCancel={() => setCancelling(false)}
        >
          {`${subscription.plan_name} stays active until ${ends}, then ends. Nothing more is charged. You can keep it until then.`}
        </ConfirmDialog>
      ) : null}
    </Card>
  );
}

/**
 * This period's use of what a limit caps, when it is metered (a limit on members is counted
 * elsewhere). The summary is of the subscription whose current period it is.
 */
function usageOfLimit(limit: LimitShape, subscription: Subscription, usage: UsageSummary | undefined) {
  if (!usage?.period || Date.parse(usage.period.start) !== Date.parse(subscription.current_period_start))
    return undefined;
  return usage.metrics.find((metric) => (metric.feature ?? metric.code) === limit.feature);
}
