import { describe, expect, it } from 'vitest';
import { systemClock } from '../../../time/index.js';
import { CashfreeGateway } from './cashfree-gateway.js';

/**
 * Against Cashfree's sandbox, when CASHFREE_SANDBOX_CLIENT_ID and CASHFREE_SANDBOX_CLIENT_SECRET are
 * set: the calls the emulator stands in for, answered by Cashfree itself. Without them the tests say
 * they skipped.
 */
const clientId = process.env.CASHFREE_SANDBOX_CLIENT_ID;
const clientSecret = process.env.CASHFREE_SANDBOX_CLIENT_SECRET;

describe.skipIf(!clientId || !clientSecret)('Cashfree sandbox (CASHFREE_SANDBOX_CLIENT_ID/SECRET)', () => {
  const cashfree = new CashfreeGateway(
    {
      clientId: clientId ?? '',
      clientSecret: clientSecret ?? '',
      environment: 'sandbox',
      checkoutUrl: (s) => s,
    },
    systemClock,
  );
  const run = `${Date.now()}`;
  const payer = {
    id: `cus_${run}`,
    name: 'Billfold sandbox',
    email: 'sandbox@example.com',
    phone: '9999999999',
  };

  it('creates an order with a payment session, and a payment link it then cancels', async () => {
    const order = await cashfree.createCheckout({
      mode: 'payment',
      gatewayCustomerRef: payer.id,
      payer,
      amount: 10000n,
      currency: 'INR',
      description: 'Billfold sandbox order',
      successUrl: 'https://example.com/return',
      cancelUrl: 'https://example.com/cancel',
      expiresAt: new Date(systemClock.now().epochMilliseconds + 3_600_000),
      metadata: { run },
      idempotencyKey: `live-order-${run}`,
    });
    expect(order.status).toBe('open');
    expect(order.url).toMatch(/^session_/);
    const link = await cashfree.createPaymentLink({
      gatewayCustomerRef: payer.id,
      payer,
      amount: 5000n,
      currency: 'INR',
      description: 'Billfold sandbox link',
      expiresAt: new Date(systemClock.now().epochMilliseconds + 86_400_000),
      metadata: { run },
      idempotencyKey: `live-link-${run}`,
    });
    expect(link.status).toBe('active');
    expect((await cashfree.cancelPaymentLink(link.ref, `live-cancel-${run}`)).status).toBe('cancelled');
  });
});
