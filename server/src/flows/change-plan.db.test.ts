import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApi, testApi } from '../testing/api.js';
import {
  chargesAtTestGateway,
  checkoutWithCard,
  customerOnTestClock,
  publishMonthlyPlans,
  publishPlans,
} from '../testing/billing.js';
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
  const plans: Record<
    'basic' | 'pro' | 'enterprise' | 'arrears' | 'yearly' | 'trial' | 'yearly_trial',
    string
  > = {
    basic: '',
    pro: '',
    enterprise: '',
    arrears: '',
    yearly: '',
    trial: '',
    yearly_trial: '',
  };

  beforeAll(async () => {
    api = await testApi(engine);
    const operator = await api.signUpOperator();
    Object.assign(
      plans,
      await publishMonthlyPlans(api, operator, [
        ['basic', 'Basic', 1000],
        ['pro', 'Pro', 2000],
        ['enterprise', 'Enterprise', 5000],
      ]),
    );
    Object.assign(
      plans,
      await publishPlans(api, operator, [
        ['arrears', { name: 'Pro in arrears', base_price: 2000, fee_timing: 'arrears' }],
        ['yearly', { name: 'Basic yearly', base_price: 10000, interval: 'year' }],
        ['trial', { name: 'Pro with a trial', base_price: 2000, trial_days: 14 }],
        [
          'yearly_trial',
          { name: 'Basic yearly with a trial', base_price: 10000, interval: 'year', trial_days: 14 },
        ],
      ]),
    );
  });
  afterAll(() => api.close());

  async function subscribed(planId: string, frozenTime: string) {
    const { call, advance, orgId } = await customerOnTestClock(api, losAngeles, frozenTime);
    const session = await checkoutWithCard(api, { call }, { plan_id: planId });
    const sub = (await call('GET', '/v1/subscriptions'))
      .json()
      .data.find((s: { status: string }) => s.status === 'active');
    return { call, sub, advance, orgId, first: session.amount as number };
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

  it('credits one of three simultaneous immediate downgrades to the balance, once, and refuses the others', async () => {
    const who = await subscribed(plans.enterprise, '2027-03-10T20:00:00Z');
    await who.advance('2027-03-25T20:00:00Z');
    const downgrade = { plan_id: plans.basic, timing: 'now' };
    const results = await Promise.all(
      [1, 2, 3].map(() => who.call('POST', `/v1/subscriptions/${who.sub.id}/change`, downgrade)),
    );
    expect(results.map((r) => r.statusCode).sort()).toEqual([200, 409, 409]);
    for (const refused of results.filter((r) => r.statusCode === 409)) {
      expect(['subscription.changed', 'subscription.busy', 'subscription.same_plan']).toContain(
        refused.json().error.code,
      );
    }
    // One credit: 7 of 31 days left in Los Angeles, 5000 × 7 / 31 → 1129 less 1000 × 7 / 31 → 226.
    const updates = (await who.call('GET', '/v1/invoices'))
      .json()
      .data.filter((i: { billing_reason: string }) => i.billing_reason === 'subscription_update');
    expect(updates.map((i: { total: number }) => i.total)).toEqual([-903]);
    // On the customer's balance, in one transaction; out of the subscription's ledger.
    const transactions = await api.database.db
      .selectFrom('customer_balance_transactions')
      .select(['amount', 'source_key'])
      .where('org_id', '=', who.orgId)
      .execute();
    expect(transactions).toEqual([{ amount: 903n, source_key: `plan_change:${updates[0].id}` }]);
    const ledger = (await who.call('GET', `/v1/ledger_entries?subscription_id=${who.sub.id}`)).json();
    expect(ledger.balance).toBe(0);
    // Sent again later: the plan is Basic already, and nothing more is credited.
    const later = await who.call('POST', `/v1/subscriptions/${who.sub.id}/change`, downgrade);
    expect(later.json().error.code).toBe('subscription.same_plan');
    expect((await who.call('GET', '/v1/billing_customer/balance')).json().balance).toBe(903);
  });

  it('schedules a downgrade on the subscription, withdraws it, and refuses a change now while one waits', async () => {
    const who = await subscribed(plans.enterprise, '2027-03-10T20:00:00Z');
    await who.advance('2027-03-25T20:00:00Z');
    const scheduled = await who.call('POST', `/v1/subscriptions/${who.sub.id}/change`, {
      plan_id: plans.basic,
    });
    expect(scheduled.json().subscription).toMatchObject({
      scheduled_plan_id: plans.basic,
      next_invoice: { total: 1000 },
    });
    // A change now while the downgrade waits: refused, nothing changed.
    const now = await who.call('POST', `/v1/subscriptions/${who.sub.id}/change`, {
      plan_id: plans.pro,
      timing: 'now',
    });
    expect(now.statusCode).toBe(409);
    expect(now.json().error.code).toBe('subscription.change_scheduled');
    // Withdrawn: the subscription renews on Enterprise, and nothing is pending.
    const withdrawn = await who.call('POST', `/v1/subscriptions/${who.sub.id}/cancel_scheduled_change`);
    expect(withdrawn.statusCode, withdrawn.body).toBe(200);
    expect(withdrawn.json()).toMatchObject({
      plan_id: plans.enterprise,
      scheduled_plan_id: null,
      next_invoice: { total: 5000 },
    });
    expect(withdrawn.json().history.at(-1)).toMatchObject({ kind: 'schedule_cleared' });
    const again = await who.call('POST', `/v1/subscriptions/${who.sub.id}/cancel_scheduled_change`);
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('subscription.no_scheduled_change');
    await who.advance('2027-04-01T08:00:00Z');
    const invoices = (await who.call('GET', '/v1/invoices')).json().data;
    expect(invoices[0]).toMatchObject({
      total: 5000,
      lines: [{ description: 'Enterprise (Apr 1, 2027 – Apr 30, 2027)' }],
    });
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

  it('refuses to move a calendar subscription billed on the 15th to weekly periods, and changes nothing', async () => {
    const operator = await api.signUpOperator();
    const weekly = await api.call({
      method: 'POST',
      url: '/v1/operator/plans',
      as: operator,
      body: {
        code: 'basic_weekly',
        name: 'Basic weekly',
        currency: 'USD',
        interval: 'week',
        base_price: 300,
      },
    });
    expect(weekly.statusCode, weekly.body).toBe(201);
    const { call } = await customerOnTestClock(api, losAngeles, '2027-03-10T20:00:00Z');
    await checkoutWithCard(api, { call }, { plan_id: plans.basic, billing_day: 15 });
    const sub = (await call('GET', '/v1/subscriptions')).json().data[0];
    const refused = await call('POST', `/v1/subscriptions/${sub.id}/change`, { plan_id: weekly.json().id });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().error.code).toBe('subscription.interval_change');
    expect((await call('GET', `/v1/subscriptions/${sub.id}`)).json()).toMatchObject({
      plan_id: plans.basic,
      current_period_end: sub.current_period_end,
    });
    expect((await call('GET', '/v1/invoices')).json().data).toHaveLength(1);
  });

  it('invoices every change as its summary says, to the cent: fees in arrears, trials, intervals, anniversaries, credits', async () => {
    const planCode = fc.constantFrom(
      'basic',
      'pro',
      'enterprise',
      'arrears',
      'yearly',
      'trial',
      'yearly_trial' as const,
    );
    const scenario = fc.record({
      from: planCode,
      to: planCode,
      zone: fc.constantFrom('America/Los_Angeles', 'America/New_York', 'Asia/Kolkata'),
      mode: fc.constantFrom('calendar', 'anniversary'),
      timing: fc.constantFrom(undefined, 'now' as const),
      // Subscribed on 10 March 2027 at some hour; changed some days and hours later.
      startHour: fc.integer({ min: 0, max: 23 }),
      afterHours: fc.integer({ min: 1, max: 20 * 24 }),
    });
    const owner = await api.signUp();
    await fc.assert(
      fc.asyncProperty(
        scenario.filter((s) => s.from !== s.to),
        async ({ from, to, zone, mode, timing, startHour, afterHours }) => {
          const start = new Date(Date.UTC(2027, 2, 10, startHour));
          const { call, advance, orgId } = await customerOnTestClock(
            api,
            { ...losAngeles, time_zone: zone },
            start.toISOString(),
            owner,
          );
          // The card first: a plan in arrears or on trial asks for nothing at checkout.
          const setup = (await call('POST', '/v1/checkout_sessions', { mode: 'setup' })).json();
          await api.payAtTestGateway(setup.url, '4242424242424242');
          await call('POST', `/v1/checkout_sessions/${setup.id}/sync`);
          const session = (
            await call('POST', '/v1/checkout_sessions', { plan_id: plans[from], billing_mode: mode })
          ).json();
          if (session.amount > 0) {
            await api.payAtTestGateway(session.url, '4242424242424242');
            await call('POST', `/v1/checkout_sessions/${session.id}/sync`);
          }
          const sub = (await call('GET', '/v1/subscriptions')).json().data[0];
          await advance(new Date(start.getTime() + afterHours * 3_600_000).toISOString());
          const body = { plan_id: plans[to], ...(timing ? { timing } : {}) };
          const preview = await call('POST', `/v1/subscriptions/${sub.id}/preview_change`, body);
          const balanceBefore = (await call('GET', '/v1/billing_customer/balance')).json().balance;
          const done = await call('POST', `/v1/subscriptions/${sub.id}/change`, body);
          // The summary and the change agree on refusals too.
          expect(done.statusCode, done.body).toBe(preview.statusCode);
          if (preview.statusCode !== 200) {
            expect(done.json().error.code).toBe(preview.json().error.code);
            return;
          }
          const summary = preview.json();
          const { invoice, subscription } = done.json();
          const amounts = (lines: { amount: number }[]) => lines.map((line) => line.amount);
          if (summary.effective === 'period_end' || summary.lines.length === 0) {
            expect(invoice).toBeNull();
            expect(summary.total_due_now).toBe(0);
          } else {
            expect(amounts(invoice.lines)).toEqual(amounts(summary.lines));
            expect(invoice).toMatchObject({ total: summary.total_due_now, tax: summary.tax, status: 'paid' });
          }
          expect(subscription.plan_id).toBe(summary.effective === 'now' ? plans[to] : plans[from]);
          const balance = (await call('GET', '/v1/billing_customer/balance')).json().balance;
          expect(balance - balanceBefore).toBe(summary.credited_to_balance);
          // The subscription's ledger keeps nothing of a credit: it went to the balance.
          const ledger = (await call('GET', `/v1/ledger_entries?subscription_id=${sub.id}`)).json();
          expect(ledger.balance).toBe(0);
          // The next invoice is what the summary said, issued when it said.
          expect(subscription.next_invoice).toMatchObject({ total: summary.next_payment_amount });
          await advance(summary.next_payment_at);
          const next = (await call('GET', '/v1/invoices')).json().data[0];
          if (summary.next_payment_amount === 0) return;
          expect(next).toMatchObject({
            billing_reason: 'subscription_cycle',
            total: summary.next_payment_amount,
          });
          expect(new Date(next.finalized_at ?? next.created_at).getTime()).toBe(
            new Date(summary.next_payment_at).getTime(),
          );
          const transactions = await api.database.db
            .selectFrom('customer_balance_transactions')
            .select('source_key')
            .where('org_id', '=', orgId)
            .where('source_key', 'like', 'plan_change:%')
            .execute();
          expect(transactions.length).toBe(summary.credited_to_balance > 0 ? 1 : 0);
        },
      ),
      { numRuns: Number(process.env.BILLFOLD_PROPERTY_RUNS ?? 12) },
    );
  }, 600_000);

  it('finishes a change its request left claimed: charged once, to the plan kept on the subscription', async () => {
    // Pro in arrears from 10 March, moved to Enterprise on 25 March (7 of 31 days left): its 15 days
    // used, 2000 × 22/31 = 1419 less 2000 × 7/31 = 452, 967; Enterprise 5000 × 7/31 = 1129.
    const { call, advance } = await customerOnTestClock(api, losAngeles, '2027-03-10T20:00:00Z');
    const setup = (await call('POST', '/v1/checkout_sessions', { mode: 'setup' })).json();
    await api.payAtTestGateway(setup.url, '4242424242424242');
    await call('POST', `/v1/checkout_sessions/${setup.id}/sync`);
    await call('POST', '/v1/checkout_sessions', { plan_id: plans.arrears });
    const sub = (await call('GET', '/v1/subscriptions')).json().data[0];
    await advance('2027-03-25T20:00:00Z');
    const change = { plan_id: plans.enterprise };
    const preview = (await call('POST', `/v1/subscriptions/${sub.id}/preview_change`, change)).json();
    expect(preview.lines.map((l: { amount: number }) => l.amount)).toEqual([967, 1129]);
    // The gateway fails before charging: the claim stays, as after a crash before the charge.
    api.app.billfoldGateways.test.setFaults({ next: 'error' });
    const lost = await call('POST', `/v1/subscriptions/${sub.id}/change`, change);
    api.app.billfoldGateways.test.setFaults({});
    // The gateway failed, not Billfold: 502, worth retrying.
    expect(lost.statusCode).toBe(502);
    expect(lost.json().error.code).toBe('gateway.error');
    // The change is claimed: nothing applied yet, and another change waits for it.
    expect((await call('GET', `/v1/subscriptions/${sub.id}`)).json()).toMatchObject({
      plan_id: plans.arrears,
      scheduled_plan_id: null,
    });
    const meanwhile = await call('POST', `/v1/subscriptions/${sub.id}/change`, { plan_id: plans.pro });
    expect(meanwhile.statusCode).toBe(409);
    const [draft] = (await call('GET', '/v1/invoices?status=draft')).json().data;
    expect(draft).toMatchObject({ billing_reason: 'subscription_update', total: 2096 });
    // The billing run finishes it with the same key: the card was charged once, the plan is Enterprise.
    await advance('2027-03-25T20:15:00Z');
    expect((await call('GET', `/v1/invoices/${draft.id}`)).json()).toMatchObject({
      status: 'paid',
      total: 2096,
      amount_paid: 2096,
    });
    expect((await call('GET', `/v1/subscriptions/${sub.id}`)).json()).toMatchObject({
      plan_id: plans.enterprise,
      next_invoice: { total: 5000 },
    });
    const { invoices } = await chargesAtTestGateway(api.database.db);
    expect(invoices.find((i) => i.invoiceId === draft.id)).toMatchObject({ succeeded: 1, failed: 0 });
    // On 1 April, Enterprise's April alone: March's days of Pro were billed with the change.
    await advance('2027-04-01T08:00:00Z');
    expect((await call('GET', '/v1/invoices')).json().data[0]).toMatchObject({ total: 5000 });
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
