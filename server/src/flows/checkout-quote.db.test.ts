import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Person, type TestApi, testApi } from '../testing/api.js';
import { checkoutWithCard, customerOnTestClock } from '../testing/billing.js';
import { engines } from '../testing/databases.js';

/**
 * The price a plan's details page shows is the checkout's own quote: the first period prorated by
 * days, with tax, after the checks the checkout makes (a subscriber is sent to Modify plan).
 */

const california = {
  name: 'Quote Inc.',
  email: 'billing@quote.example',
  address_line1: '1 Market St',
  city: 'San Francisco',
  state: 'CA',
  postal_code: '94105',
  country: 'US',
  time_zone: 'America/Los_Angeles',
};

describe.each(engines())('the checkout quote on %s', (engine) => {
  let api: TestApi;
  let operator: Person;
  const plans: Record<string, string> = {};

  beforeAll(async () => {
    api = await testApi(engine);
    operator = await api.signUpOperator();
    for (const [code, name, price, trial] of [
      ['pro', 'Pro', 9900, 0],
      ['team', 'Team', 19900, 14],
    ] as const) {
      const created = await api.call({
        method: 'POST',
        url: '/v1/operator/plans',
        as: operator,
        body: { code, name, currency: 'USD', interval: 'month', base_price: price, trial_days: trial },
      });
      expect(created.statusCode, created.body).toBe(201);
      plans[code] = created.json().id;
    }
  });
  afterAll(() => api.close());

  it('quotes what the checkout then takes: 22 of March’s 31 days of 99.00 is 70.26', async () => {
    const who = await customerOnTestClock(api, california, '2027-03-10T20:00:00Z');
    const quote = await who.call('POST', '/v1/checkout_quotes', { plan_id: plans.pro });
    expect(quote.statusCode, quote.body).toBe(200);
    // 9900 × 22 / 31 = 7025.81 → 7026.
    expect(quote.json()).toMatchObject({
      object: 'checkout_quote',
      currency: 'USD',
      period_start: '2027-03-10T20:00:00.000Z',
      period_end: '2027-04-01T07:00:00.000Z',
      trialing: false,
      lines: [{ amount: 7026 }],
      subtotal: 7026,
      tax: 0,
      total: 7026,
    });
    const session = await who.call('POST', '/v1/checkout_sessions', { plan_id: plans.pro });
    expect(session.json().amount).toBe(quote.json().total);
  });

  it('quotes nothing now for a trial', async () => {
    const who = await customerOnTestClock(api, california, '2027-03-10T20:00:00Z');
    const quote = (await who.call('POST', '/v1/checkout_quotes', { plan_id: plans.team })).json();
    expect(quote).toMatchObject({ trialing: true, lines: [], total: 0 });
  });

  it('sends an organization that pays for a plan already to Modify plan, and refuses bad input', async () => {
    const who = await customerOnTestClock(api, california, '2027-03-10T20:00:00Z');
    await checkoutWithCard(api, who, { plan_id: plans.pro });
    const same = await who.call('POST', '/v1/checkout_quotes', { plan_id: plans.pro });
    expect(same.statusCode).toBe(409);
    expect(same.json().error.code).toBe('checkout.already_subscribed');
    const other = await who.call('POST', '/v1/checkout_quotes', { plan_id: plans.team });
    expect(other.statusCode).toBe(409);
    expect(other.json().error.code).toBe('subscription.use_modify_plan');
    const malformed = await who.call('POST', '/v1/checkout_quotes', { plan_id: 'nope' });
    expect(malformed.statusCode).toBe(400);
    const unknown = await who.call('POST', '/v1/checkout_quotes', {
      plan_id: plans.pro?.replace(/.$/, (c) => (c === 'a' ? 'b' : 'a')),
    });
    expect(unknown.statusCode).toBe(404);
  });
});
