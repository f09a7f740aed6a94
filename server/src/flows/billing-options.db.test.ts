import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Person, type TestApi, testApi } from '../testing/api.js';
import { checkoutWithCard, customerOnTestClock } from '../testing/billing.js';
import { engines } from '../testing/databases.js';

/**
 * The options around the monthly run: anniversary billing, a second subscription beside the first
 * (each its own license and statement), tax included in prices by state, and the issuer's invoice
 * prefix, due day and retry schedule.
 */

const losAngeles = {
  name: 'Options Inc.',
  email: 'billing@options.example',
  address_line1: '1 Market St',
  city: 'San Francisco',
  state: 'CA',
  postal_code: '94105',
  country: 'US',
  time_zone: 'America/Los_Angeles',
};

describe.each(engines())('billing options on %s', (engine) => {
  let api: TestApi;
  let operator: Person;
  const plans: Record<string, string> = {};

  beforeAll(async () => {
    api = await testApi(engine);
    operator = await api.signUpOperator();
    for (const [code, name, price] of [
      ['basic', 'Basic', 1000],
      ['pro', 'Pro', 2000],
    ] as const) {
      plans[code] = (
        await api.call({
          method: 'POST',
          url: '/v1/operator/plans',
          as: operator,
          body: { code, name, currency: 'USD', interval: 'month', base_price: price },
        })
      ).json().id;
    }
  });
  afterAll(() => api.close());

  async function customer(at: string) {
    const { call, advance } = await customerOnTestClock(api, losAngeles, at);
    const checkout = (body: object, card = '4242424242424242') => checkoutWithCard(api, { call }, body, card);
    const live = async () =>
      (await call('GET', '/v1/subscriptions'))
        .json()
        .data.filter((s: { status: string }) => s.status !== 'cancelled');
    const invoices = async () => (await call('GET', '/v1/invoices')).json().data.reverse();
    return { call, checkout, advance, live, invoices };
  }

  it('bills months from the day of subscribing with anniversary billing, without proration', async () => {
    const who = await customer('2027-03-10T20:00:00Z');
    const session = await who.checkout({ plan_id: plans.basic, billing_mode: 'anniversary' });
    expect(session.amount).toBe(1000);
    const [sub] = await who.live();
    expect(sub).toMatchObject({
      billing_mode: 'anniversary',
      current_period_end: '2027-04-10T07:00:00.000Z',
    });
    await who.advance('2027-04-10T07:00:00Z');
    expect((await who.invoices()).at(-1)).toMatchObject({
      period_start: '2027-04-10T07:00:00.000Z',
      period_end: '2027-05-10T07:00:00.000Z',
      total: 1000,
      status: 'paid',
    });
  });

  it('holds a second subscription beside the first, each with its own invoices and statements', async () => {
    const who = await customer('2027-03-10T20:00:00Z');
    await who.checkout({ plan_id: plans.basic });
    // Without `additional`, a second paid plan is refused: it would bill the same days twice.
    const refused = await who.call('POST', '/v1/checkout_sessions', { plan_id: plans.pro });
    expect(refused.json().error.code).toBe('subscription.use_modify_plan');
    await who.checkout({ plan_id: plans.pro, additional: true });
    const live = await who.live();
    expect(live.map((s: { plan_name: string }) => s.plan_name).sort()).toEqual(['Basic', 'Pro']);
    await who.advance('2027-04-01T07:00:00Z');
    const april = (await who.invoices()).filter(
      (i: { billing_reason: string }) => i.billing_reason === 'subscription_cycle',
    );
    expect(april.map((i: { total: number }) => i.total).sort()).toEqual([1000, 2000]);
    for (const sub of live) {
      const statements = (await who.call('GET', `/v1/statements?subscription_id=${sub.id}`)).json().data;
      expect(statements.map((s: { month: string }) => s.month)).toEqual(['2027-04', '2027-03']);
    }
  });

  it('takes tax out of prices where it is included, and applies the issuer’s prefix, due day and retries', async () => {
    const set = await api.call({
      method: 'POST',
      url: '/v1/operator/tax_rates',
      as: operator,
      body: { country: 'US', region: 'CA', name: 'Sales tax', percent: '7.25', inclusive: true },
    });
    expect(set.statusCode, set.body).toBe(200);
    const settings = await api.call({
      method: 'PATCH',
      url: '/v1/operator/billing_settings',
      as: operator,
      body: { invoice_prefix: 'ACME', due_day: 10, retry_days: [2, 4] },
    });
    expect(settings.json()).toMatchObject({ invoice_prefix: 'ACME', due_day: 10, retry_days: [2, 4] });
    const refused = await api.call({
      method: 'PATCH',
      url: '/v1/operator/billing_settings',
      as: operator,
      body: { retry_days: [5, 3] },
    });
    expect(refused.statusCode).toBe(400);

    const who = await customer('2027-03-01T09:00:00Z');
    await who.checkout({ plan_id: plans.basic });
    const [first] = await who.invoices();
    // 1000 includes 7.25%: tax = 1000 × 7.25 / 107.25 = 67.60 → 68; net 932.
    expect(first).toMatchObject({
      total: 1000,
      tax: 68,
      subtotal: 932,
      tax_inclusive: true,
      due_at: '2027-03-10T08:00:00.000Z',
    });
    expect(first.number).toMatch(/^ACME-\d{6}$/);

    const setup = (await who.call('POST', '/v1/checkout_sessions', { mode: 'setup' })).json();
    await api.payAtTestGateway(setup.url, '4000000000000341');
    await who.call('POST', `/v1/checkout_sessions/${setup.id}/sync`);
    await who.advance('2027-04-01T07:00:00Z');
    expect((await who.invoices()).at(-1).next_attempt_at).toBe('2027-04-03T07:00:00.000Z');
    await who.advance('2027-04-03T07:00:00Z');
    expect((await who.invoices()).at(-1).next_attempt_at).toBe('2027-04-05T07:00:00.000Z');
    await who.advance('2027-04-05T07:00:00Z');
    expect((await who.call('GET', '/v1/billing/status')).json().status).toBe('blocked');

    // The operator gives up on it, then voids it: a credit note takes the charge back.
    const open = (await who.invoices()).at(-1);
    const orgId = (await who.call('GET', '/v1/billing_customer')).json().org_id;
    const operatorCall = (action: string) =>
      api.call({
        method: 'POST',
        url: `/v1/operator/organizations/${orgId}/invoices/${open.id}/${action}`,
        as: operator,
        body: { reason: 'Customer went out of business' },
      });
    expect((await operatorCall('mark_uncollectible')).json()).toMatchObject({
      status: 'uncollectible',
      next_attempt_at: null,
    });
    expect((await operatorCall('mark_uncollectible')).json().error.code).toBe('invoice.not_open');
    expect((await operatorCall('void')).json()).toMatchObject({ status: 'void', amount_due: 0 });
    const sub = open.subscription_id;
    const ledger = (await who.call('GET', `/v1/ledger_entries?subscription_id=${sub}`)).json();
    expect(ledger.data.at(-1)).toMatchObject({ kind: 'credit', amount: 1000 });
  });
});
