import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApi, testApi } from '../testing/api.js';
import { checkoutWithCard, customerOnTestClock } from '../testing/billing.js';
import { engines } from '../testing/databases.js';

/**
 * Modify plan (C17) in time: two upgrades in one month and a downgrade, each summary equal to its
 * invoice to the cent and the month's charges equal to the amounts worked out by hand; and two
 * upgrades at once, of which one applies and the other gets a clear conflict.
 */

const losAngeles = {
  name: 'Acme Inc.',
  email: 'billing@acme.example',
  address_line1: '1 Market St',
  city: 'San Francisco',
  state: 'CA',
  postal_code: '94105',
  country: 'US',
  time_zone: 'America/Los_Angeles',
};

describe.each(engines())('changing plans on %s', (engine) => {
  let api: TestApi;
  const plans: Record<'basic' | 'pro' | 'enterprise', string> = { basic: '', pro: '', enterprise: '' };

  beforeAll(async () => {
    api = await testApi(engine);
    const operator = await api.signUpOperator();
    for (const [code, name, price] of [
      ['basic', 'Basic', 1000],
      ['pro', 'Pro', 2000],
      ['enterprise', 'Enterprise', 5000],
    ] as const) {
      const created = await api.call({
        method: 'POST',
        url: '/v1/operator/plans',
        as: operator,
        body: { code, name, currency: 'USD', interval: 'month', base_price: price },
      });
      plans[code] = created.json().id;
    }
  });
  afterAll(() => api.close());

  async function subscribed(planId: string, frozenTime: string) {
    const { call, advance } = await customerOnTestClock(api, losAngeles, frozenTime);
    const session = await checkoutWithCard(api, { call }, { plan_id: planId });
    const sub = (await call('GET', '/v1/subscriptions'))
      .json()
      .data.find((s: { status: string }) => s.status === 'active');
    return { call, sub, advance, first: session.amount as number };
  }

  it('upgrades twice in a month and then downgrades: every summary is its invoice, to the cent', async () => {
    // 10 March 2027, Los Angeles. Basic for 22 of 31 days: 1000 × 22 / 31 = 709.68 → 710.
    const who = await subscribed(plans.basic, '2027-03-10T20:00:00Z');
    expect(who.first).toBe(710);
    const charged = [who.first];

    const upgrade = async (to: string, expected: { credit: number; charge: number; due: number }) => {
      const preview = await who.call('POST', `/v1/subscriptions/${who.sub.id}/preview_change`, {
        plan_id: to,
      });
      expect(preview.statusCode, preview.body).toBe(200);
      expect(preview.json()).toMatchObject({
        direction: 'upgrade',
        effective: 'now',
        lines: [
          { kind: 'proration_credit', amount: -expected.credit },
          { kind: 'proration_charge', amount: expected.charge },
        ],
        total_due_now: expected.due,
        next_payment_at: '2027-04-01T07:00:00Z',
      });
      const done = await who.call('POST', `/v1/subscriptions/${who.sub.id}/change`, { plan_id: to });
      expect(done.statusCode, done.body).toBe(200);
      const { invoice, subscription } = done.json();
      expect(subscription.plan_id).toBe(to);
      expect(invoice).toMatchObject({
        status: 'paid',
        billing_reason: 'subscription_update',
        total: expected.due,
      });
      expect(invoice.lines.map((l: { amount: number }) => l.amount)).toEqual(
        preview.json().lines.map((l: { amount: number }) => l.amount),
      );
      charged.push(invoice.total);
    };

    // 15 March: 17 of 31 days left. Credit 1000 × 17/31 = 548.39 → 548; Pro 2000 × 17/31 = 1096.77 → 1097.
    await who.advance('2027-03-15T20:00:00Z');
    await upgrade(plans.pro, { credit: 548, charge: 1097, due: 549 });
    // 20 March: 12 of 31 days left. Credit 2000 × 12/31 = 774.19 → 774; Enterprise 5000 × 12/31 = 1935.48 → 1935.
    await who.advance('2027-03-20T20:00:00Z');
    await upgrade(plans.enterprise, { credit: 774, charge: 1935, due: 1161 });

    // 25 March: down to Basic at the end of the period; nothing is due now, the next invoice is 1000.
    await who.advance('2027-03-25T20:00:00Z');
    const preview = await who.call('POST', `/v1/subscriptions/${who.sub.id}/preview_change`, {
      plan_id: plans.basic,
    });
    expect(preview.json()).toMatchObject({
      direction: 'downgrade',
      effective: 'period_end',
      lines: [],
      total_due_now: 0,
      next_payment_amount: 1000,
    });
    const down = await who.call('POST', `/v1/subscriptions/${who.sub.id}/change`, { plan_id: plans.basic });
    expect(down.json()).toMatchObject({
      invoice: null,
      subscription: { plan_id: plans.enterprise, scheduled_plan_id: plans.basic },
    });

    await who.advance('2027-04-01T08:00:00Z');
    const invoices = (await who.call('GET', '/v1/invoices')).json().data.reverse();
    const april = invoices.at(-1);
    expect(april).toMatchObject({
      status: 'paid',
      total: 1000,
      lines: [{ description: 'Basic (Apr 1, 2027 – Apr 30, 2027)' }],
    });
    charged.push(april.total);
    // 710 + 549 + 1161 in March, then 1000: 3420 in all.
    expect(charged).toEqual([710, 549, 1161, 1000]);
    const payments = (await who.call('GET', '/v1/payments')).json().data;
    expect(payments.reduce((sum: number, p: { amount: number }) => sum + p.amount, 0)).toBe(3420);
    const sub = (await who.call('GET', `/v1/subscriptions/${who.sub.id}`)).json();
    expect(sub).toMatchObject({ plan_id: plans.basic, scheduled_plan_id: null, status: 'active' });
    const ledger = (await who.call('GET', `/v1/ledger_entries?subscription_id=${who.sub.id}`)).json();
    expect(ledger.balance).toBe(0);
  });

  it('applies one of two simultaneous upgrades and refuses the other with a conflict', async () => {
    const who = await subscribed(plans.basic, '2027-03-10T20:00:00Z');
    // The gateway answers slowly, so the second request arrives while the first is being paid.
    api.app.billfoldGateways.test.setFaults({ delayMs: 200 });
    try {
      const results = await Promise.all([
        who.call('POST', `/v1/subscriptions/${who.sub.id}/change`, { plan_id: plans.pro }),
        who.call('POST', `/v1/subscriptions/${who.sub.id}/change`, { plan_id: plans.enterprise }),
      ]);
      const statuses = results.map((r) => r.statusCode).sort();
      expect(statuses).toEqual([200, 409]);
      const refused = results.find((r) => r.statusCode === 409);
      expect(['subscription.changed', 'subscription.busy']).toContain(refused?.json().error.code);
      const applied = results.find((r) => r.statusCode === 200)?.json();
      const sub = (await who.call('GET', `/v1/subscriptions/${who.sub.id}`)).json();
      expect(sub.plan_id).toBe(applied.subscription.plan_id);
      const updates = (await who.call('GET', '/v1/invoices'))
        .json()
        .data.filter((i: { billing_reason: string }) => i.billing_reason === 'subscription_update');
      expect(updates).toHaveLength(1);
    } finally {
      api.app.billfoldGateways.test.setFaults({});
    }
  });

  it('credits one of two simultaneous immediate downgrades and refuses the other with a conflict', async () => {
    const who = await subscribed(plans.enterprise, '2027-03-10T20:00:00Z');
    await who.advance('2027-03-25T20:00:00Z');
    const downgrade = { plan_id: plans.basic, timing: 'now' };
    const results = await Promise.all([
      who.call('POST', `/v1/subscriptions/${who.sub.id}/change`, downgrade),
      who.call('POST', `/v1/subscriptions/${who.sub.id}/change`, downgrade),
    ]);
    expect(results.map((r) => r.statusCode).sort()).toEqual([200, 409]);
    const refused = results.find((r) => r.statusCode === 409);
    expect(['subscription.changed', 'subscription.busy', 'subscription.same_plan']).toContain(
      refused?.json().error.code,
    );
    // One credit: 7 of 31 days left in Los Angeles, 5000 × 7 / 31 → 1129 less 1000 × 7 / 31 → 226.
    const updates = (await who.call('GET', '/v1/invoices'))
      .json()
      .data.filter((i: { billing_reason: string }) => i.billing_reason === 'subscription_update');
    expect(updates.map((i: { total: number }) => i.total)).toEqual([-903]);
    const ledger = (await who.call('GET', `/v1/ledger_entries?subscription_id=${who.sub.id}`)).json();
    expect(ledger.balance).toBe(903);
  });

  it('refuses an upgrade asked to wait for the end of the period, and changes nothing', async () => {
    const who = await subscribed(plans.basic, '2027-03-10T20:00:00Z');
    const refused = await who.call('POST', `/v1/subscriptions/${who.sub.id}/change`, {
      plan_id: plans.pro,
      timing: 'period_end',
    });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().error.code).toBe('subscription.upgrade_timing');
    const sub = (await who.call('GET', `/v1/subscriptions/${who.sub.id}`)).json();
    expect(sub).toMatchObject({ plan_id: plans.basic, scheduled_plan_id: null });
  });

  it('refuses to change the interval of an anniversary subscription, and changes nothing', async () => {
    const operator = await api.signUpOperator();
    const yearly = await api.call({
      method: 'POST',
      url: '/v1/operator/plans',
      as: operator,
      body: {
        code: 'basic_yearly',
        name: 'Basic yearly',
        currency: 'USD',
        interval: 'year',
        base_price: 10000,
      },
    });
    expect(yearly.statusCode, yearly.body).toBe(201);
    const { call } = await customerOnTestClock(api, losAngeles, '2027-03-10T20:00:00Z');
    await checkoutWithCard(api, { call }, { plan_id: plans.basic, billing_mode: 'anniversary' });
    const sub = (await call('GET', '/v1/subscriptions')).json().data[0];
    const refused = await call('POST', `/v1/subscriptions/${sub.id}/change`, { plan_id: yearly.json().id });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().error.code).toBe('subscription.interval_change');
    expect((await call('GET', `/v1/subscriptions/${sub.id}`)).json()).toMatchObject({
      plan_id: plans.basic,
      current_period_end: sub.current_period_end,
    });
    expect((await call('GET', '/v1/invoices')).json().data).toHaveLength(1);
  });

  it('declines an upgrade with a card that fails, and changes nothing', async () => {
    const who = await subscribed(plans.basic, '2027-03-10T20:00:00Z');
    const setup = (await who.call('POST', '/v1/checkout_sessions', { mode: 'setup' })).json();
    await api.payAtTestGateway(setup.url, '4000000000000341');
    await who.call('POST', `/v1/checkout_sessions/${setup.id}/sync`);
    const done = await who.call('POST', `/v1/subscriptions/${who.sub.id}/change`, { plan_id: plans.pro });
    expect(done.statusCode).toBe(402);
    expect(done.json().error.code).toBe('card.declined');
    const sub = (await who.call('GET', `/v1/subscriptions/${who.sub.id}`)).json();
    expect(sub.plan_id).toBe(plans.basic);
    const drafts = (await who.call('GET', '/v1/invoices?status=draft')).json().data;
    expect(drafts).toEqual([]);
  });
});
