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

const bengaluru = {
  name: 'Quote Labs',
  email: 'billing@quote.example',
  address_line1: '12 MG Road',
  city: 'Bengaluru',
  state: 'KA',
  postal_code: '560001',
  country: 'IN',
  phone: '+919876543210',
  time_zone: 'Asia/Kolkata',
};

describe.each(engines())('the checkout quote on %s', (engine) => {
  let api: TestApi;
  let operator: Person;
  const plans: Record<string, string> = {};

  beforeAll(async () => {
    api = await testApi(engine);
    operator = await api.signUpOperator();
    for (const [code, name, price, trial, currency] of [
      ['pro', 'Pro', 9900, 0, 'USD'],
      ['team', 'Team', 19900, 14, 'USD'],
      ['pro_in', 'Pro India', 99900, 0, 'INR'],
    ] as const) {
      const created = await api.call({
        method: 'POST',
        url: '/v1/operator/plans',
        as: operator,
        body: { code, name, currency, interval: 'month', base_price: price, trial_days: trial },
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

  it('says what follows and which gateway takes the payment: then 99.00 a month from April 1, Stripe live', async () => {
    const who = await customerOnTestClock(api, california, '2027-03-10T20:00:00Z');
    const quote = (await who.call('POST', '/v1/checkout_quotes', { plan_id: plans.pro })).json();
    expect(quote.recurring).toEqual({
      from: '2027-04-01T07:00:00.000Z',
      interval: 'month',
      subtotal: 9900,
      tax: 0,
      total: 9900,
      usage_charges: false,
    });
    // No gateway has keys here: the test gateway takes it, and live mode would route the US to Stripe.
    expect(quote.gateway).toEqual({ name: 'test', live: 'stripe', country: 'US' });
  });

  it('quotes nothing now for a trial, and the fee from the trial’s end', async () => {
    const who = await customerOnTestClock(api, california, '2027-03-10T20:00:00Z');
    const quote = (await who.call('POST', '/v1/checkout_quotes', { plan_id: plans.team })).json();
    expect(quote).toMatchObject({ trialing: true, lines: [], total: 0 });
    // 14 days from 10 March in Los Angeles: midnight of 24 March, daylight time (UTC-7).
    expect(quote.recurring).toMatchObject({ from: '2027-03-24T07:00:00.000Z', total: 19900 });
  });

  it('quotes India with GST now and after, and its test gateway page names Cashfree and why', async () => {
    const who = await customerOnTestClock(api, bengaluru, '2027-03-10T06:30:00Z');
    const quote = (await who.call('POST', '/v1/checkout_quotes', { plan_id: plans.pro_in })).json();
    // 22 of March's 31 days of 999.00 is 708.97; GST 18% on top: 127.61.
    expect(quote).toMatchObject({ subtotal: 70897, tax: 12761, total: 83658 });
    expect(quote.recurring).toMatchObject({ subtotal: 99900, tax: 17982, total: 117882 });
    expect(quote.gateway).toEqual({ name: 'test', live: 'cashfree', country: 'IN' });
    const session = (await who.call('POST', '/v1/checkout_sessions', { plan_id: plans.pro_in })).json();
    const page = await api.call({ method: 'GET', url: new URL(session.url).pathname });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(
      'In live mode this payment goes to <strong>Cashfree</strong>: customers billed in India pay through Cashfree.',
    );
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
