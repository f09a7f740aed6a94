import { useQuery } from '@tanstack/react-query';
import { api, type BillingStatus } from '../api/client';
import { useSubmit } from '../api/forms';
import { billingChanges, queries } from '../api/queries';
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
  canAct,
  onPaid,
  onSaveCard,
}: {
  organizationId: string;
  canAct: boolean;
  onPaid: (message: string) => void;
  onSaveCard: () => void;
}) {
  const status = useQuery(queries.billingStatus(organizationId));
  if (!status.data || status.data.status === 'active' || status.data.open_invoices.length === 0) return null;
  return (
    <PaymentDue
      organizationId={organizationId}
      status={status.data}
      canAct={canAct}
      onPaid={onPaid}
      onSaveCard={onSaveCard}
    />
  );
}

function PaymentDue({
  organizationId,
  status,
  canAct,
  onPaid,
  onSaveCard,
}: {
  organizationId: string;
  status: BillingStatus;
  canAct: boolean;
  onPaid: (message: string) => void;
  onSaveCard: () => void;
}) {
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
  const shareLink = useSubmit({
    send: (invoiceId: string) => api.POST('/v1/payment_links', { body: { invoice_id: invoiceId } }),
    invalidates: [[organizationId, 'payment_links']],
  });
  const link = shareLink.result?.url;
  const pay = useSubmit({
    send: () => api.POST('/v1/billing/pay', { body: {} }),
    onSuccess: (paid) => {
      const numbers = paid.invoices
        .map((invoice) => invoice.number ?? '')
        .sort()
        .join(', ');
      onPaid(
        paid.status === 'paid'
          ? `${formatAmount(paid.amount, paid.currency)} paid (${paid.invoices.length === 1 ? 'invoice' : 'invoices'} ${numbers}). Thank you: your account is in good standing again.`
          : `Your payment of ${formatAmount(paid.amount, paid.currency)} is being confirmed by your bank.`,
      );
    },
    invalidates: billingChanges(organizationId),
  });
  const error = pay.errors.general ?? shareLink.errors.general;
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
            <Button variant="ghost" onClick={() => shareLink.submit(only.id)}>
              Get a payment link
            </Button>
          )}
          <Button onClick={onSaveCard}>Use another card</Button>
          <Button variant="primary" busy={pay.pending} onClick={() => pay.submit()}>
            Pay {total} now
          </Button>
        </div>
      ) : null}
    </div>
  );
}
