import { useState } from 'react';
import { api, type BillingStatus, toApiError, unwrap } from '../api/client';
import { useApi } from '../api/useApi';
import { formatDate } from '../shared/format';
import { formatAmount } from '../shared/money';
import { Button, CopyBox } from '../ui';
import './billing.css';

/**
 * After a failed payment (C19): what is owed across every open invoice, and a way to pay it all in
 * one payment with the saved card (or another one). Shown on the Billing page and the Overview;
 * nothing while the account is in good standing.
 */
export function PaymentDueBanner({
  organizationId,
  refreshKey,
  canAct,
  onPaid,
  onSaveCard,
}: {
  organizationId: string;
  refreshKey: number;
  canAct: boolean;
  onPaid: (message: string) => void;
  onSaveCard: () => void;
}) {
  const status = useApi(() => unwrap(api.GET('/v1/billing/status')), [organizationId, refreshKey]);
  if (!status.data || status.data.status === 'active' || status.data.open_invoices.length === 0) return null;
  return <PaymentDue status={status.data} canAct={canAct} onPaid={onPaid} onSaveCard={onSaveCard} />;
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
  // Oldest first, as they were issued.
  const invoices = [...status.open_invoices].sort((a, b) => a.number.localeCompare(b.number));
  const only = invoices.length === 1 ? invoices[0] : undefined;
  const currency = invoices[0]?.currency ?? '';
  const total = formatAmount(status.amount_due, currency);
  const blocked = status.status === 'blocked';
  // The soonest retry of any invoice still on the dunning schedule.
  const nextAttempt = invoices
    .map((invoice) => invoice.next_attempt_at)
    .filter((at): at is string => at !== null)
    .sort()[0];
  // A link anyone can pay (a colleague with the company card, say), without signing in. A link pays
  // one invoice, so it is offered when one is open.
  const shareLink = async () => {
    if (!only) return;
    setError(undefined);
    try {
      const created = await unwrap(api.POST('/v1/payment_links', { body: { invoice_id: only.id } }));
      setLink(created.url);
    } catch (e) {
      setError(toApiError(e).message);
    }
  };
  const pay = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const paid = await unwrap(api.POST('/v1/billing/pay', { body: {} }));
      const numbers = paid.invoices
        .map((invoice) => invoice.number ?? '')
        .sort()
        .join(', ');
      onPaid(
        paid.status === 'paid'
          ? `${formatAmount(paid.amount, paid.currency)} paid (${paid.invoices.length === 1 ? 'invoice' : 'invoices'} ${numbers}). Thank you: your account is in good standing again.`
          : `Your payment of ${formatAmount(paid.amount, paid.currency)} is being confirmed by your bank.`,
      );
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
          {blocked ? 'Your account is blocked for unpaid invoices' : 'Your last payment failed'}
        </strong>
        <p>
          {only
            ? `${total} is due on invoice ${only.number}. `
            : `${total} is due on ${invoices.length} invoices (${invoices.map((i) => `${i.number}: ${formatAmount(i.amount_due, i.currency)}`).join(', ')}). `}
          {blocked
            ? `Pay ${only ? 'it' : 'them'} to unblock your account.`
            : nextAttempt
              ? `We will try your card again on ${formatDate(nextAttempt)}.`
              : ''}
        </p>
        {error ? <p className="payment-due-error">{error}</p> : null}
        {link ? <CopyBox label="Payment link" value={link} /> : null}
      </div>
      {canAct ? (
        <div className="row">
          {link || !only ? null : (
            <Button variant="ghost" onClick={shareLink}>
              Get a payment link
            </Button>
          )}
          <Button onClick={onSaveCard}>Use another card</Button>
          <Button variant="primary" busy={busy} onClick={pay}>
            Pay {total} now
          </Button>
        </div>
      ) : null}
    </div>
  );
}
