import { describe, expect, it } from 'vitest';
import { systemClock } from '../../../time/index.js';
import { StripeGateway } from './stripe-gateway.js';

/**
 * Against Stripe's real test mode, when STRIPE_SANDBOX_SECRET_KEY is set (sk_test_...): the calls
 * the emulator stands in for, answered by Stripe itself. Without the key the tests say they skipped.
 */
const key = process.env.STRIPE_SANDBOX_SECRET_KEY;

describe.skipIf(!key?.startsWith('sk_test_'))('Stripe sandbox (STRIPE_SANDBOX_SECRET_KEY)', () => {
  const run = `${Date.now()}`;

  it('creates a customer, a payment checkout and a payment link, and deactivates the link', async () => {
    const stripe = new StripeGateway({ secretKey: key ?? '', webhookSecret: 'whsec_unused' }, systemClock);
    const { ref } = await stripe.ensureCustomer({
      customerId: `cus_billfold_${run}`,
      name: 'Billfold sandbox test',
      email: 'sandbox@example.com',
      country: 'US',
      idempotencyKey: `live-customer-${run}`,
    });
    const payer = {
      id: 'cus_billfold',
      name: 'Billfold sandbox test',
      email: 'sandbox@example.com',
      phone: '',
    };
    const checkout = await stripe.createCheckout({
      mode: 'payment',
      gatewayCustomerRef: ref,
      payer,
      amount: 1234n,
      currency: 'USD',
      description: 'Billfold sandbox test',
      successUrl: 'https://example.com/success',
      cancelUrl: 'https://example.com/cancel',
      expiresAt: new Date(systemClock.now().epochMilliseconds + 3_600_000),
      metadata: { run },
      idempotencyKey: `live-checkout-${run}`,
    });
    expect(checkout.status).toBe('open');
    expect(checkout.url).toMatch(/^https:\/\/checkout\.stripe\.com\//);
    const link = await stripe.createPaymentLink({
      gatewayCustomerRef: ref,
      payer,
      amount: 500n,
      currency: 'USD',
      description: 'Billfold sandbox link',
      expiresAt: new Date(systemClock.now().epochMilliseconds + 86_400_000),
      metadata: { run },
      idempotencyKey: `live-link-${run}`,
    });
    expect(link.status).toBe('active');
    expect((await stripe.cancelPaymentLink(link.ref, `live-cancel-${run}`)).status).toBe('cancelled');
  });
});
