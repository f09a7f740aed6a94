import { useEffect, useRef, useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { api, type OfferedPlan, type PlanChangePreview, toApiError, unwrap } from '../api/client';
import { allPages } from '../api/pages';
import { useSignedIn } from '../api/session';
import { useApi } from '../api/useApi';
import { formatDate } from '../shared/format';
import { formatAmount } from '../shared/money';
import { Alert, Badge, Button, Card, Loading, Page } from '../ui';
import { PlanCard } from './PlanCard';
import './billing.css';

/** The plan an upgrade waits to move to while the person saves a card at the gateway. */
const PENDING_UPGRADE = 'billfold.pending-upgrade';

function pendingUpgrade(): { id: string; name: string; subscriptionId?: string } | undefined {
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
  const plans = useApi(
    () => allPages((query) => api.GET('/v1/plans', { params: { query } })),
    [organization.id],
  );
  const subscriptions = useApi(
    () => allPages((query) => api.GET('/v1/subscriptions', { params: { query } })),
    [organization.id],
  );
  const [params, setParams] = useSearchParams();
  const returning = params.get('checkout');
  // The subscription to change: the one asked for, or the one that is saved while a card is added.
  const wanted = params.get('subscription') ?? pendingUpgrade()?.subscriptionId;
  const current = subscriptions.data?.data.find(
    (s) => s.status !== 'cancelled' && (wanted === undefined || s.id === wanted),
  );
  const [chosen, setChosen] = useState<OfferedPlan | undefined>();
  const [preview, setPreview] = useState<PlanChangePreview | undefined>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const [needsCard, setNeedsCard] = useState(false);

  const choose = async (plan: OfferedPlan) => {
    if (!current) return;
    setChosen(plan);
    setPreview(undefined);
    setError(undefined);
    try {
      setPreview(
        await unwrap(
          api.POST('/v1/subscriptions/{subscription_id}/preview_change', {
            params: { path: { subscription_id: current.id } },
            body: { plan_id: plan.id },
          }),
        ),
      );
    } catch (e) {
      setError(toApiError(e).message);
    }
  };

  const change = async (subscriptionId: string, plan: { id: string; name: string }) => {
    setBusy(true);
    setError(undefined);
    try {
      const result = await unwrap(
        api.POST('/v1/subscriptions/{subscription_id}/change', {
          params: { path: { subscription_id: subscriptionId } },
          body: { plan_id: plan.id },
        }),
      );
      const { invoice, subscription } = result;
      const message = invoice
        ? invoice.total > 0
          ? `You are now on ${plan.name}. ${formatAmount(invoice.total, invoice.currency)} was charged (invoice ${invoice.number}).`
          : `You are now on ${plan.name}. ${formatAmount(-invoice.total, invoice.currency)} was credited to your balance (invoice ${invoice.number}).`
        : subscription.plan_id === plan.id
          ? `You are now on ${plan.name}.`
          : `${plan.name} starts on ${formatDate(subscription.current_period_end)}.`;
      navigate('/billing', { state: { notice: message } });
    } catch (e) {
      const problem = toApiError(e);
      // No card to charge: the gateway's page saves one, then the upgrade is made on the way back.
      setNeedsCard(problem.code === 'subscription.payment_method_required');
      setError(problem.code === 'subscription.payment_method_required' ? undefined : problem.message);
      setBusy(false);
    }
  };
  const confirm = () => (current && chosen ? change(current.id, chosen) : undefined);

  const addCardThenUpgrade = async () => {
    if (!chosen) return;
    setBusy(true);
    try {
      sessionStorage.setItem(
        PENDING_UPGRADE,
        JSON.stringify({ id: chosen.id, name: chosen.name, subscriptionId: current?.id }),
      );
      const session = await unwrap(
        api.POST('/v1/checkout_sessions', { body: { mode: 'setup', return_path: '/billing/modify' } }),
      );
      if (session.url) window.location.assign(session.url);
    } catch (e) {
      setError(toApiError(e).message);
      setBusy(false);
    }
  };

  // Back from saving a card: finish the upgrade that was waiting for it.
  const currentId = current?.id;
  const changeRef = useRef(change);
  changeRef.current = change;
  useEffect(() => {
    if (!returning || !currentId) return;
    const pending = pendingUpgrade();
    sessionStorage.removeItem(PENDING_UPGRADE);
    setParams({}, { replace: true });
    void (async () => {
      try {
        const session = await unwrap(
          api.POST('/v1/checkout_sessions/{checkout_session_id}/sync', {
            params: { path: { checkout_session_id: returning } },
          }),
        );
        if (session.status === 'complete' && pending) await changeRef.current(currentId, pending);
        else setError('No card was saved, so nothing changed.');
      } catch (e) {
        setError(toApiError(e).message);
      }
    })();
  }, [returning, currentId, setParams]);

  let body = null;
  if ((plans.loading && !plans.data) || (subscriptions.loading && !subscriptions.data)) body = <Loading />;
  else if (plans.error || subscriptions.error)
    body = <Alert>{(plans.error ?? subscriptions.error)?.message}</Alert>;
  else if (!current)
    body = <Alert tone="info">There is no subscription to modify. Choose a plan on the Billing page.</Alert>;
  else {
    body = (
      <div className="modify-plan">
        <div className="plan-grid">
          {plans.data?.data.map((plan) => (
            <PlanCard
              key={plan.id}
              plan={plan}
              action={
                plan.current ? (
                  <Button disabled>Your current plan</Button>
                ) : (
                  <Button
                    variant={chosen?.id === plan.id ? 'primary' : 'secondary'}
                    disabled={!permissions.manage}
                    onClick={() => choose(plan)}
                  >
                    {chosen?.id === plan.id ? 'Chosen' : `Choose ${plan.name}`}
                  </Button>
                )
              }
            />
          ))}
        </div>
        {chosen && !preview && !error ? <Loading label="Working out the change…" /> : null}
        {preview ? (
          <ChangeSummary
            preview={preview}
            busy={busy}
            needsCard={needsCard}
            onConfirm={needsCard ? addCardThenUpgrade : confirm}
            onCancel={() => setPreview(undefined)}
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
