import { beforeAll, describe, expect, it, vi } from 'vitest';
import type { CheckoutSession } from '../api/client';
import { CHECKOUT_WAIT_LIMIT_MS, checkoutNews, checkoutPollDelay } from './checkout-outcome';

const session = (changes: Partial<CheckoutSession>) =>
  ({
    id: 'cs_1',
    status: 'open',
    mode: 'payment',
    outcome: null,
    payment: null,
    conflict: null,
    ...changes,
  }) as CheckoutSession;

// The reader's locale, which the browser gives and Node 20 does not: an American reader.
beforeAll(() => {
  vi.stubGlobal('navigator', { language: 'en-US' });
});

describe('waiting for a checkout', () => {
  it('asks every 3 s in the first minute, then every 20 s, and stops after a quarter of an hour', () => {
    expect(checkoutPollDelay(0)).toBe(3_000);
    expect(checkoutPollDelay(59_999)).toBe(3_000);
    expect(checkoutPollDelay(60_000)).toBe(20_000);
    expect(checkoutPollDelay(CHECKOUT_WAIT_LIMIT_MS - 1)).toBe(20_000);
    expect(checkoutPollDelay(CHECKOUT_WAIT_LIMIT_MS)).toBe(false);
    expect(CHECKOUT_WAIT_LIMIT_MS).toBe(15 * 60_000);
  });
});

describe('how a checkout ended, in words', () => {
  it('says nothing while it is open, unless the person cancelled at the gateway', () => {
    expect(checkoutNews(session({}))).toBeUndefined();
    expect(checkoutNews(session({}), true)).toEqual({
      tone: 'success',
      message: 'Checkout cancelled. Nothing was charged.',
    });
  });

  it('names the payment received, in its currency', () => {
    const paid = session({
      status: 'complete',
      payment: { amount: 4900, currency: 'USD' } as CheckoutSession['payment'],
    });
    expect(checkoutNews(paid)?.message).toBe('Payment of $49.00 received. Your plan is active.');
  });

  it('says a payment made while another plan was in force is refunded, with the amount', () => {
    const refunded = session({
      status: 'complete',
      outcome: 'refunded_conflict',
      conflict: { plan_name: 'Pro', amount: 4900, currency: 'USD', refund_status: 'pending' },
    });
    expect(checkoutNews(refunded)).toEqual({
      tone: 'warning',
      message: 'You already subscribed to Pro in another tab; your payment of $49.00 is being refunded.',
    });
  });

  it('says a saved card and an expired checkout apart', () => {
    expect(checkoutNews(session({ status: 'complete', mode: 'setup' }))?.message).toBe(
      'Card saved. It is now your default payment method.',
    );
    expect(checkoutNews(session({ status: 'expired' }))?.tone).toBe('warning');
  });
});
