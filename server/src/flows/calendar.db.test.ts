import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Person, type TestApi, testApi } from '../testing/api.js';
import { checkoutWithCard, customerOnTestClock } from '../testing/billing.js';
import { engines } from '../testing/databases.js';

/**
 * docs/billing-rules.md R12–R14, the calendar (C18), through the API on a test clock: each interval
 * calendar-aligned, anniversary periods and a billing day apart from the start, in Los Angeles and in
 * Kolkata. Every amount is the document's, worked out by hand there and here.
 */

const losAngeles = {
  name: 'Calendar Inc.',
  email: 'billing@calendar.example',
  address_line1: '1 Market St',
  city: 'San Francisco',
  state: 'CA',
  postal_code: '94105',
  country: 'US',
  time_zone: 'America/Los_Angeles',
};

const kolkata = {
  ...losAngeles,
  name: 'Calendar India',
  city: 'Bengaluru',
  state: 'KA',
  postal_code: '560001',
  country: 'IN',
  phone: '+919876543210',
  time_zone: 'Asia/Kolkata',
};

interface Invoice {
  period_start: string;
  period_end: string;
  subtotal: number;
  tax: number;
  total: number;
  billing_reason: string;
}

describe.each(engines())('the billing calendar on %s', (engine) => {
  let api: TestApi;
  let operator: Person;
  const plans: Record<string, string> = {};

  beforeAll(async () => {
    api = await testApi(engine);
    operator = await api.signUpOperator();
    for (const [code, currency, interval, price] of [
      ['weekly', 'USD', 'week', 700],
      ['basic', 'USD', 'month', 1000],
      ['quarterly', 'USD', 'quarter', 9000],
      ['half_yearly', 'USD', 'half_year', 6000],
      ['weekly_inr', 'INR', 'week', 49900],
      ['quarterly_inr', 'INR', 'quarter', 900000],
      ['yearly_inr', 'INR', 'year', 1200000],
    ] as const) {
      const created = await api.call({
        method: 'POST',
        url: '/v1/operator/plans',
        as: operator,
        body: { code, name: code, currency, interval, base_price: price },
      });
      expect(created.statusCode, created.body).toBe(201);
      expect(created.json().interval).toBe(interval);
      plans[code] = created.json().id;
    }
  });
  afterAll(() => api.close());

  /** A customer on a test clock at `at`, subscribed to `plan` with `options` at checkout. */
  async function subscribed(plan: string, at: string, details: object, options: object = {}) {
    const { call, advance } = await customerOnTestClock(api, details, at);
    const session = await checkoutWithCard(api, { call }, { plan_id: plans[plan], ...options });
    const [sub] = (await call('GET', '/v1/subscriptions')).json().data;
    const invoices = async (): Promise<Invoice[]> =>
      (await call('GET', '/v1/invoices')).json().data.reverse();
    /** Moves the clock to `to` and returns the invoice the renewal issued then. */
    const renewAt = async (to: string) => {
      const moved = await advance(to);
      expect(moved.statusCode, moved.body).toBe(200);
      const renewal = (await invoices()).at(-1);
      expect(renewal?.billing_reason).toBe('subscription_cycle');
      return renewal;
    };
    return { call, session, sub, invoices, renewAt };
  }

  it('R12: weeks, quarters, half-years and years are calendar-aligned too', async () => {
    const weekly = await subscribed('weekly', '2027-03-10T21:00:00Z', losAngeles);
    // 700 × 5 / 7: Wednesday to Sunday of the week of Monday 8 March.
    expect(weekly.session.amount).toBe(500);
    expect(weekly.sub).toMatchObject({
      billing_mode: 'calendar',
      billing_day: 1,
      current_period_end: '2027-03-15T07:00:00.000Z',
    });
    expect(await weekly.renewAt('2027-03-15T07:00:00Z')).toMatchObject({
      period_start: '2027-03-15T07:00:00.000Z',
      period_end: '2027-03-22T07:00:00.000Z',
      total: 700,
    });

    const quarterly = await subscribed('quarterly_inr', '2027-05-10T04:00:00Z', kolkata);
    // 900000 × 52 / 91 = 514285.71 → 514286; GST 18% of it = 92571.48 → 92571.
    expect(await quarterly.invoices()).toMatchObject([{ subtotal: 514286, tax: 92571, total: 606857 }]);
    expect(quarterly.sub.current_period_end).toBe('2027-06-30T18:30:00.000Z');
    expect(await quarterly.renewAt('2027-06-30T18:30:00Z')).toMatchObject({
      period_start: '2027-06-30T18:30:00.000Z',
      period_end: '2027-09-30T18:30:00.000Z',
      subtotal: 900000,
      tax: 162000,
      total: 1062000,
    });

    const halfYearly = await subscribed('half_yearly', '2028-02-10T20:00:00Z', losAngeles);
    // 6000 × 142 / 182 = 4681.32 → 4681: January to June 2028 holds 29 February.
    expect(halfYearly.session.amount).toBe(4681);
    expect(await halfYearly.renewAt('2028-07-01T07:00:00Z')).toMatchObject({
      period_start: '2028-07-01T07:00:00.000Z',
      period_end: '2029-01-01T08:00:00.000Z',
      total: 6000,
    });

    const yearly = await subscribed('yearly_inr', '2028-10-01T04:00:00Z', kolkata);
    // 1200000 × 92 / 366 = 301639.34 → 301639; GST 54295.02 → 54295.
    expect(await yearly.invoices()).toMatchObject([{ subtotal: 301639, tax: 54295, total: 355934 }]);
    expect(await yearly.renewAt('2028-12-31T18:30:00Z')).toMatchObject({
      period_start: '2028-12-31T18:30:00.000Z',
      period_end: '2029-12-31T18:30:00.000Z',
      total: 1416000,
    });
  });

  it('R13: anniversary periods count from the start', async () => {
    const quarterly = await subscribed('quarterly', '2027-11-30T20:00:00Z', losAngeles, {
      billing_mode: 'anniversary',
    });
    expect(quarterly.session.amount).toBe(9000);
    expect(quarterly.sub).toMatchObject({
      billing_mode: 'anniversary',
      billing_day: 30,
      current_period_end: '2028-02-29T08:00:00.000Z',
    });
    expect(await quarterly.renewAt('2028-02-29T08:00:00Z')).toMatchObject({
      period_start: '2028-02-29T08:00:00.000Z',
      period_end: '2028-05-30T07:00:00.000Z',
      total: 9000,
    });

    // Thursday 11 March 2027, 10:00 in Kolkata.
    const weekly = await subscribed('weekly_inr', '2027-03-11T04:30:00Z', kolkata, {
      billing_mode: 'anniversary',
    });
    expect(await weekly.invoices()).toMatchObject([{ subtotal: 49900, tax: 8982, total: 58882 }]);
    expect(weekly.sub).toMatchObject({ billing_day: 4, current_period_end: '2027-03-17T18:30:00.000Z' });
    expect(await weekly.renewAt('2027-03-17T18:30:00Z')).toMatchObject({
      period_end: '2027-03-24T18:30:00.000Z',
      total: 58882,
    });

    const leap = await subscribed('yearly_inr', '2028-02-29T04:30:00Z', kolkata, {
      billing_mode: 'anniversary',
    });
    expect(await leap.invoices()).toMatchObject([{ subtotal: 1200000 }]);
    expect(leap.sub.current_period_end).toBe('2029-02-27T18:30:00.000Z');
    expect(await leap.renewAt('2029-02-27T18:30:00Z')).toMatchObject({
      period_end: '2030-02-27T18:30:00.000Z',
      total: 1416000,
    });
  });

  it('R14: a billing day apart from the start day', async () => {
    const monthly = await subscribed('basic', '2027-03-10T21:00:00Z', losAngeles, { billing_day: 15 });
    // 1000 × 5 / 28: 10 to 14 March of the period from 15 February to 15 March.
    expect(monthly.session.amount).toBe(179);
    expect(monthly.sub).toMatchObject({ billing_day: 15, current_period_end: '2027-03-15T07:00:00.000Z' });
    expect(await monthly.renewAt('2027-03-15T07:00:00Z')).toMatchObject({
      period_end: '2027-04-15T07:00:00.000Z',
      total: 1000,
    });

    // Friday 12 March 2027 in Kolkata, billed on Wednesdays.
    const weekly = await subscribed('weekly_inr', '2027-03-12T04:30:00Z', kolkata, { billing_day: 3 });
    // 49900 × 5 / 7 = 35642.86 → 35643; GST 6415.74 → 6416.
    expect(await weekly.invoices()).toMatchObject([{ subtotal: 35643, tax: 6416, total: 42059 }]);
    expect(weekly.sub.current_period_end).toBe('2027-03-16T18:30:00.000Z');
    expect(await weekly.renewAt('2027-03-16T18:30:00Z')).toMatchObject({
      period_end: '2027-03-23T18:30:00.000Z',
      subtotal: 49900,
    });

    const quarterly = await subscribed('quarterly', '2027-02-10T20:00:00Z', losAngeles, {
      billing_mode: 'anniversary',
      billing_day: 1,
    });
    // 9000 × 80 / 89 = 8089.89 → 8090: 10 February to 30 April of 1 February to 1 May.
    expect(quarterly.session.amount).toBe(8090);
    expect(quarterly.sub.current_period_end).toBe('2027-05-01T07:00:00.000Z');
    expect(await quarterly.renewAt('2027-05-01T07:00:00Z')).toMatchObject({
      period_end: '2027-08-01T07:00:00.000Z',
      total: 9000,
    });
  });

  it('counts anniversary quarters from the quote when the checkout is paid after midnight at a month’s end', async () => {
    // Opened at noon on 31 January in Los Angeles, paid at 01:00 on 1 February.
    const { call, advance } = await customerOnTestClock(api, losAngeles, '2027-01-31T20:00:00Z');
    const session = (
      await call('POST', '/v1/checkout_sessions', { plan_id: plans.quarterly, billing_mode: 'anniversary' })
    ).json();
    await advance('2027-02-01T09:00:00Z');
    await api.payAtTestGateway(session.url, '4242424242424242');
    await call('POST', `/v1/checkout_sessions/${session.id}/sync`);
    const [sub] = (await call('GET', '/v1/subscriptions')).json().data;
    // The quarter quoted: 31 January to 30 April (the 31st clamped), 9000.
    expect(sub).toMatchObject({ billing_day: 31, current_period_end: '2027-04-30T07:00:00.000Z' });
    await advance('2027-04-30T07:00:00Z');
    const renewal = (await call('GET', '/v1/invoices')).json().data[0];
    // Counted from January, the next quarter ends on 31 July, whole; counted from February it would
    // have run from 30 April to 31 May, 31 of 92 days: 3033.
    expect(renewal).toMatchObject({
      period_start: '2027-04-30T07:00:00.000Z',
      period_end: '2027-07-31T07:00:00.000Z',
      total: 9000,
    });
  });

  it('refuses a billing day the plan’s interval does not have, and starts nothing', async () => {
    const { call } = await customerOnTestClock(api, losAngeles, '2027-03-10T21:00:00Z');
    for (const url of ['/v1/checkout_quotes', '/v1/checkout_sessions']) {
      const refused = await call('POST', url, { plan_id: plans.weekly, billing_day: 8 });
      expect(refused.statusCode, refused.body).toBe(400);
      expect(refused.json().error).toMatchObject({
        code: 'checkout.billing_day_out_of_range',
        param: 'billing_day',
      });
    }
    expect(
      (await call('POST', '/v1/checkout_quotes', { plan_id: plans.basic, billing_day: 32 })).statusCode,
    ).toBe(400);
    const subscriptions = (await call('GET', '/v1/subscriptions')).json().data;
    expect(subscriptions.filter((s: { plan_id: string }) => s.plan_id === plans.weekly)).toEqual([]);
    // Billing day 31 exists for a monthly plan (in April it is the 30th): March's period ends on the 31st.
    const quote = await call('POST', '/v1/checkout_quotes', { plan_id: plans.basic, billing_day: 31 });
    expect(quote.json()).toMatchObject({ period_end: '2027-03-31T07:00:00.000Z' });
  });
});
