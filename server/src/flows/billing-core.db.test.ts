import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Person, type TestApi, testApi } from '../testing/api.js';
import { customerOnTestClock } from '../testing/billing.js';
import { engines } from '../testing/databases.js';

/**
 * The rating core's promise through the API: what a person is shown is what is then invoiced, to the
 * cent. For any start instant, time zone and plan terms (fee in advance or in arrears, with or
 * without a minimum, with tax or without), the checkout's quote is the first invoice and the
 * subscription's next_invoice is the invoice the billing run issues when the period ends.
 */

const zones = [
  'America/Los_Angeles',
  'America/New_York',
  'Pacific/Honolulu',
  'Europe/Berlin',
  'Asia/Kolkata',
];

const customerIn = (timeZone: string, taxed: boolean) =>
  taxed
    ? {
        name: 'Core India',
        email: 'billing@core.example',
        address_line1: '1 MG Road',
        city: 'Bengaluru',
        state: 'KA',
        postal_code: '560001',
        country: 'IN',
        phone: '+919876543210',
        time_zone: timeZone,
      }
    : {
        name: 'Core Inc.',
        email: 'billing@core.example',
        address_line1: '1 Market St',
        city: 'San Francisco',
        state: 'CA',
        postal_code: '94105',
        country: 'US',
        time_zone: timeZone,
      };

// The test platform clock is 2027-01-15T10:00Z (testing/api.ts): a test clock starts after it.
describe.each(engines())('the rating core through the API on %s', (engine) => {
  let api: TestApi;
  let operator: Person;
  const plans = new Map<string, string>();

  beforeAll(async () => {
    api = await testApi(engine);
    operator = await api.signUpOperator();
    for (const currency of ['USD', 'INR'] as const) {
      for (const fee_timing of ['advance', 'arrears'] as const) {
        for (const minimum_commitment of [0, 7777]) {
          const code = `core_${currency}_${fee_timing}_${minimum_commitment}`.toLowerCase();
          const created = await api.call({
            method: 'POST',
            url: '/v1/operator/plans',
            as: operator,
            body: {
              code,
              name: code,
              currency,
              interval: 'month',
              base_price: 2999,
              fee_timing,
              minimum_commitment,
            },
          });
          expect(created.statusCode, created.body).toBe(201);
          plans.set(code, created.json().id);
        }
      }
    }
  });
  afterAll(() => api.close());

  it('invoices what the quote and next_invoice said, for any instant, zone and terms', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...zones),
        fc.integer({ min: Date.UTC(2027, 0, 16), max: Date.UTC(2028, 11, 31) }),
        fc.constantFrom('advance' as const, 'arrears' as const),
        fc.constantFrom(0, 7777),
        fc.boolean(),
        async (zone, epochMs, timing, minimum, taxed) => {
          const start = new Date(Math.floor(epochMs / 1000) * 1000).toISOString();
          const who = await customerOnTestClock(api, customerIn(zone, taxed), start);
          const setup = (await who.call('POST', '/v1/checkout_sessions', { mode: 'setup' })).json();
          await api.payAtTestGateway(setup.url, '4242424242424242');
          await who.call('POST', `/v1/checkout_sessions/${setup.id}/sync`);
          const code = `core_${taxed ? 'inr' : 'usd'}_${timing}_${minimum}`;
          const session = (
            await who.call('POST', '/v1/checkout_sessions', { plan_id: plans.get(code) })
          ).json();
          if (session.amount > 0) {
            await api.payAtTestGateway(session.url, '4242424242424242');
            await who.call('POST', `/v1/checkout_sessions/${session.id}/sync`);
          }
          const invoices = async () => (await who.call('GET', '/v1/invoices')).json().data.reverse();
          const first = await invoices();
          // The quote is the first invoice (none when nothing is due now).
          expect(first.map((i: { total: number }) => i.total)).toEqual(
            session.amount > 0 ? [session.amount] : [],
          );

          const sub = (await who.call('GET', '/v1/subscriptions'))
            .json()
            .data.find((s: { plan_id: string }) => s.plan_id === plans.get(code));
          expect(sub.next_invoice).not.toBeNull();
          await who.advance(sub.next_invoice.at);
          const after = await invoices();
          expect(after).toHaveLength(first.length + 1);
          expect(after.at(-1).total).toBe(sub.next_invoice.total);
          expect(after.at(-1).subtotal + after.at(-1).tax).toBe(after.at(-1).total);
        },
      ),
      { numRuns: 8 },
    );
  });
});
