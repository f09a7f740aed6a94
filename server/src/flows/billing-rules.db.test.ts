import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Person, type TestApi, testApi } from '../testing/api.js';
import {
  checkoutDescriptionAtTestGateway,
  checkoutWithCard,
  customerOnTestClock,
  publishPlans,
} from '../testing/billing.js';
import { engines } from '../testing/databases.js';
import { createMetrics, ingestKeyOf } from '../testing/metering.js';

/**
 * docs/billing-rules.md, example by example, through the API: each rule's worked example is checked
 * here with the same numbers. A rule without a test, or a test without a rule, fails the first test.
 */

const rulesDoc = readFileSync(resolve(import.meta.dirname, '../../../docs/billing-rules.md'), 'utf8');
const documented = [...rulesDoc.matchAll(/^## (R\d+)\./gm)].map((m) => m[1]);

const losAngeles = {
  name: 'Rules Inc.',
  email: 'billing@rules.example',
  address_line1: '1 Market St',
  city: 'San Francisco',
  state: 'CA',
  postal_code: '94105',
  country: 'US',
  time_zone: 'America/Los_Angeles',
};

const tested = [
  'R1',
  'R2',
  'R3',
  'R4',
  'R5',
  'R6',
  'R7',
  'R8',
  'R9',
  'R10',
  'R11',
  'R15',
  'R16',
  'R17',
  'R18',
  'R19',
  'R20',
  'R21',
  'R22',
  'R23',
  'R24',
  'R25',
  'R26',
  'R27',
  'R28',
  'R29',
  'R30',
  'R31',
];
/**
 * The calendar's rules and usage billed outside the closing invoice are tested in files of their own,
 * by tests named the same way ("R12: ...", or "R30: ...; R31: ..." for a test of two).
 */
const testedElsewhere = ['calendar.db.test.ts', 'usage-billing.db.test.ts'].flatMap((file) => {
  const source = readFileSync(resolve(import.meta.dirname, file), 'utf8');
  return [...source.matchAll(/\bit\('([^']*)'/g)].flatMap(([, title]) =>
    [...(title ?? '').matchAll(/\b(R\d+):/g)].map((m) => m[1]),
  );
});

describe.each(engines())('billing rules on %s', (engine) => {
  let api: TestApi;
  let operator: Person;
  let owner: Person;
  const plans: Record<string, string> = {};

  beforeAll(async () => {
    api = await testApi(engine);
    operator = await api.signUpOperator();
    // One owner for every customer's organization: sign-ups are rate limited per address.
    owner = await api.signUp();
    for (const [code, name, currency, price] of [
      ['basic', 'Basic', 'USD', 1000],
      ['pro', 'Pro', 'USD', 2000],
      ['enterprise', 'Enterprise', 'USD', 5000],
      ['pro_inr', 'Pro India', 'INR', 310000],
    ] as const) {
      const created = await api.call({
        method: 'POST',
        url: '/v1/operator/plans',
        as: operator,
        body: { code, name, currency, interval: 'month', base_price: price },
      });
      plans[code] = created.json().id;
    }
    Object.assign(
      plans,
      await publishPlans(api, operator, [
        ['arrears', { name: 'Pro in arrears', base_price: 2000, fee_timing: 'arrears' }],
        ['committed', { name: 'Basic committed', base_price: 1000, minimum_commitment: 3000 }],
        ['basic_year', { name: 'Basic yearly', base_price: 10000, interval: 'year' }],
        ['pro_trial', { name: 'Pro with a trial', base_price: 2000, trial_days: 14 }],
      ]),
    );
  });
  afterAll(() => api.close());

  /** A customer on a test clock, subscribed to `plan` with a card that succeeds (or another). */
  async function customer(plan: string, at: string, details: object = losAngeles, card = '4242424242424242') {
    const { call, advance, orgId } = await customerOnTestClock(api, details, at, owner);
    const session = await checkoutWithCard(api, { call }, { plan_id: plans[plan] });
    if (card !== '4242424242424242') {
      const setup = (await call('POST', '/v1/checkout_sessions', { mode: 'setup' })).json();
      await api.payAtTestGateway(setup.url, card);
      await call('POST', `/v1/checkout_sessions/${setup.id}/sync`);
    }
    const sub = (await call('GET', '/v1/subscriptions'))
      .json()
      .data.find((s: { status: string }) => s.status === 'active');
    const invoices = async () => (await call('GET', '/v1/invoices')).json().data.reverse();
    return { call, sub, advance, invoices, orgId, session };
  }

  it('tests every rule the document states, and no other', () => {
    const byNumber = (rules: readonly (string | undefined)[]) =>
      [...rules].sort((a, b) => Number(a?.slice(1)) - Number(b?.slice(1)));
    expect(byNumber(documented)).toEqual(byNumber([...new Set([...tested, ...testedElsewhere])]));
  });

  it('R1: periods are calendar months in the customer’s time zone', async () => {
    const who = await customer('basic', '2027-03-10T20:00:00Z');
    expect(who.sub.current_period_end).toBe('2027-04-01T07:00:00.000Z');
    const [march] = (await who.call('GET', `/v1/statements?subscription_id=${who.sub.id}`)).json().data;
    expect(march).toMatchObject({
      month: '2027-03',
      period_start: '2027-03-01T08:00:00.000Z',
      period_end: '2027-04-01T07:00:00.000Z',
    });
  });

  it('R2: proration is by whole days in the customer’s time zone', async () => {
    // 20:00Z on 10 March is 13:00 in Los Angeles: still the 10th there, 22 of 31 days.
    const who = await customer('basic', '2027-03-10T20:00:00Z');
    expect(who.session.amount).toBe(710);
    // 05:00Z on 11 March is 22:00 on the 10th in Los Angeles: the same 22 days, whatever the hour.
    const late = await customer('basic', '2027-03-11T05:00:00Z');
    expect(late.session.amount).toBe(710);
  });

  it('R3: the day of a change is billed on the new plan', async () => {
    const who = await customer('basic', '2027-03-10T20:00:00Z');
    await who.advance('2027-03-15T20:00:00Z');
    const preview = (
      await who.call('POST', `/v1/subscriptions/${who.sub.id}/preview_change`, { plan_id: plans.pro })
    ).json();
    expect(preview.lines.map((l: { description: string }) => l.description)).toEqual([
      'Unused time on Basic, 17 of 31 days (Mar 15, 2027 – Mar 31, 2027)',
      'Remaining time on Pro, 17 of 31 days (Mar 15, 2027 – Mar 31, 2027)',
    ]);
  });

  it('R4: an upgrade is invoiced and charged at once, as its summary says', async () => {
    const who = await customer('basic', '2027-03-10T20:00:00Z');
    await who.advance('2027-03-15T20:00:00Z');
    const preview = (
      await who.call('POST', `/v1/subscriptions/${who.sub.id}/preview_change`, { plan_id: plans.pro })
    ).json();
    expect(preview.lines.map((l: { amount: number }) => l.amount)).toEqual([-548, 1097]);
    expect(preview.total_due_now).toBe(549);
    const done = (
      await who.call('POST', `/v1/subscriptions/${who.sub.id}/change`, { plan_id: plans.pro })
    ).json();
    expect(done.invoice).toMatchObject({ status: 'paid', total: 549, amount_paid: 549 });
    expect(done.subscription.plan_id).toBe(plans.pro);
  });

  it('R5: a downgrade applies when the period ends', async () => {
    const who = await customer('enterprise', '2027-03-10T20:00:00Z');
    await who.advance('2027-03-25T20:00:00Z');
    const done = (
      await who.call('POST', `/v1/subscriptions/${who.sub.id}/change`, { plan_id: plans.basic })
    ).json();
    expect(done).toMatchObject({
      invoice: null,
      subscription: { plan_id: plans.enterprise, scheduled_plan_id: plans.basic },
    });
    await who.advance('2027-04-01T07:00:00Z');
    expect((await who.invoices()).at(-1)).toMatchObject({ total: 1000, status: 'paid' });
  });

  it('R20: a downgrade may apply now, with a credit', async () => {
    const newYork = { ...losAngeles, name: 'Rules East', time_zone: 'America/New_York' };
    // 04:30Z on 25 March: the 24th in Los Angeles (8 of 31 days left), the 25th in New York (7).
    for (const [details, credit, charge] of [
      [losAngeles, -1290, 258],
      [newYork, -1129, 226],
    ] as const) {
      const who = await customer('enterprise', '2027-03-10T20:00:00Z', details);
      await who.advance('2027-03-25T04:30:00Z');
      const change = { plan_id: plans.basic, timing: 'now' };
      const preview = (
        await who.call('POST', `/v1/subscriptions/${who.sub.id}/preview_change`, change)
      ).json();
      expect(preview).toMatchObject({
        direction: 'downgrade',
        effective: 'now',
        total_due_now: credit + charge,
      });
      expect(preview.lines.map((l: { amount: number }) => l.amount)).toEqual([credit, charge]);
      const done = await who.call('POST', `/v1/subscriptions/${who.sub.id}/change`, change);
      expect(done.statusCode, done.body).toBe(200);
      expect(done.json()).toMatchObject({
        invoice: { status: 'paid', total: credit + charge, amount_paid: 0 },
        subscription: { plan_id: plans.basic, scheduled_plan_id: null },
      });
      // Nothing was charged: the credit went to the customer's balance (R24), out of the ledger.
      expect(preview.credited_to_balance).toBe(-(credit + charge));
      expect((await who.call('GET', '/v1/billing_customer/balance')).json().balance).toBe(-(credit + charge));
      const ledger = (await who.call('GET', `/v1/ledger_entries?subscription_id=${who.sub.id}`)).json();
      expect(ledger.balance).toBe(0);
      const paymentsBefore = (await who.call('GET', '/v1/payments')).json().data.length;
      // 1 April: Basic's 1000, paid from the balance first (1032 in Los Angeles, 903 in New York).
      await who.advance('2027-04-01T07:00:00Z');
      expect((await who.invoices()).at(-1)).toMatchObject({ total: 1000, amount_paid: 1000, status: 'paid' });
      const left = -(credit + charge) - 1000;
      expect((await who.call('GET', '/v1/billing_customer/balance')).json().balance).toBe(
        left > 0 ? left : 0,
      );
      const charged = (await who.call('GET', '/v1/payments')).json().data.slice(0, -paymentsBefore);
      expect(charged.map((p: { amount: number }) => p.amount)).toEqual(left >= 0 ? [] : [-left]);
    }
  });

  it('R21: a change of interval starts a new period now', async () => {
    const newYork = { ...losAngeles, name: 'Rules East', time_zone: 'America/New_York' };
    // 04:30Z on 25 March: the 24th in Los Angeles, the 25th in New York.
    for (const [details, monthCredit, yearCharge, newYear, april] of [
      [losAngeles, 258, 7753, '2028-01-01T08:00:00.000Z', '2027-04-01T07:00:00.000Z'],
      [newYork, 226, 7726, '2028-01-01T05:00:00.000Z', '2027-04-01T04:00:00.000Z'],
    ] as const) {
      // Monthly → yearly: the year is charged from the change, the month's unused days credited.
      const up = await customer('basic', '2027-03-10T20:00:00Z', details);
      await up.advance('2027-03-25T04:30:00Z');
      const toYearly = { plan_id: plans.basic_year };
      const preview = (
        await up.call('POST', `/v1/subscriptions/${up.sub.id}/preview_change`, toYearly)
      ).json();
      expect(preview.lines.map((l: { amount: number }) => l.amount)).toEqual([-monthCredit, yearCharge]);
      expect(preview.effective).toBe('now');
      expect(new Date(preview.next_payment_at).toISOString()).toBe(newYear);
      const upgraded = await up.call('POST', `/v1/subscriptions/${up.sub.id}/change`, toYearly);
      expect(upgraded.statusCode, upgraded.body).toBe(200);
      expect(upgraded.json()).toMatchObject({
        invoice: { status: 'paid', total: yearCharge - monthCredit, amount_paid: yearCharge - monthCredit },
        subscription: { plan_id: plans.basic_year, current_period_end: newYear },
      });
      expect(preview.total_due_now).toBe(upgraded.json().invoice.total);
      // The year renews whole on 1 January.
      await up.advance(newYear);
      expect((await up.invoices()).at(-1)).toMatchObject({ total: 10000 });

      // Yearly → monthly at the same instant: the year's unused days credited, March charged from then.
      const down = await customer('basic_year', '2027-03-10T20:00:00Z', details);
      await down.advance('2027-03-25T04:30:00Z');
      const toMonthly = { plan_id: plans.basic };
      const waiting = await down.call('POST', `/v1/subscriptions/${down.sub.id}/change`, {
        ...toMonthly,
        timing: 'period_end',
      });
      expect(waiting.json().error.code).toBe('subscription.interval_change_timing');
      const back = (
        await down.call('POST', `/v1/subscriptions/${down.sub.id}/preview_change`, toMonthly)
      ).json();
      expect(back.lines.map((l: { amount: number }) => l.amount)).toEqual([-yearCharge, monthCredit]);
      const downgraded = await down.call('POST', `/v1/subscriptions/${down.sub.id}/change`, toMonthly);
      expect(downgraded.statusCode, downgraded.body).toBe(200);
      expect(downgraded.json()).toMatchObject({
        invoice: { status: 'paid', total: monthCredit - yearCharge, amount_paid: 0 },
        subscription: { plan_id: plans.basic, current_period_end: april },
      });
      expect(back.total_due_now).toBe(downgraded.json().invoice.total);
      // The credit went to the customer's balance (R24), which pays April's 1000.
      const balance = async () => (await down.call('GET', '/v1/billing_customer/balance')).json().balance;
      expect(await balance()).toBe(yearCharge - monthCredit);
      const ledger = (await down.call('GET', `/v1/ledger_entries?subscription_id=${down.sub.id}`)).json();
      expect(ledger.balance).toBe(0);
      await down.advance(april);
      expect((await down.invoices()).at(-1)).toMatchObject({ total: 1000, amount_paid: 1000 });
      expect(await balance()).toBe(yearCharge - monthCredit - 1000);
    }
  });

  it('R6: cancelling ends the subscription at the period’s end, without a refund', async () => {
    const who = await customer('basic', '2027-03-10T20:00:00Z');
    await who.advance('2027-03-20T20:00:00Z');
    const cancelled = (await who.call('POST', `/v1/subscriptions/${who.sub.id}/cancel`, {})).json();
    expect(cancelled).toMatchObject({ status: 'active', cancel_at_period_end: true, next_invoice: null });
    await who.advance('2027-04-01T07:00:00Z');
    const after = (await who.call('GET', `/v1/subscriptions/${who.sub.id}`)).json();
    expect(after).toMatchObject({ status: 'cancelled', cancelled_at: '2027-04-01T07:00:00.000Z' });
    expect(await who.invoices()).toHaveLength(1);
  });

  it('R7: half-up once per line, tax once per invoice', async () => {
    const who = await customer('pro_inr', '2028-02-10T04:00:00Z', {
      ...losAngeles,
      name: 'Rules India',
      city: 'Bengaluru',
      state: 'KA',
      postal_code: '560001',
      country: 'IN',
      phone: '+919876543210',
      time_zone: 'Asia/Kolkata',
    });
    const [invoice] = await who.invoices();
    expect(invoice).toMatchObject({
      subtotal: 213793,
      tax: 38483,
      total: 252276,
      tax_percent: '18',
      tax_inclusive: false,
    });
  });

  it('R8: the monthly invoice is issued at local midnight on the 1st and due on the 15th', async () => {
    const who = await customer('pro', '2027-03-10T20:00:00Z');
    await who.advance('2027-04-01T07:00:00Z');
    expect((await who.invoices()).at(-1)).toMatchObject({
      billing_reason: 'subscription_cycle',
      period_start: '2027-04-01T07:00:00.000Z',
      period_end: '2027-05-01T07:00:00.000Z',
      total: 2000,
      finalized_at: '2027-04-01T07:00:00.000Z',
      due_at: '2027-04-15T07:00:00.000Z',
    });
  });

  it('R9: a failed charge is retried on days 3, 5 and 7, then the account is blocked', async () => {
    const who = await customer('pro', '2027-03-10T20:00:00Z', losAngeles, '4000000000000341');
    const attempts: string[] = [];
    for (const at of ['2027-04-01T07:00:00Z', '2027-04-04T07:00:00Z', '2027-04-06T07:00:00Z']) {
      await who.advance(at);
      attempts.push((await who.invoices()).at(-1).next_attempt_at);
    }
    expect(attempts).toEqual([
      '2027-04-04T07:00:00.000Z',
      '2027-04-06T07:00:00.000Z',
      '2027-04-08T07:00:00.000Z',
    ]);
    expect((await who.call('GET', '/v1/billing/status')).json().status).toBe('past_due');
    await who.advance('2027-04-08T07:00:00Z');
    expect((await who.call('GET', '/v1/billing/status')).json().status).toBe('blocked');
  });

  it('R10: statements close at local midnight; a late correction goes into the open month, labelled', async () => {
    const who = await customer('basic', '2027-03-10T20:00:00Z');
    await who.advance('2027-04-02T20:00:00Z');
    const adjusted = await api.call({
      method: 'POST',
      url: `/v1/operator/organizations/${who.orgId}/subscriptions/${who.sub.id}/adjustments`,
      as: operator,
      body: { amount: -200, description: 'Storage overage', effective_at: '2027-03-20T20:00:00Z' },
    });
    expect(adjusted.statusCode, adjusted.body).toBe(201);
    expect(adjusted.json()).toMatchObject({
      late: true,
      description: 'Adjustment for March 2027: Storage overage',
    });
    const [march, april] = (await who.call('GET', `/v1/statements?subscription_id=${who.sub.id}`))
      .json()
      .data.reverse();
    expect(march).toMatchObject({
      status: 'closed',
      opening_balance: 0,
      credits: 710,
      license_charges: 710,
      closing_balance: 0,
    });
    expect(april).toMatchObject({
      status: 'open',
      opening_balance: 0,
      other_charges: 200,
      closing_balance: -200,
    });
    expect(april.closing_balance).toBe(
      april.opening_balance +
        april.credits -
        april.license_charges -
        april.usage_charges -
        april.other_charges,
    );
  });

  it('R11: after the last retry, the operator’s choice: keep, pause (the default) or cancel', async () => {
    const lastStep = async (step: string) => {
      const set = await api.call({
        method: 'PATCH',
        url: '/v1/operator/billing_settings',
        as: operator,
        body: { dunning_final_step: step },
      });
      expect(set.json().dunning_final_step).toBe(step);
    };
    /** Pro from 10 March with a card that fails from 1 April: the last retry fails on 8 April. */
    const blocked = async () => {
      const who = await customer('pro', '2027-03-10T20:00:00Z', losAngeles, '4000000000000341');
      await who.advance('2027-04-08T07:00:00Z');
      expect((await who.call('GET', '/v1/billing/status')).json().status).toBe('blocked');
      const subscription = async () => (await who.call('GET', `/v1/subscriptions/${who.sub.id}`)).json();
      /** A new card that works, then one payment for everything owed. */
      const payAll = async () => {
        const setup = (await who.call('POST', '/v1/checkout_sessions', { mode: 'setup' })).json();
        await api.payAtTestGateway(setup.url, '4242424242424242');
        await who.call('POST', `/v1/checkout_sessions/${setup.id}/sync`);
        return (await who.call('POST', '/v1/billing/pay', {})).json();
      };
      return { ...who, subscription, payAll };
    };
    try {
      await lastStep('keep');
      const kept = await blocked();
      await kept.advance('2027-05-01T07:00:00Z');
      expect((await kept.call('GET', '/v1/billing/status')).json().amount_due).toBe(4000);
      expect(await kept.payAll()).toMatchObject({ amount: 4000 });
      expect((await kept.subscription()).status).toBe('active');

      await lastStep('pause');
      const paused = await blocked();
      expect((await paused.subscription()).status).toBe('paused');
      await paused.advance('2027-05-20T19:00:00Z');
      expect(await paused.invoices()).toHaveLength(2);
      expect(await paused.payAll()).toMatchObject({ amount: 2000 });
      expect(await paused.subscription()).toMatchObject({
        status: 'active',
        current_period_start: '2027-05-20T19:00:00.000Z',
        current_period_end: '2027-06-01T07:00:00.000Z',
      });
      expect((await paused.invoices()).at(-1).total).toBe(774);

      await lastStep('cancel');
      const cancelled = await blocked();
      expect((await cancelled.subscription()).status).toBe('cancelled');
      await cancelled.advance('2027-05-01T07:00:00Z');
      expect(await cancelled.invoices()).toHaveLength(2);
      expect(await cancelled.payAll()).toMatchObject({ amount: 2000 });
      expect((await cancelled.subscription()).status).toBe('cancelled');
    } finally {
      await lastStep('pause');
    }
  });

  /** The same instant in two zones: 06:00Z on 11 March 2027 is the 10th in Los Angeles, the 11th in New York. */
  const newYork = { ...losAngeles, name: 'Rules East', time_zone: 'America/New_York' };

  /** A customer whose card is saved first (a plan billed in arrears asks for nothing at checkout). */
  async function customerWithCard(plan: string, at: string, details: object) {
    const { call, advance } = await customerOnTestClock(api, details, at, owner);
    const setup = (await call('POST', '/v1/checkout_sessions', { mode: 'setup' })).json();
    await api.payAtTestGateway(setup.url, '4242424242424242');
    await call('POST', `/v1/checkout_sessions/${setup.id}/sync`);
    const session = (await call('POST', '/v1/checkout_sessions', { plan_id: plans[plan] })).json();
    if (session.amount > 0) {
      await api.payAtTestGateway(session.url, '4242424242424242');
      await call('POST', `/v1/checkout_sessions/${session.id}/sync`);
    }
    const sub = (await call('GET', '/v1/subscriptions'))
      .json()
      .data.find((s: { plan_id: string }) => s.plan_id === plans[plan]);
    const invoices = async () => (await call('GET', '/v1/invoices')).json().data.reverse();
    return { call, advance, session, sub, invoices };
  }

  it('R15: a fee in arrears is billed when the period it paid for ends', async () => {
    const west = await customerWithCard('arrears', '2027-03-11T06:00:00Z', losAngeles);
    const east = await customerWithCard('arrears', '2027-03-11T06:00:00Z', newYork);
    expect([west.session.amount, east.session.amount]).toEqual([0, 0]);
    expect(await west.invoices()).toEqual([]);
    // Shown before the period ends, as it is then invoiced: 22 and 21 of March's 31 days.
    expect(west.sub.next_invoice).toMatchObject({ at: '2027-04-01T07:00:00Z', total: 1419 });
    expect(east.sub.next_invoice).toMatchObject({ at: '2027-04-01T04:00:00Z', total: 1355 });

    await east.call('POST', `/v1/subscriptions/${east.sub.id}/cancel`, {});
    await west.advance('2027-04-01T07:00:00Z');
    await east.advance('2027-04-01T07:00:00Z');
    expect((await west.invoices()).map((i: { total: number }) => i.total)).toEqual([1419]);
    // Cancelled at the period's end, the East customer still owes March.
    expect(await east.invoices()).toMatchObject([{ total: 1355, status: 'paid' }]);
    expect((await east.call('GET', `/v1/subscriptions/${east.sub.id}`)).json().status).toBe('cancelled');

    // The invoice names the period it bills, the one that ended, as its line does.
    const [march] = await west.invoices();
    expect(march).toMatchObject({
      period_start: '2027-03-11T06:00:00.000Z',
      period_end: '2027-04-01T07:00:00.000Z',
    });
    expect(march.lines).toMatchObject([
      { period_start: '2027-03-11T06:00:00.000Z', period_end: '2027-04-01T07:00:00.000Z', amount: 1419 },
    ]);
    // Its charge is in the statement of the month it is issued in, with its payment.
    const statements = async () =>
      (await west.call('GET', `/v1/statements?subscription_id=${west.sub.id}`)).json().data.reverse();
    expect(await statements()).toMatchObject([
      {
        month: '2027-04',
        status: 'open',
        opening_balance: 0,
        license_charges: 1419,
        credits: 1419,
        closing_balance: 0,
      },
    ]);

    await west.advance('2027-05-01T07:00:00Z');
    expect((await west.invoices()).map((i: { total: number }) => i.total)).toEqual([1419, 2000]);
    expect((await west.invoices())[1]).toMatchObject({
      period_start: '2027-04-01T07:00:00.000Z',
      period_end: '2027-05-01T07:00:00.000Z',
    });

    // Cancelled after renewals, April's and May's invoices both exist; June 1 bills May, whole.
    await west.call('POST', `/v1/subscriptions/${west.sub.id}/cancel`, {});
    await west.advance('2027-06-01T07:00:00Z');
    expect((await west.invoices()).map((i: { total: number }) => i.total)).toEqual([1419, 2000, 2000]);
    expect((await west.call('GET', `/v1/subscriptions/${west.sub.id}`)).json().status).toBe('cancelled');
  });

  it('R16: a minimum commitment tops the period up, billed when it ends', async () => {
    const west = await customerWithCard('committed', '2027-03-11T06:00:00Z', losAngeles);
    const east = await customerWithCard('committed', '2027-03-11T06:00:00Z', newYork);
    expect([west.session.amount, east.session.amount]).toEqual([710, 677]);
    expect(west.sub.next_invoice.total).toBe(2419);
    expect(east.sub.next_invoice.total).toBe(2355);
    await west.advance('2027-04-01T07:00:00Z');
    await east.advance('2027-04-01T07:00:00Z');
    const westApril = (await west.invoices()).at(-1);
    expect(westApril).toMatchObject({ total: 2419, status: 'paid' });
    const lines = (await west.call('GET', `/v1/invoices/${westApril.id}`)).json().lines;
    expect(lines.map((l: { kind: string; amount: number }) => [l.kind, l.amount])).toEqual([
      ['adjustment', 1419],
      ['license', 1000],
    ]);
    expect((await east.invoices()).at(-1)).toMatchObject({ total: 2355, status: 'paid' });
    // A whole month at the fee alone: 3000 − 1000 = 2000 more, with May's fee.
    await west.advance('2027-05-01T07:00:00Z');
    expect((await west.invoices()).at(-1).total).toBe(3000);
  });

  it('R19: a percentage charge takes 2.9% + 0.30 of each payment, bounded to 0.50–5.00 a payment', async () => {
    const metric = await api.call({
      method: 'POST',
      url: '/v1/operator/metrics',
      as: operator,
      body: {
        code: 'card_payments',
        name: 'Card payments',
        unit: 'USD',
        aggregation: 'sum',
        property: 'amount',
      },
    });
    expect(metric.statusCode, metric.body).toBe(201);
    const card = {
      model: 'percentage',
      rate: '2.9',
      fixed_amount: '0.30',
      per_transaction_min_amount: '0.50',
      per_transaction_max_amount: '5.00',
    };
    const plan = await api.call({
      method: 'POST',
      url: '/v1/operator/plans',
      as: operator,
      body: {
        code: 'payments',
        name: 'Payments',
        currency: 'USD',
        interval: 'month',
        base_price: 0,
        charges: [{ metric: 'card_payments', price: card }],
      },
    });
    expect(plan.statusCode, plan.body).toBe(201);
    expect(plan.json().version.charges[0].price).toEqual(card);
    const preview = (events: string[], quantity?: string) =>
      api.call({
        method: 'POST',
        url: `/v1/operator/plans/${plan.json().id}/preview`,
        as: operator,
        body: { usage: [{ metric: 'card_payments', events, ...(quantity ? { quantity } : {}) }] },
      });

    const payments = ['120.00', '3.50', '500.00', '10.00'];
    const priced = await preview(payments);
    expect(priced.statusCode, priced.body).toBe(200);
    // 3.78 + 0.50 (raised to the minimum) + 5.00 (cut to the maximum) + 0.59 = 9.87
    expect(priced.json().lines.at(-1)).toMatchObject({
      description: 'Card payments',
      quantity: '633.5',
      amount: 987,
      tiers: [{ quantity: '633.5', unit_price: '0.029', flat_price: '1.2', subtotal: '9.87' }],
    });
    expect(priced.json().total).toBe(987);
    expect((await preview([...payments].reverse(), '633.50')).json().total).toBe(987);

    const mismatch = await preview(payments, '600');
    expect(mismatch.statusCode).toBe(400);
    expect(mismatch.json().error).toMatchObject({
      code: 'preview.quantity_mismatch',
      param: 'usage.0.quantity',
    });
    const neither = await api.call({
      method: 'POST',
      url: `/v1/operator/plans/${plan.json().id}/preview`,
      as: operator,
      body: { usage: [{ metric: 'card_payments' }] },
    });
    expect(neither.statusCode).toBe(400);
    expect(neither.json().error).toMatchObject({
      code: 'preview.quantity_required',
      param: 'usage.0.quantity',
    });
  });
  it('R17: a subscription ended now credits the unused days to the balance, once', async () => {
    const who = await customer('pro', '2027-03-01T20:00:00Z');
    expect(who.session.amount).toBe(2000);
    // 20:00Z on 20 March is the 20th in Los Angeles: as on a change (R3), that day and the 11 after it
    // are given back, 12 of March's 31 days.
    await who.advance('2027-03-20T20:00:00Z');
    const cancel = () => who.call('POST', `/v1/subscriptions/${who.sub.id}/cancel`, { at: 'now' });
    const answers = await Promise.all([cancel(), cancel(), cancel()]);
    // Ending an ended subscription is answered as done; the credit is counted once.
    expect(answers.map((a) => a.statusCode)).toEqual([200, 200, 200]);
    expect((await who.call('GET', `/v1/subscriptions/${who.sub.id}`)).json().status).toBe('cancelled');
    const balance = (await who.call('GET', '/v1/billing_customer/balance')).json();
    expect(balance).toMatchObject({ balance: 774, currency: 'USD' });
    expect(balance.transactions).toMatchObject([
      { amount: 774, description: 'Unused time on Pro after cancelling, 12 of 31 days' },
    ]);
    // Nothing was refunded at the gateway: the credit waits on the balance.
    expect(await who.invoices()).toMatchObject([{ total: 2000, status: 'paid' }]);
  });

  it('R17: with credit to the card, the unused days are refunded to it, once', async () => {
    const who = await customer('pro', '2027-03-01T20:00:00Z');
    await who.advance('2027-03-20T20:00:00Z');
    const refundsAtGateway = async () =>
      Number(
        (
          await api.database.db
            .selectFrom('test_gateway_objects')
            .select((eb) => eb.fn.countAll<string>().as('n'))
            .where('kind', '=', 'refund')
            .executeTakeFirstOrThrow()
        ).n,
      );
    const before = await refundsAtGateway();
    const cancel = () =>
      who.call('POST', `/v1/subscriptions/${who.sub.id}/cancel`, { at: 'now', credit: 'card' });
    const answers = await Promise.all([cancel(), cancel(), cancel()]);
    expect(answers.map((a) => a.statusCode)).toEqual([200, 200, 200]);
    expect((await refundsAtGateway()) - before).toBe(1);
    const balance = (await who.call('GET', '/v1/billing_customer/balance')).json();
    expect(balance.balance).toBe(0);
    expect(balance.transactions.map((t: { amount: number }) => t.amount)).toEqual([-774, 774]);
  });

  it('R17: a cancellation at the end of the period, or of a fee in arrears, credits nothing', async () => {
    const atEnd = await customer('pro', '2027-03-01T20:00:00Z');
    await atEnd.advance('2027-03-20T20:00:00Z');
    const refused = await atEnd.call('POST', `/v1/subscriptions/${atEnd.sub.id}/cancel`, {
      credit: 'balance',
    });
    expect(refused.statusCode).toBe(400);
    const both = await atEnd.call('POST', `/v1/subscriptions/${atEnd.sub.id}/cancel`, {
      at: 'now',
      at_period_end: true,
    });
    expect(both.statusCode).toBe(400);
    expect((await atEnd.call('GET', `/v1/subscriptions/${atEnd.sub.id}`)).json().status).toBe('active');
    await atEnd.call('POST', `/v1/subscriptions/${atEnd.sub.id}/cancel`, { at: 'period_end' });
    expect((await atEnd.call('GET', '/v1/billing_customer/balance')).json().balance).toBe(0);

    const arrears = await customerWithCard('arrears', '2027-03-11T06:00:00Z', losAngeles);
    const ended = await arrears.call('POST', `/v1/subscriptions/${arrears.sub.id}/cancel`, { at: 'now' });
    expect(ended.json().status).toBe('cancelled');
    expect((await arrears.call('GET', '/v1/billing_customer/balance')).json()).toMatchObject({
      balance: 0,
      transactions: [],
    });
  });
  it('R25: ended now, a fee in arrears is invoiced for the days used and charged to the card', async () => {
    const who = await customerWithCard('arrears', '2027-03-11T06:00:00Z', losAngeles);
    const payments = async () => (await who.call('GET', '/v1/payments')).json().data;
    const paymentsBefore = (await payments()).length;
    // 20:00Z on 20 March is the 20th in Los Angeles: billable from the 10th (22 of 31 days), 12 days
    // left: 2000 × 22 / 31 = 1419.35 → 1419, less 2000 × 12 / 31 = 774.19 → 774: 645 for 10 days.
    await who.advance('2027-03-20T20:00:00Z');
    const cancel = () => who.call('POST', `/v1/subscriptions/${who.sub.id}/cancel`, { at: 'now' });
    const answers = await Promise.all([cancel(), cancel(), cancel()]);
    expect(answers.map((a) => a.statusCode)).toEqual([200, 200, 200]);
    const [last, ...others] = await who.invoices();
    expect(others).toEqual([]);
    expect(last).toMatchObject({
      total: 645,
      status: 'open',
      billing_reason: 'subscription_cycle',
      period_start: '2027-03-11T06:00:00.000Z',
      period_end: '2027-03-20T20:00:00.000Z',
    });
    expect(last.lines).toMatchObject([
      { kind: 'license', description: 'Pro in arrears, 10 of 31 days until cancelled', amount: 645 },
    ]);
    // The billing run charges it as it charges a renewal: once, to the saved card.
    await who.advance('2027-03-20T20:01:00Z');
    await who.advance('2027-04-01T07:00:00Z');
    expect(await who.invoices()).toMatchObject([{ total: 645, status: 'paid', amount_due: 0 }]);
    const charged = (await payments()).slice(0, (await payments()).length - paymentsBefore);
    expect(charged.map((p: { amount: number }) => p.amount)).toEqual([645]);
    expect((await who.call('GET', '/v1/billing_customer/balance')).json().balance).toBe(0);
  });

  it('R25: ended now, the minimum commitment of the days used is topped up', async () => {
    // Basic committed (1000 in advance, minimum 3000) from the 10th in Los Angeles: 710 paid.
    const who = await customer('committed', '2027-03-11T06:00:00Z');
    expect(who.session.amount).toBe(710);
    await who.advance('2027-03-20T20:00:00Z');
    await who.call('POST', `/v1/subscriptions/${who.sub.id}/cancel`, { at: 'now' });
    // Unused: 1000 × 12 / 31 = 387.10 → −387. Committed for the 10 days used: 3000 × 22 / 31 =
    // 2129.03 → 2129 less 3000 × 12 / 31 = 1161.29 → 1161: 968; billed for them 710 − 387 = 323;
    // top-up 968 − 323 = 645. The invoice nets the two: 258, charged; nothing is credited.
    const last = (await who.invoices()).at(-1);
    expect(last.lines.map((l: { kind: string; amount: number }) => [l.kind, l.amount])).toEqual([
      ['adjustment', 645],
      ['proration_credit', -387],
    ]);
    expect(last).toMatchObject({ total: 258, status: 'open' });
    await who.advance('2027-03-21T20:00:00Z');
    expect((await who.invoices()).at(-1)).toMatchObject({ total: 258, status: 'paid' });
    expect((await who.call('GET', '/v1/billing_customer/balance')).json().balance).toBe(0);
  });

  it('R18: the credit balance pays the next invoices before the card', async () => {
    const who = await customer('pro', '2027-03-01T20:00:00Z');
    // Cancelled on 2 March: 30 of 31 days, 2000 × 30 / 31 = 1935.48 → 1935 credited.
    await who.advance('2027-03-02T20:00:00Z');
    await who.call('POST', `/v1/subscriptions/${who.sub.id}/cancel`, { at: 'now' });
    const payments = async () => (await who.call('GET', '/v1/payments')).json().data;
    const paymentsBefore = (await payments()).length;
    // A new plan at checkout is paid from the balance (R27): 1000 × 30 / 31 = 967.74 → 968, with the
    // card saved for Pro still on file, so it starts at once and nothing is charged.
    const basic = (await who.call('POST', '/v1/checkout_sessions', { plan_id: plans.basic })).json();
    expect(basic).toMatchObject({ status: 'complete', amount: 0, credit_applied: 968, url: null });
    expect((await who.invoices()).at(-1)).toMatchObject({ total: 968, amount_paid: 968, status: 'paid' });
    expect((await who.call('GET', '/v1/billing_customer/balance')).json().balance).toBe(967);

    // 1 April: the 967 left pays part of April's 1000; the card is charged the other 33.
    await who.advance('2027-04-01T07:00:00Z');
    const april = (await who.invoices()).at(-1);
    expect(april).toMatchObject({ total: 1000, amount_paid: 1000, status: 'paid' });
    const charged = (await payments()).slice(0, (await payments()).length - paymentsBefore);
    expect(charged.map((p: { amount: number }) => p.amount)).toEqual([33]);
    const balance = (await who.call('GET', '/v1/billing_customer/balance')).json();
    expect(balance.balance).toBe(0);
    expect(balance.transactions.map((t: { amount: number }) => t.amount)).toEqual([-967, -968, 1935]);
  });

  /** How many payments the test gateway has taken (what cards were actually charged). */
  const gatewayPayments = async () =>
    (
      await api.database.db
        .selectFrom('test_gateway_objects')
        .select(['id', 'data'])
        .where('kind', '=', 'payment')
        .execute()
    ).length;

  it('R26: a plan billed in arrears saves a card at checkout, and its first renewal is charged to it', async () => {
    const { call, advance } = await customerOnTestClock(api, losAngeles, '2027-03-11T06:00:00Z');
    const session = (await call('POST', '/v1/checkout_sessions', { plan_id: plans.arrears })).json();
    // Nothing to pay now, but a card to save for April: a setup at the gateway, the plan not yet started.
    expect(session).toMatchObject({ status: 'open', mode: 'setup', amount: 0, credit_applied: 0 });
    expect(session.url).toEqual(expect.any(String));
    const arrearsSubs = async () =>
      (await call('GET', '/v1/subscriptions'))
        .json()
        .data.filter((sub: { plan_id: string }) => sub.plan_id === plans.arrears);
    expect(await arrearsSubs()).toEqual([]);
    await api.payAtTestGateway(session.url, '4242424242424242');
    const synced = await Promise.all(
      [1, 2].map(() => call('POST', `/v1/checkout_sessions/${session.id}/sync`)),
    );
    expect(synced.map((r) => r.json().status)).toEqual(['complete', 'complete']);
    expect(await arrearsSubs()).toMatchObject([{ status: 'active' }]);
    const methods = (await call('GET', '/v1/payment_methods')).json().data;
    expect(methods).toMatchObject([{ last4: '4242', is_default: true }]);

    // 1 April: 2000 × 22 / 31 = 1419.35 → 1419, charged to the card saved at checkout.
    await advance('2027-04-01T07:00:00Z');
    const invoices = (await call('GET', '/v1/invoices')).json().data;
    expect(invoices).toMatchObject([{ total: 1419, status: 'paid', amount_due: 0 }]);
    const payments = (await call('GET', '/v1/payments')).json().data;
    expect(payments).toMatchObject([{ amount: 1419, status: 'succeeded' }]);
  });

  it('R27: a checkout takes the credit balance when it opens, and gives it back if it expires', async () => {
    const who = await customer('pro', '2027-03-01T20:00:00Z');
    await who.advance('2027-03-20T20:00:00Z');
    await who.call('POST', `/v1/subscriptions/${who.sub.id}/cancel`, { at: 'now' });
    const balance = async () => (await who.call('GET', '/v1/billing_customer/balance')).json();
    expect((await balance()).balance).toBe(774);
    // Enterprise for the 20th to the 31st: 5000 × 12 / 31 = 1935.48 → 1935; 774 from the balance.
    const quote = (await who.call('POST', '/v1/checkout_quotes', { plan_id: plans.enterprise })).json();
    expect(quote).toMatchObject({ total: 1935, credit_applied: 774, amount_due: 1161 });
    const before = await gatewayPayments();
    const session = (await who.call('POST', '/v1/checkout_sessions', { plan_id: plans.enterprise })).json();
    expect(session).toMatchObject({ mode: 'payment', amount: 1161, credit_applied: 774 });
    // The gateway's page explains the amount it asks: the line less the credit.
    expect(await checkoutDescriptionAtTestGateway(api.database.db, session.id)).toBe(
      'Enterprise, 12 of 31 days (Mar 20, 2027 – Mar 31, 2027), less $7.74 credit',
    );
    // Taken as the checkout opened: nothing is left for anything else meanwhile.
    expect((await balance()).balance).toBe(0);
    await api.payAtTestGateway(session.url, '4242424242424242');
    await Promise.all([1, 2, 3].map(() => who.call('POST', `/v1/checkout_sessions/${session.id}/sync`)));
    expect((await gatewayPayments()) - before).toBe(1);
    expect((await who.invoices()).at(-1)).toMatchObject({ total: 1935, amount_paid: 1935, status: 'paid' });
    expect((await who.call('GET', '/v1/payments')).json().data[0]).toMatchObject({ amount: 1161 });
    expect((await balance()).transactions.map((t: { amount: number }) => t.amount)).toEqual([-774, 774]);

    // Another customer's checkout with credit that is never paid: after its day, the credit is back.
    const idle = await customer('pro', '2027-03-01T20:00:00Z');
    await idle.advance('2027-03-20T20:00:00Z');
    await idle.call('POST', `/v1/subscriptions/${idle.sub.id}/cancel`, { at: 'now' });
    const open = (await idle.call('POST', '/v1/checkout_sessions', { plan_id: plans.enterprise })).json();
    expect(open).toMatchObject({ amount: 1161, credit_applied: 774 });
    await idle.advance('2027-03-21T20:01:00Z');
    expect((await idle.call('GET', `/v1/checkout_sessions/${open.id}`)).json().status).toBe('expired');
    const after = (await idle.call('GET', '/v1/billing_customer/balance')).json();
    expect(after.balance).toBe(774);
    expect(after.transactions.map((t: { amount: number }) => t.amount)).toEqual([774, -774, 774]);
  });

  it('R27: two checkouts, or a checkout and a renewal, at once spend the balance once', async () => {
    const who = await customer('pro', '2027-03-01T20:00:00Z');
    await who.advance('2027-03-20T20:00:00Z');
    await who.call('POST', `/v1/subscriptions/${who.sub.id}/cancel`, { at: 'now' });
    const before = await gatewayPayments();
    // Two more licenses of Enterprise at once (1935 each): one takes the 774, the other finds none.
    const open = () =>
      who.call('POST', '/v1/checkout_sessions', { plan_id: plans.enterprise, additional: true });
    const sessions = (await Promise.all([open(), open()])).map((r) => r.json());
    expect(sessions.map((s) => [s.credit_applied, s.amount]).sort((a, b) => a[0] - b[0])).toEqual([
      [0, 1935],
      [774, 1161],
    ]);
    for (const session of sessions) await api.payAtTestGateway(session.url, '4242424242424242');
    await Promise.all(
      sessions.flatMap((session) =>
        [1, 2].map(() => who.call('POST', `/v1/checkout_sessions/${session.id}/sync`)),
      ),
    );
    expect((await gatewayPayments()) - before).toBe(2);
    const paid = (await who.invoices()).slice(-2);
    expect(paid).toMatchObject([
      { total: 1935, amount_paid: 1935, status: 'paid' },
      { total: 1935, amount_paid: 1935, status: 'paid' },
    ]);
    const balance = (await who.call('GET', '/v1/billing_customer/balance')).json();
    expect(balance.balance).toBe(0);
    expect(balance.transactions.map((t: { amount: number }) => t.amount)).toEqual([-774, 774]);

    // A renewal and a checkout at once: Basic bought on 20 March (1000 × 12 / 31 = 387.10 → 387) from
    // a new credit of 774 leaves 387; on 1 April the renewal (1000) and an Enterprise checkout opened
    // at that moment both want it, and it is spent once, by whichever locks the customer first.
    const race = await customer('pro', '2027-03-01T20:00:00Z');
    await race.advance('2027-03-20T20:00:00Z');
    await race.call('POST', `/v1/subscriptions/${race.sub.id}/cancel`, { at: 'now' });
    const basic = (await race.call('POST', '/v1/checkout_sessions', { plan_id: plans.basic })).json();
    expect(basic).toMatchObject({ status: 'complete', amount: 0, credit_applied: 387 });
    const [, checkout] = await Promise.all([
      race.advance('2027-04-01T07:00:00Z'),
      race.call('POST', '/v1/checkout_sessions', { plan_id: plans.enterprise, additional: true }),
    ]);
    const takenByCheckout = checkout.json().credit_applied as number;
    const april = (await race.invoices()).find(
      (i: { total: number; billing_reason: string }) => i.billing_reason === 'subscription_cycle',
    );
    expect(april).toMatchObject({ total: 1000, amount_paid: 1000, status: 'paid' });
    const raceBalance = (await race.call('GET', '/v1/billing_customer/balance')).json();
    expect(raceBalance.balance).toBe(0);
    const spent = raceBalance.transactions.filter((t: { amount: number }) => t.amount < 0);
    expect(spent.reduce((sum: number, t: { amount: number }) => sum + t.amount, 0)).toBe(-774);
    // The card paid what the credit did not: April's rest, and the checkout's amount.
    const charged = (await race.call('GET', '/v1/payments'))
      .json()
      .data.map((p: { amount: number }) => p.amount);
    expect(charged).toContain(1000 - (387 - takenByCheckout));
    // Opened on 20 March (12 of 31 days, 1935) or on 1 April (the whole month, 5000) as the clock moved.
    expect([1935, 5000]).toContain(checkout.json().amount + takenByCheckout);
  });

  /**
   * A customer on `plan` since 1 March who moved down to Basic now on 20 March (R24): 12 of 31 days
   * left, the unused days of `plan` less Basic's 1000 × 12 / 31 = 387.10 → 387 are on the balance.
   */
  async function downgradedToBasic(plan: string, card?: string) {
    const who = await customer(plan, '2027-03-01T20:00:00Z', losAngeles, card);
    await who.advance('2027-03-20T20:00:00Z');
    const down = await who.call('POST', `/v1/subscriptions/${who.sub.id}/change`, {
      plan_id: plans.basic,
      timing: 'now',
    });
    expect(down.statusCode, down.body).toBe(200);
    const balance = async () => (await who.call('GET', '/v1/billing_customer/balance')).json();
    const upgrade = (plan: string) =>
      who.call('POST', `/v1/subscriptions/${who.sub.id}/change`, { plan_id: plans[plan] });
    const preview = async (plan: string) =>
      (
        await who.call('POST', `/v1/subscriptions/${who.sub.id}/preview_change`, { plan_id: plans[plan] })
      ).json();
    const cardPayments = async () => (await who.call('GET', '/v1/payments')).json().data;
    return { ...who, balance, upgrade, preview, cardPayments };
  }

  it('R28: a plan change spends the credit balance before the card, as its summary says', async () => {
    // Pro → Basic now: 2000 × 12 / 31 = 774.19 → 774 back, less 387: 387 on the balance.
    const who = await downgradedToBasic('pro');
    expect((await who.balance()).balance).toBe(387);
    // Basic → Enterprise now: 5000 × 12 / 31 = 1935.48 → 1935, less Basic's 387: 1548; the balance
    // pays 387 and the card the other 1161.
    expect(await who.preview('enterprise')).toMatchObject({
      total_due_now: 1548,
      credit_applied: 387,
      amount_due: 1161,
    });
    const before = await gatewayPayments();
    const done = await who.upgrade('enterprise');
    expect(done.statusCode, done.body).toBe(200);
    expect(done.json().invoice).toMatchObject({ total: 1548, amount_paid: 1548, status: 'paid' });
    expect((await gatewayPayments()) - before).toBe(1);
    expect((await who.cardPayments())[0]).toMatchObject({ amount: 1161, status: 'succeeded' });
    const balance = await who.balance();
    expect(balance.balance).toBe(0);
    expect(balance.transactions.map((t: { amount: number }) => t.amount)).toEqual([-387, 387]);
    // The ledger has the invoice paid: its charges, the credit and the payment net to nothing.
    const [march] = (await who.call('GET', `/v1/statements?subscription_id=${who.sub.id}`)).json().data;
    expect(march.closing_balance).toBe(0);

    // Enterprise → Basic now: 1935 back, less 387: 1548 on the balance; Basic → Pro now costs
    // 774 − 387 = 387, paid by the balance alone: nothing is charged, 1161 is left.
    const rich = await downgradedToBasic('enterprise');
    expect((await rich.balance()).balance).toBe(1548);
    expect(await rich.preview('pro')).toMatchObject({
      total_due_now: 387,
      credit_applied: 387,
      amount_due: 0,
    });
    const beforePro = await gatewayPayments();
    const paidByBalance = await rich.upgrade('pro');
    expect(paidByBalance.statusCode, paidByBalance.body).toBe(200);
    expect(paidByBalance.json().invoice).toMatchObject({ total: 387, amount_paid: 387, status: 'paid' });
    expect(await gatewayPayments()).toBe(beforePro);
    expect((await rich.balance()).balance).toBe(1161);
  });

  it('R28: a change whose card is declined gives the credit it took back, once', async () => {
    const who = await downgradedToBasic('pro', '4000000000000341');
    expect(await who.preview('enterprise')).toMatchObject({ credit_applied: 387, amount_due: 1161 });
    const declined = await who.upgrade('enterprise');
    expect(declined.statusCode).toBe(402);
    expect(declined.json().error.code).toBe('card.declined');
    const sub = (await who.call('GET', `/v1/subscriptions/${who.sub.id}`)).json();
    expect(sub.plan_id).toBe(plans.basic);
    expect((await who.call('GET', '/v1/invoices?status=draft')).json().data).toEqual([]);
    const balance = await who.balance();
    expect(balance.balance).toBe(387);
    expect(balance.transactions.map((t: { amount: number }) => t.amount)).toEqual([387, -387, 387]);
    // The billing run finds nothing left to give back.
    await who.advance('2027-03-20T21:00:00Z');
    expect((await who.balance()).transactions).toHaveLength(3);
  });

  it('R28: a change left claimed by a crash is finished with the same rest, charged once', async () => {
    const who = await downgradedToBasic('pro');
    const before = await gatewayPayments();
    // The gateway fails before charging: the claim, and the credit it took, stay as after a crash.
    api.app.billfoldGateways.test.setFaults({ next: 'error' });
    const lost = await who.upgrade('enterprise');
    api.app.billfoldGateways.test.setFaults({});
    expect(lost.statusCode).toBe(502);
    expect((await who.balance()).balance).toBe(0);
    const [draft] = (await who.call('GET', '/v1/invoices?status=draft')).json().data;
    expect(draft).toMatchObject({ billing_reason: 'subscription_update', total: 1548 });
    // The billing run finishes it with the same key and the same 1161: the card is charged once.
    await who.advance('2027-03-20T20:15:00Z');
    expect((await who.call('GET', `/v1/invoices/${draft.id}`)).json()).toMatchObject({
      status: 'paid',
      amount_paid: 1548,
    });
    expect((await gatewayPayments()) - before).toBe(1);
    expect((await who.cardPayments())[0]).toMatchObject({ amount: 1161, status: 'succeeded' });
    expect((await who.balance()).transactions.map((t: { amount: number }) => t.amount)).toEqual([-387, 387]);
  });

  it('R28: simultaneous upgrades, or an upgrade and a checkout, spend the balance once', async () => {
    const who = await downgradedToBasic('pro');
    const before = await gatewayPayments();
    const answers = await Promise.all([1, 2, 3].map(() => who.upgrade('enterprise')));
    expect(answers.map((r) => r.statusCode).sort()).toEqual([200, 409, 409]);
    expect((await gatewayPayments()) - before).toBe(1);
    expect((await who.cardPayments()).map((p: { amount: number }) => p.amount)).toContain(1161);
    const balance = await who.balance();
    expect(balance.balance).toBe(0);
    expect(balance.transactions.map((t: { amount: number }) => t.amount)).toEqual([-387, 387]);

    // An upgrade (1548) and a checkout for another license of Enterprise (1935) at once: the 387 is
    // taken by whichever locks the customer first, and the other finds the balance empty.
    const race = await downgradedToBasic('pro');
    const beforeRace = await gatewayPayments();
    const [upgraded, checkout] = await Promise.all([
      race.upgrade('enterprise'),
      race.call('POST', '/v1/checkout_sessions', { plan_id: plans.enterprise, additional: true }),
    ]);
    expect(upgraded.statusCode, upgraded.body).toBe(200);
    expect(upgraded.json().invoice).toMatchObject({ total: 1548, amount_paid: 1548, status: 'paid' });
    const takenByCheckout = checkout.json().credit_applied as number;
    expect([0, 387]).toContain(takenByCheckout);
    expect(checkout.json().amount).toBe(1935 - takenByCheckout);
    // Only the upgrade was charged (the checkout's page is not paid): its rest after the credit.
    expect((await gatewayPayments()) - beforeRace).toBe(1);
    expect((await race.cardPayments())[0]).toMatchObject({ amount: 1548 - (387 - takenByCheckout) });
    const raceBalance = await race.balance();
    expect(raceBalance.balance).toBe(0);
    expect(raceBalance.transactions.map((t: { amount: number }) => t.amount)).toEqual([-387, 387]);
  });

  it('R22: a change now to or from a fee in arrears bills each plan for its own days', async () => {
    // 06:00Z on 11 March: the 10th in Los Angeles, the 11th in New York; 04:30Z on 25 March: the
    // 24th there (8 of 31 days left), the 25th here (7 left).
    for (const [details, used, enterprise, proLater, basicCredit] of [
      [losAngeles, 903, 1290, 516, 258],
      [newYork, 903, 1129, 452, 226],
    ] as const) {
      // Leaving a fee in arrears: its 14 used days are charged with Enterprise's rest of March.
      const leaving = await customerWithCard('arrears', '2027-03-11T06:00:00Z', details);
      await leaving.advance('2027-03-25T04:30:00Z');
      const toEnterprise = { plan_id: plans.enterprise };
      const preview = (
        await leaving.call('POST', `/v1/subscriptions/${leaving.sub.id}/preview_change`, toEnterprise)
      ).json();
      expect(preview).toMatchObject({
        direction: 'upgrade',
        effective: 'now',
        total_due_now: used + enterprise,
      });
      expect(preview.lines.map((l: { kind: string; amount: number }) => [l.kind, l.amount])).toEqual([
        ['license', used],
        ['proration_charge', enterprise],
      ]);
      const upgraded = await leaving.call('POST', `/v1/subscriptions/${leaving.sub.id}/change`, toEnterprise);
      expect(upgraded.statusCode, upgraded.body).toBe(200);
      expect(upgraded.json()).toMatchObject({
        invoice: { status: 'paid', total: used + enterprise, amount_paid: used + enterprise },
        subscription: { plan_id: plans.enterprise },
      });
      expect(upgraded.json().invoice.lines.map((l: { amount: number }) => l.amount)).toEqual([
        used,
        enterprise,
      ]);
      await leaving.advance('2027-04-01T07:00:00Z');
      // Only Enterprise's April: March's days of Pro were billed at the change.
      expect((await leaving.invoices()).map((i: { total: number }) => i.total)).toEqual([
        used + enterprise,
        5000,
      ]);

      // Joining a fee in arrears: Basic's unused days credited; Pro's days billed when March ends.
      const joining = await customer('basic', '2027-03-10T20:00:00Z', details);
      await joining.advance('2027-03-25T04:30:00Z');
      const toArrears = { plan_id: plans.arrears };
      const back = (
        await joining.call('POST', `/v1/subscriptions/${joining.sub.id}/preview_change`, toArrears)
      ).json();
      expect(back).toMatchObject({
        effective: 'now',
        total_due_now: -basicCredit,
        credited_to_balance: basicCredit,
        next_payment_amount: proLater,
      });
      expect(back.lines.map((l: { amount: number }) => l.amount)).toEqual([-basicCredit]);
      const joined = await joining.call('POST', `/v1/subscriptions/${joining.sub.id}/change`, toArrears);
      expect(joined.statusCode, joined.body).toBe(200);
      expect(joined.json().invoice).toMatchObject({ status: 'paid', total: -basicCredit });
      expect(joined.json().subscription).toMatchObject({
        plan_id: plans.arrears,
        next_invoice: { total: proLater },
      });
      expect((await joining.call('GET', '/v1/billing_customer/balance')).json().balance).toBe(basicCredit);
      const paymentsBefore = (await joining.call('GET', '/v1/payments')).json().data.length;
      await joining.advance('2027-04-01T07:00:00Z');
      const april = (await joining.invoices()).at(-1);
      expect(april).toMatchObject({ total: proLater, amount_paid: proLater, status: 'paid' });
      const aprilLines = (await joining.call('GET', `/v1/invoices/${april.id}`)).json().lines;
      expect(aprilLines.map((l: { kind: string; amount: number }) => [l.kind, l.amount])).toEqual([
        ['license', proLater],
      ]);
      const charged = (await joining.call('GET', '/v1/payments')).json().data.slice(0, -paymentsBefore);
      expect(charged.map((p: { amount: number }) => p.amount)).toEqual([proLater - basicCredit]);
      expect((await joining.call('GET', '/v1/billing_customer/balance')).json().balance).toBe(0);
    }
  });

  it('R23: a change during a trial bills nothing', async () => {
    for (const [details, trialEnd, enterprise] of [
      [losAngeles, '2027-03-24T07:00:00Z', 1290],
      [newYork, '2027-03-25T04:00:00Z', 1129],
    ] as const) {
      const who = await customerWithCard('pro_trial', '2027-03-11T06:00:00Z', details);
      expect(who.sub).toMatchObject({ status: 'trialing', trial_end: `${trialEnd.slice(0, -1)}.000Z` });
      await who.advance('2027-03-15T20:00:00Z');
      const toEnterprise = { plan_id: plans.enterprise };
      const preview = (
        await who.call('POST', `/v1/subscriptions/${who.sub.id}/preview_change`, toEnterprise)
      ).json();
      expect(preview).toMatchObject({
        effective: 'now',
        lines: [],
        total_due_now: 0,
        credited_to_balance: 0,
        next_payment_at: trialEnd,
        next_payment_amount: enterprise,
      });
      const done = await who.call('POST', `/v1/subscriptions/${who.sub.id}/change`, toEnterprise);
      expect(done.statusCode, done.body).toBe(200);
      expect(done.json()).toMatchObject({
        invoice: null,
        subscription: {
          plan_id: plans.enterprise,
          status: 'trialing',
          current_period_end: `${trialEnd.slice(0, -1)}.000Z`,
        },
      });
      expect(await who.invoices()).toEqual([]);
      await who.advance(trialEnd);
      expect(await who.invoices()).toMatchObject([{ total: enterprise, status: 'paid' }]);
      expect((await who.call('GET', `/v1/subscriptions/${who.sub.id}`)).json().status).toBe('active');
    }
    // Down to Basic now, in a trial: no unpaid days are credited.
    const down = await customerWithCard('pro_trial', '2027-03-11T06:00:00Z', losAngeles);
    await down.advance('2027-03-15T20:00:00Z');
    const now = { plan_id: plans.basic, timing: 'now' };
    const preview = (await down.call('POST', `/v1/subscriptions/${down.sub.id}/preview_change`, now)).json();
    expect(preview).toMatchObject({
      effective: 'now',
      lines: [],
      total_due_now: 0,
      next_payment_amount: 258,
    });
    const done = await down.call('POST', `/v1/subscriptions/${down.sub.id}/change`, now);
    expect(done.json()).toMatchObject({
      invoice: null,
      subscription: { plan_id: plans.basic, status: 'trialing' },
    });
    expect((await down.call('GET', '/v1/billing_customer/balance')).json()).toMatchObject({
      balance: 0,
      transactions: [],
    });
  });

  it('R24: a change’s credit goes to the balance once; an anniversary restarts at a change of interval', async () => {
    /** A customer on anniversary periods of `plan` from 10 March, moved to `to` at 04:30Z on 25 March. */
    async function anniversary(plan: string, details: object) {
      const { call, advance } = await customerOnTestClock(api, details, '2027-03-10T20:00:00Z', owner);
      await checkoutWithCard(api, { call }, { plan_id: plans[plan], billing_mode: 'anniversary' });
      const sub = (await call('GET', '/v1/subscriptions')).json().data[0];
      await advance('2027-03-25T04:30:00Z');
      return { call, advance, sub };
    }
    const balanceOf = async (who: Awaited<ReturnType<typeof anniversary>>) =>
      (await who.call('GET', '/v1/billing_customer/balance')).json();
    for (const [details, yearCredit, april, monthCredit, nextYear] of [
      [losAngeles, 9617, '2027-04-24T07:00:00.000Z', 548, '2028-03-24T07:00:00.000Z'],
      [newYork, 9590, '2027-04-25T04:00:00.000Z', 516, '2028-03-25T04:00:00.000Z'],
    ] as const) {
      // Yearly → monthly: 352 (351) of 366 days credited, a whole month from the change charged.
      const down = await anniversary('basic_year', details);
      const toMonthly = { plan_id: plans.basic };
      const preview = (
        await down.call('POST', `/v1/subscriptions/${down.sub.id}/preview_change`, toMonthly)
      ).json();
      // The new period's fee first: whole, it starts at midnight on the day of the change.
      expect(preview.lines.map((l: { amount: number }) => l.amount)).toEqual([1000, -yearCredit]);
      expect(preview).toMatchObject({
        total_due_now: 1000 - yearCredit,
        credited_to_balance: yearCredit - 1000,
        next_payment_at: april.replace('.000Z', 'Z'),
        next_payment_amount: 1000,
      });
      // Sent three times at once: one change, one credit.
      const answers = await Promise.all(
        [1, 2, 3].map(() => down.call('POST', `/v1/subscriptions/${down.sub.id}/change`, toMonthly)),
      );
      expect(answers.filter((a) => a.statusCode === 200)).toHaveLength(1);
      const done = answers.find((a) => a.statusCode === 200)?.json();
      expect(done).toMatchObject({
        invoice: { status: 'paid', total: 1000 - yearCredit },
        subscription: { plan_id: plans.basic, current_period_end: april, billing_mode: 'anniversary' },
      });
      expect(await balanceOf(down)).toMatchObject({ balance: yearCredit - 1000 });
      expect((await balanceOf(down)).transactions).toHaveLength(1);
      const ledger = (await down.call('GET', `/v1/ledger_entries?subscription_id=${down.sub.id}`)).json();
      expect(ledger.balance).toBe(0);
      // The new anniversary: the month to 24 (25) April renews whole, paid from the balance.
      await down.advance(april.replace('.000Z', 'Z'));
      const invoices = (await down.call('GET', '/v1/invoices')).json().data;
      expect(invoices[0]).toMatchObject({ total: 1000, amount_paid: 1000, status: 'paid' });
      expect((await balanceOf(down)).balance).toBe(yearCredit - 2000);

      // Monthly → yearly: 17 (16) of 31 days credited, the year from the change charged whole.
      const up = await anniversary('basic', details);
      const toYearly = { plan_id: plans.basic_year };
      const upPreview = (
        await up.call('POST', `/v1/subscriptions/${up.sub.id}/preview_change`, toYearly)
      ).json();
      expect(upPreview.lines.map((l: { amount: number }) => l.amount)).toEqual([10000, -monthCredit]);
      const upgraded = await up.call('POST', `/v1/subscriptions/${up.sub.id}/change`, toYearly);
      expect(upgraded.statusCode, upgraded.body).toBe(200);
      expect(upgraded.json()).toMatchObject({
        invoice: { status: 'paid', total: 10000 - monthCredit, amount_paid: 10000 - monthCredit },
        subscription: { plan_id: plans.basic_year, current_period_end: nextYear },
      });
      expect(upPreview.total_due_now).toBe(10000 - monthCredit);
      await up.advance(nextYear.replace('.000Z', 'Z'));
      expect((await up.call('GET', '/v1/invoices')).json().data[0]).toMatchObject({ total: 10000 });
    }
  });

  it('R29: seats are billed by the days they are held, and carry into the next month', async () => {
    await createMetrics(api, operator, [
      {
        code: 'team_seats',
        name: 'Seats',
        unit: 'seat',
        aggregation: 'sum',
        property: 'change',
        recurring: true,
      },
    ]);
    Object.assign(
      plans,
      await publishPlans(api, operator, [
        [
          'team',
          {
            name: 'Team',
            base_price: 1000,
            charges: [{ metric: 'team_seats', price: { model: 'per_unit', unit_price: '4.00' } }],
          },
        ],
      ]),
    );
    const who = await customer('team', '2027-04-01T17:00:00Z');
    const seats = (id: string, timestamp: string, change: number) => ({
      event_id: `${who.orgId}:${id}`,
      customer: who.orgId,
      code: 'team_seats',
      timestamp,
      properties: { change },
    });
    const sent = await api.call({
      method: 'POST',
      url: '/v1/events/batch',
      as: await ingestKeyOf(api, operator),
      body: {
        events: [seats('first', '2027-04-01T18:00:00Z', 10), seats('more', '2027-04-16T18:00:00Z', 5)],
      },
    });
    expect(sent.json().accepted, sent.body).toBe(2);
    const usage = async () => {
      const [latest] = await who.invoices().then((all) => all.reverse());
      return {
        lines: latest.lines
          .filter((l: { kind: string }) => l.kind !== 'tax')
          .map((l: { description: string; quantity: string; amount: number }) => [
            l.description,
            l.quantity,
            l.amount,
          ]),
        total: latest.total,
      };
    };
    // April: 10 × 30 + 5 × 15 = 375 seat-days of 30, 12.5 seats × 4.00 = 50.00, with May's fee.
    await who.advance('2027-05-01T12:00:00Z');
    expect(await usage()).toEqual({
      lines: [
        ['Seats', '12.5', 5000],
        ['Team (May 1, 2027 – May 31, 2027)', '1', 1000],
      ],
      total: 6000,
    });
    // May: nothing sent; 15 seats all month, 60.00.
    await who.advance('2027-06-01T12:00:00Z');
    expect(await usage()).toEqual({
      lines: [
        ['Seats', '15', 6000],
        ['Team (Jun 1, 2027 – Jun 30, 2027)', '1', 1000],
      ],
      total: 7000,
    });
  });
});
