import type { Db } from '../db/database.js';
import type { GatewayName } from '../db/schema.js';
import { BillfoldError } from '../errors.js';
import { enqueue } from '../jobs/queue.js';
import type { Clock } from '../time/index.js';
import { CashfreeGateway, type CashfreeSettings } from './gateways/cashfree/cashfree-gateway.js';
import { StripeGateway, type StripeSettings } from './gateways/stripe/stripe-gateway.js';
import { TestGateway } from './gateways/test/test-gateway.js';
import { TEST_GATEWAY_WEBHOOK_JOB } from './gateways/test/webhook-delivery.js';
import type { GatewayRegistry, PaymentGateway } from './port.js';

/**
 * The gateways of one Billfold process. The test gateway is always there; Stripe and Cashfree are
 * added when their keys are configured.
 */
export function createGatewayRegistry(deps: {
  db: Db;
  clock: Clock;
  publicUrl: () => string;
  configured: readonly GatewayName[];
  stripe?: StripeSettings | undefined;
  cashfree?: CashfreeConfig | undefined;
}): GatewayRegistry & { test: TestGateway } {
  const test = new TestGateway({
    ...deps,
    // Each event is delivered by a job queued with it: it leaves only if the change commits.
    onEvent: async (tx, eventId) => {
      const data = { event_id: eventId, url: new URL('/v1/webhooks/test', deps.publicUrl()).toString() };
      const fault = test.webhookFault;
      // Faults a test can switch on: each event delivered twice, or late (after the ones that follow).
      await enqueue(tx, TEST_GATEWAY_WEBHOOK_JOB, data, fault === 'late' ? { startAfter: 5 } : {});
      if (fault === 'duplicate') await enqueue(tx, TEST_GATEWAY_WEBHOOK_JOB, data);
    },
  });
  const adapters = new Map<GatewayName, PaymentGateway>([['test', test]]);
  if (deps.stripe && deps.configured.includes('stripe'))
    adapters.set('stripe', new StripeGateway(deps.stripe, deps.clock));
  if (deps.cashfree && deps.configured.includes('cashfree')) {
    const { checkoutBase, ...settings } = deps.cashfree;
    // Orders are paid, and mandates authorised, on Cashfree's pages opened from a session id.
    const checkoutUrl = (session: string, kind: 'order' | 'subscription') => {
      const path =
        kind === 'subscription' ? `mandate/${encodeURIComponent(session)}` : encodeURIComponent(session);
      return checkoutBase
        ? `${checkoutBase}/${path}`
        : new URL(`/pay/cashfree/${path}`, deps.publicUrl()).toString();
    };
    adapters.set('cashfree', new CashfreeGateway({ ...settings, checkoutUrl }, deps.clock));
  }
  return {
    test,
    configured: new Set(deps.configured),
    has: (name) => adapters.has(name),
    get(name) {
      const adapter = adapters.get(name);
      if (!adapter) {
        throw new BillfoldError(
          'invalid_request',
          'gateway.unavailable',
          `Payments through ${name} are not available on this Billfold yet`,
        );
      }
      return adapter;
    },
  };
}

/** Cashfree's keys; `checkoutBase` sends payers to another checkout page (the emulator's). */
export type CashfreeConfig = Omit<CashfreeSettings, 'checkoutUrl'> & { checkoutBase?: string };
