import { useQuery } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { api, type OfferedPlan, type PlanChangePreview } from '../api/client';
import { useSubmit } from '../api/forms';
import { billingChanges, queries } from '../api/queries';
import { useSignedIn } from '../api/session';
import { formatDate } from '../shared/format';
import { formatAmount } from '../shared/money';
import { Alert, Badge, Button, Card, Loading, Page } from '../ui';
import { PlanCard } from './PlanCard';
import { PlanGrid, sharedPlanNames } from './PlanGrid';
import { useCheckout } from './useCheckout';
import './billing.css';

/** The plan an upgrade waits to move to while the person saves a card at the gateway. */
const PENDING_UPGRADE = 'billfold.pending-upgrade';

interface PendingUpgrade {
  id: string;
  name: string;
  subscriptionId?: string | undefined;
}

function pendingUpgrade(): PendingUpgrade | undefined {
  const saved = sessionStorage.getItem(PENDING_UPGRADE);
  return saved ? JSON.parse(saved) : undefined;
}

/**
 * Modify plan (C17): the plans, the current one marked. Choosing one shows what it costs before
 * anything happens: for a higher plan, the credit for the unused part of this period, the charge for
 * the rest of it on the new plan, the total due now and the next payment; a lower plan starts when
 * this period ends. The summary comes from the same computation as the invoice.
 */
export function ModifyPlanPage() {
  const { organization, permissions } = useSignedIn();
  const navigate = useNavigate();
  const plans = useQuery(queries.plans(organization.id));
  const subscriptions = useQuery(queries.subscriptions(organization.id));
  const [params, setParams] = useSearchParams();
  // Back from saving a card at the gateway (?checkout=...), with the upgrade that waited for it: both
  // read once, then dropped from the address and the tab's storage.
  const [returning] = useState(() => params.get('checkout'));
  const [waiting] = useState(() => (params.has('checkout') ? pendingUpgrade() : undefined));
  useEffect(() => {
    if (!params.has('checkout')) return;
    sessionStorage.removeItem(PENDING_UPGRADE);
    setParams({}, { replace: true });
  }, [params, setParams]);
  // The subscription to change: the one asked for, or the one whose upgrade waited for a card.
  const wanted = params.get('subscription') ?? waiting?.subscriptionId;
  const current = subscriptions.data?.data.find(
    (s) => s.status !== 'cancelled' && (wanted === undefined || s.id === wanted),
  );
  const [chosen, setChosen] = useState<OfferedPlan | undefined>();
  const preview = useQuery({
    ...queries.planChangePreview(organization.id, current?.id ?? '', chosen?.id ?? ''),
    enabled: current !== undefined && chosen !== undefined,
  });

  const change = useSubmit({
    send: ({ subscriptionId, plan }: { subscriptionId: string; plan: PendingUpgrade }) =>
      api.POST('/v1/subscriptions/{subscription_id}/change', {
        params: { path: { subscription_id: subscriptionId } },
        body: { plan_id: plan.id },
      }),
    onSuccess: ({ invoice, subscription }, { plan }) => {
      const message = invoice
        ? invoice.total > 0
          ? `You are now on ${plan.name}. ${formatAmount(invoice.total, invoice.currency)} was charged (invoice ${invoice.number}).`
          : `You are now on ${plan.name}. ${formatAmount(-invoice.total, invoice.currency)} was credited to your balance (invoice ${invoice.number}).`
        : subscription.plan_id === plan.id
          ? `You are now on ${plan.name}.`
          : `${plan.name} starts on ${formatDate(subscription.current_period_end)}.`;
      navigate('/billing', { state: { notice: message } });
    },
    invalidates: billingChanges(organization.id),
  });
  // No card to charge: the gateway's page saves one, then the upgrade is made on the way back.
  const needsCard = change.error?.code === 'subscription.payment_method_required';
  const addCard = useCheckout({ returnPath: '/billing/modify' });
  const addCardThenUpgrade = () => {
    if (!chosen) return;
    const upgrade: PendingUpgrade = { id: chosen.id, name: chosen.name, subscriptionId: current?.id };
    sessionStorage.setItem(PENDING_UPGRADE, JSON.stringify(upgrade));
    addCard.start(undefined);
  };
  const confirm = () =>
    current && chosen ? change.submit({ subscriptionId: current.id, plan: chosen }) : undefined;

  // The card is saved once the checkout says so: the upgrade that waited for it is made then, once.
  const cardSaved = useQuery({
    ...queries.checkoutOutcome(organization.id, returning ?? ''),
    enabled: returning !== null,
  });
  const cardOutcome = cardSaved.data?.status;
  const currentId = current?.id;
  const { submit: changePlan } = change;
  const finished = useRef(false);
  useEffect(() => {
    if (finished.current || !cardOutcome || !currentId) return;
    finished.current = true;
    if (cardOutcome === 'complete' && waiting) changePlan({ subscriptionId: currentId, plan: waiting });
  }, [cardOutcome, currentId, waiting, changePlan]);
  const noCard = cardOutcome !== undefined && !(cardOutcome === 'complete' && waiting);

  const error =
    preview.error?.message ??
    (needsCard ? undefined : change.errors.general) ??
    addCard.error ??
    cardSaved.error?.message ??
    (noCard ? 'No card was saved, so nothing changed.' : undefined);

  const offered = plans.data?.data ?? [];
  const sharedNames = sharedPlanNames(offered);
  let body = null;
  if (plans.isPending || subscriptions.isPending) body = <Loading />;
  else if (plans.error || subscriptions.error)
    body = <Alert>{(plans.error ?? subscriptions.error)?.message}</Alert>;
  else if (!current)
    body = <Alert tone="info">There is no subscription to modify. Choose one under Billing, Plans.</Alert>;
  else {
    body = (
      <div className="modify-plan">
        <h2 className="visually-hidden">Plans</h2>
        <PlanGrid>
          {offered.map((plan) => (
            <PlanCard
              key={plan.id}
              plan={plan}
              identify={sharedNames.has(plan.name)}
              action={
                plan.current ? (
                  <Button disabled>Your current plan</Button>
                ) : (
                  <Button
                    variant={chosen?.id === plan.id ? 'primary' : 'secondary'}
                    disabled={!permissions.manage}
                    onClick={() => {
                      setChosen(plan);
                      change.clear();
                    }}
                  >
                    {chosen?.id === plan.id ? 'Chosen' : `Choose ${plan.name}`}
                  </Button>
                )
              }
            />
          ))}
        </PlanGrid>
        {chosen && preview.isPending ? <Loading label="Working out the change…" /> : null}
        {chosen && preview.data ? (
          <ChangeSummary
            preview={preview.data}
            busy={change.pending || addCard.pending !== undefined}
            needsCard={needsCard}
            onConfirm={needsCard ? addCardThenUpgrade : confirm}
            onCancel={() => setChosen(undefined)}
          />
        ) : null}
      </div>
    );
  }

  return (
    <Page
      title="Modify plan"
      description="See what a change costs before you make it."
      actions={
        <Link className="btn btn-secondary" to="/billing">
          Back to billing
        </Link>
      }
    >
      {error ? <Alert>{error}</Alert> : null}
      {body}
    </Page>
  );
}

function ChangeSummary({
  preview,
  busy,
  needsCard,
  onConfirm,
  onCancel,
}: {
  preview: PlanChangePreview;
  busy: boolean;
  needsCard: boolean;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const money = (amount: number) => formatAmount(amount, preview.currency);
  const upgrade = preview.direction === 'upgrade';
  const now = preview.effective === 'now';
  // A change now that charges nothing (a trial, a credit, a fee billed in arrears, an invoice the
  // credit balance pays) needs no payment.
  const pays = now && preview.amount_due > 0;
  return (
    <Card
      title={`${preview.from_plan.name} → ${preview.to_plan.name}`}
      description={
        pays
          ? 'An upgrade applies now. You pay the difference for the rest of this period.'
          : now
            ? 'This change applies now; nothing is charged now.'
            : `A downgrade applies when this period ends, on ${formatDate(preview.next_payment_at)}.`
      }
      actions={<Badge tone={upgrade ? 'accent' : 'neutral'}>{upgrade ? 'Upgrade' : 'Downgrade'}</Badge>}
    >
      <table className="change-summary" aria-label="Summary">
        <tbody>
          {preview.lines.map((line) => (
            <tr key={line.kind}>
              <th scope="row">{line.description}</th>
              <td className="num">{money(line.amount)}</td>
            </tr>
          ))}
          {preview.tax !== 0 ? (
            <tr>
              <th scope="row">Tax</th>
              <td className="num">{money(preview.tax)}</td>
            </tr>
          ) : null}
          <tr className="change-summary-total">
            <th scope="row">Total due now</th>
            <td className="num">{money(preview.total_due_now)}</td>
          </tr>
          {preview.credit_applied > 0 ? (
            <tr>
              <th scope="row">Paid from your credit balance</th>
              <td className="num">{money(-preview.credit_applied)}</td>
            </tr>
          ) : null}
          {preview.credit_applied > 0 ? (
            <tr>
              <th scope="row">Charged to your card now</th>
              <td className="num">{money(preview.amount_due)}</td>
            </tr>
          ) : null}
          {preview.credited_to_balance > 0 ? (
            <tr>
              <th scope="row">Credited to your balance, spent on the next invoices</th>
              <td className="num">{money(preview.credited_to_balance)}</td>
            </tr>
          ) : null}
          <tr>
            <th scope="row">Next payment, on {formatDate(preview.next_payment_at)}</th>
            <td className="num">{money(preview.next_payment_amount)}</td>
          </tr>
        </tbody>
      </table>
      {needsCard ? (
        <Alert tone="info">
          There is no saved card to charge. Add one on the payment page; the upgrade is made when you come
          back.
        </Alert>
      ) : null}
      <div className="row change-summary-actions">
        <Button variant="ghost" onClick={onCancel}>
          Not now
        </Button>
        <Button variant="primary" busy={busy} onClick={onConfirm}>
          {pays && needsCard
            ? `Add a card and pay ${money(preview.amount_due)}`
            : pays
              ? `Upgrade now and pay ${money(preview.amount_due)}`
              : now
                ? `Move to ${preview.to_plan.name} now`
                : `Move to ${preview.to_plan.name} on ${formatDate(preview.next_payment_at)}`}
        </Button>
      </div>
    </Card>
  );
}
