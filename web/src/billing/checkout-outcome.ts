import type { CheckoutSession } from '../api/client';
import { formatAmount } from '../shared/money';

/**
 * A checkout's end in words, and how often a checkout still open is asked about: the one place for
 * both, whether the page waits for a payment made in another tab (the Buy plan dialog) or the gateway
 * sent the person back (`?checkout=`).
 */

/** Asked about every 3 s in the first minute, while a payment usually lands. */
const FIRST_MINUTE_MS = 60_000;
const FAST_POLL_MS = 3_000;
/** Then every 20 s: a payment that takes longer (a bank's confirmation) still shows, unhurried. */
const SLOW_POLL_MS = 20_000;
/** After a quarter of an hour the page stops asking; "Check again" asks once more and waits anew. */
export const CHECKOUT_WAIT_LIMIT_MS = 15 * 60_000;

/**
 * How long until the checkout is asked about again, `waitedMs` after the page began waiting for it;
 * false once it has waited long enough.
 */
export function checkoutPollDelay(waitedMs: number): number | false {
  if (waitedMs >= CHECKOUT_WAIT_LIMIT_MS) return false;
  return waitedMs < FIRST_MINUTE_MS ? FAST_POLL_MS : SLOW_POLL_MS;
}

export interface CheckoutNews {
  tone: 'success' | 'warning';
  message: string;
}

/**
 * A payment that arrived while another paid plan was already in force (paid in another tab) is
 * refunded in full rather than kept: the person reads why, in the currency they paid in.
 */
function refundedConflictMessage(conflict: NonNullable<CheckoutSession['conflict']>): string {
  const paid = formatAmount(conflict.amount, conflict.currency);
  const refund = conflict.refund_status === 'refunded' ? 'was refunded' : 'is being refunded';
  return `You already subscribed to ${conflict.plan_name} in another tab; your payment of ${paid} ${refund}.`;
}

/**
 * What a checkout's end means for the person: undefined while it is still open, unless the person
 * cancelled on the gateway's page (`cancelled`), which ends the wait.
 */
export function checkoutNews(session: CheckoutSession, cancelled = false): CheckoutNews | undefined {
  if (session.outcome === 'refunded_conflict')
    return {
      tone: 'warning',
      message: session.conflict
        ? refundedConflictMessage(session.conflict)
        : 'Another plan was paid for meanwhile, so this payment is refunded in full.',
    };
  if (session.status === 'complete' && session.payment)
    return {
      tone: 'success',
      message: `Payment of ${formatAmount(session.payment.amount, session.payment.currency)} received. Your plan is active.`,
    };
  if (session.status === 'complete' && session.mode === 'setup')
    return { tone: 'success', message: 'Card saved. It is now your default payment method.' };
  if (session.status === 'complete') return { tone: 'success', message: 'Your plan is active.' };
  if (session.status === 'expired')
    return { tone: 'warning', message: 'That checkout expired before it was paid. Nothing was charged.' };
  if (cancelled) return { tone: 'success', message: 'Checkout cancelled. Nothing was charged.' };
  return undefined;
}

/** Back from the gateway's page with the checkout still open: the payment may be on its way. */
export const CHECKOUT_PENDING_MESSAGE =
  'The payment is not complete yet. If you paid, it will show here shortly.';

/** The page stopped asking after CHECKOUT_WAIT_LIMIT_MS. */
export const CHECKOUT_STOPPED_MESSAGE =
  'No payment has arrived yet, so this page stopped checking. If you paid, check again; nothing is charged twice.';
