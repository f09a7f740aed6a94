import { writeFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Person, type TestApi, testApi } from '../testing/api.js';
import { chargesAtTestGateway, customerOnTestClock } from '../testing/billing.js';
import { engines } from '../testing/databases.js';

/**
 * Billing in time, through the API and the test gateway's pay page, with test clocks: subscribe
 * mid-month, advance across a month end, a daylight-saving change and 29 February 2028, and assert
 * the exact invoice lines, numbers, ledger entries and statement balances. Then a card that fails
 * off-session goes through the dunning schedule, and a refund lands in the ledger as a credit.
 *
 * Every amount below is computed by hand in the comment beside it.
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

const kolkata = {
  name: 'Tata Compute',
  email: 'billing@tata.example',
  address_line1: '12 MG Road',
  city: 'Bengaluru',
  state: 'KA',
  postal_code: '560001',
  country: 'IN',
  phone: '+919876543210',
  time_zone: 'Asia/Kolkata',
};

const withoutSeq = <T extends { seq: unknown }>({ seq: _seq, ...rest }: T) => rest;

describe.each(engines())('the billing run in time, on %s', (engine) => {
  let api: TestApi;
  let operator: Person;
  let usdPlan: string;
  let inrPlan: string;

  beforeAll(async () => {
    api = await testApi(engine);
    operator = await api.signUpOperator();
    const plan = async (body: object) =>
      (await api.call({ method: 'POST', url: '/v1/operator/plans', as: operator, body })).json().id as string;
    usdPlan = await plan({ code: 'pro', name: 'Pro', currency: 'USD', interval: 'month', base_price: 2000 });
    inrPlan = await plan({
      code: 'pro_inr',
      name: 'Pro India',
      currency: 'INR',
      interval: 'month',
      base_price: 310000,
    });
  });
  afterAll(() => api.close());

  // After every test, counted at the gateway: each paid invoice was charged successfully exactly
  // once, no other invoice was charged successfully at all, and no successful charge went unrecorded.
  afterEach(async () => {
    const { invoices, unrecorded } = await chargesAtTestGateway(api.database.db);
    const wrong = invoices.filter((i) => i.succeeded !== (i.status === 'paid' ? 1 : 0));
    expect(wrong).toEqual([]);
    expect(unrecorded).toEqual([]);
  });

  const customerOnClock = (details: object, frozenTime: string) =>
    customerOnTestClock(api, details, frozenTime);
  type Who = Awaited<ReturnType<typeof customerOnClock>>;

  async function subscribe(who: Who, planId: string, cardNumber = '4242424242424242') {
    const session = (await who.call('POST', '/v1/checkout_sessions', { plan_id: planId })).json();
    const paid = await api.payAtTestGateway(session.url, cardNumber);
    expect(paid.statusCode).toBe(303);
    const synced = await who.call('POST', `/v1/checkout_sessions/${session.id}/sync`);
    expect(synced.json()).toMatchObject({ status: 'complete', payment: { status: 'succeeded' } });
    return session;
  }
  async function saveCard(who: Who, cardNumber: string) {
    const setup = (await who.call('POST', '/v1/checkout_sessions', { mode: 'setup' })).json();
    const saved = await api.payAtTestGateway(setup.url, cardNumber);
    expect(saved.statusCode).toBe(303);
    expect((await who.call('POST', `/v1/checkout_sessions/${setup.id}/sync`)).json().status).toBe('complete');
  }
  const advance = async (who: Who, to: string) => {
    const moved = await who.call('POST', `/v1/test_clocks/${who.clockId}/advance`, { frozen_time: to });
    expect(moved.statusCode, moved.body).toBe(200);
    return moved.json();
  };
  const paidSubscription = async (who: Who) =>
    (await who.call('GET', '/v1/subscriptions'))
      .json()
      .data.find((s: { plan_name: string }) => s.plan_name !== 'Free');
  const invoices = async (who: Who) => (await who.call('GET', '/v1/invoices')).json().data.reverse();
  const statements = async (who: Who, subscriptionId: string) =>
    (await who.call('GET', `/v1/statements?subscription_id=${subscriptionId}`)).json().data.reverse();
  const numberOf = (number: string) => Number(number.split('-')[1]);

  it('bills Los Angeles by calendar months in its own zone, across the change to daylight time', async () => {
    // 13:00 on Wednesday 10 March 2027 in Los Angeles (PST, UTC−8). Daylight time starts on the 14th.
    const who = await customerOnClock(losAngeles, '2027-03-10T21:00:00Z');
    const session = await subscribe(who, usdPlan);
    // March has 31 days; 10–31 March are 22 of them: 2000 × 22 / 31 = 1419.35… → 1419.
    expect(session.amount).toBe(1419);
    const sub = await paidSubscription(who);
    expect(sub).toMatchObject({
      status: 'active',
      billing_mode: 'calendar',
      time_zone: 'America/Los_Angeles',
      // Midnight on 1 April in Los Angeles is 07:00 UTC: daylight time (UTC−7) by then.
      current_period_end: '2027-04-01T07:00:00.000Z',
    });
    const [first] = await invoices(who);
    expect(first).toMatchObject({
      status: 'paid',
      billing_reason: 'subscription_create',
      subtotal: 1419,
      tax: 0,
      total: 1419,
      amount_paid: 1419,
      amount_due: 0,
      lines: [
        { kind: 'license', description: 'Pro, 22 of 31 days (Mar 10, 2027 – Mar 31, 2027)', amount: 1419 },
      ],
    });
    expect(first.number).toMatch(/^BF-\d{6}$/);

    // One minute before local midnight nothing has happened; at midnight April's invoice is charged.
    expect((await advance(who, '2027-04-01T06:59:00Z')).report).toEqual({
      renewed: 0,
      charged: 0,
      failed: 0,
      closed: 0,
    });
    expect((await advance(who, '2027-04-01T07:00:00Z')).report).toEqual({
      renewed: 1,
      charged: 1,
      failed: 0,
      closed: 1,
    });
    const [, april] = await invoices(who);
    expect(april).toMatchObject({
      status: 'paid',
      billing_reason: 'subscription_cycle',
      period_start: '2027-04-01T07:00:00.000Z',
      period_end: '2027-05-01T07:00:00.000Z',
      total: 2000,
      amount_paid: 2000,
      // Due on the 15th, local midnight (PDT).
      due_at: '2027-04-15T07:00:00.000Z',
      lines: [{ kind: 'license', description: 'Pro (Apr 1, 2027 – Apr 30, 2027)', amount: 2000 }],
    });
    expect(numberOf(april.number)).toBe(numberOf(first.number) + 1);

    const [march, aprilStatement] = await statements(who, sub.id);
    expect(march).toMatchObject({
      month: '2027-03',
      status: 'closed',
      period_start: '2027-03-01T08:00:00.000Z',
      period_end: '2027-04-01T07:00:00.000Z',
      opening_balance: 0,
      credits: 1419,
      license_charges: 1419,
      usage_charges: 0,
      other_charges: 0,
      closing_balance: 0,
    });
    expect(aprilStatement).toMatchObject({
      month: '2027-04',
      status: 'open',
      opening_balance: 0,
      credits: 2000,
      license_charges: 2000,
      closing_balance: 0,
    });

    const ledger = (await who.call('GET', `/v1/ledger_entries?subscription_id=${sub.id}`)).json();
    expect(ledger.data.map((e: { kind: string; amount: number }) => [e.kind, e.amount])).toEqual([
      ['license', -1419],
      ['payment', 1419],
      ['license', -2000],
      ['payment', 2000],
    ]);
    expect(ledger.balance).toBe(0);
  });

  it('bills Kolkata with GST across 29 February 2028', async () => {
    // 09:30 on 10 February 2028 in Kolkata (UTC+5:30). 2028 is a leap year: February has 29 days.
    const who = await customerOnClock(kolkata, '2028-02-10T04:00:00Z');
    const session = await subscribe(who, inrPlan);
    // 10–29 February: 20 of 29 days. 310000 × 20 / 29 = 213793.10… → 213793;
    // GST 18%: 213793 × 0.18 = 38482.74 → 38483; total 252276.
    expect(session.amount).toBe(252276);
    const sub = await paidSubscription(who);
    // Midnight on 1 March in Kolkata is 18:30 UTC on 29 February.
    expect(sub.current_period_end).toBe('2028-02-29T18:30:00.000Z');
    const [first] = await invoices(who);
    expect(first).toMatchObject({
      subtotal: 213793,
      tax: 38483,
      tax_name: 'GST',
      tax_percent: '18',
      total: 252276,
      lines: [{ description: 'Pro India, 20 of 29 days (Feb 10, 2028 – Feb 29, 2028)', amount: 213793 }],
    });

    // The invoice as documents: a page to print and a PDF, with the customer, lines and totals.
    const page = await who.call('GET', `/v1/invoices/${first.id}/html`);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    for (const text of [
      first.number,
      'Tata Compute',
      'Billfold Cloud',
      'Pro India, 20 of 29 days',
      'GST 18%',
      '₹2,522.76',
      'Paid',
    ]) {
      expect(page.body).toContain(text);
    }
    const pdf = await who.call('GET', `/v1/invoices/${first.id}/pdf`);
    expect(pdf.headers['content-type']).toBe('application/pdf');
    expect(pdf.headers['content-disposition']).toBe(`attachment; filename="${first.number}.pdf"`);
    expect(pdf.rawPayload.subarray(0, 5).toString()).toBe('%PDF-');
    if (process.env.BILLFOLD_SAVE_DOCUMENTS) {
      writeFileSync(`${process.env.BILLFOLD_SAVE_DOCUMENTS}/invoice.pdf`, pdf.rawPayload);
      writeFileSync(`${process.env.BILLFOLD_SAVE_DOCUMENTS}/invoice.html`, page.body);
    }

    await advance(who, '2028-03-01T00:00:00Z');
    const [, march] = await invoices(who);
    // 310000 + 18% (55800) = 365800.
    expect(march).toMatchObject({
      status: 'paid',
      period_start: '2028-02-29T18:30:00.000Z',
      period_end: '2028-03-31T18:30:00.000Z',
      subtotal: 310000,
      tax: 55800,
      total: 365800,
      lines: [{ description: 'Pro India (Mar 1, 2028 – Mar 31, 2028)' }],
    });
    const [february] = await statements(who, sub.id);
    // Credits 252276 (the payment); license 213793 and tax 38483 (other): closing 0.
    expect(february).toMatchObject({
      month: '2028-02',
      status: 'closed',
      credits: 252276,
      license_charges: 213793,
      other_charges: 38483,
      closing_balance: 0,
    });
  });

  it('chases a card that fails off-session on days 3, 5 and 7, blocks, and is active again once paid', async () => {
    const who = await customerOnClock(losAngeles, '2027-03-10T21:00:00Z');
    await subscribe(who, usdPlan);
    const sub = await paidSubscription(who);
    // Then the card is replaced by 4000000000000341: it is saved, and every charge to it fails.
    await saveCard(who, '4000000000000341');

    await advance(who, '2027-04-01T07:00:00Z');
    let status = (await who.call('GET', '/v1/billing/status')).json();
    expect(status).toMatchObject({ status: 'past_due', amount_due: 2000 });
    // Retries at local midnight + 3, 5 and 7 days from the first failure (the time of day kept).
    expect(status.open_invoices[0].next_attempt_at).toBe('2027-04-04T07:00:00.000Z');

    await advance(who, '2027-04-06T00:00:00Z');
    let [, april] = await invoices(who);
    // Day 3 (4 April) failed too: the next try is day 5.
    expect(april).toMatchObject({
      status: 'open',
      attempt_count: 2,
      next_attempt_at: '2027-04-06T07:00:00.000Z',
    });
    expect((await paidSubscription(who)).status).toBe('past_due');

    await advance(who, '2027-04-09T00:00:00Z');
    [, april] = await invoices(who);
    expect(april).toMatchObject({ status: 'open', attempt_count: 4, next_attempt_at: null });
    status = (await who.call('GET', '/v1/billing/status')).json();
    expect(status).toMatchObject({ status: 'blocked', amount_due: 2000 });
    const history = (await who.call('GET', `/v1/subscriptions/${sub.id}`)).json().history;
    // Paused, the default last step: nothing more is invoiced until the invoice is paid.
    expect(history.map((e: { to_status: string }) => e.to_status)).toEqual(['active', 'past_due', 'paused']);

    // A new card, then pay: active again, in the same period (it had not ended), with nothing more to pay.
    await saveCard(who, '4242424242424242');
    const paid = await who.call('POST', `/v1/invoices/${april.id}/pay`);
    expect(paid.statusCode, paid.body).toBe(200);
    expect(paid.json()).toMatchObject({ status: 'paid', amount_due: 0 });
    expect((await who.call('GET', '/v1/billing/status')).json().status).toBe('active');
    expect((await paidSubscription(who)).status).toBe('active');
  });

  it('takes payment of an open invoice by link, from someone without an account, and unblocks', async () => {
    const who = await customerOnClock(losAngeles, '2027-03-10T21:00:00Z');
    await subscribe(who, usdPlan);
    await saveCard(who, '4000000000000341');
    await advance(who, '2027-04-09T00:00:00Z');
    expect((await who.call('GET', '/v1/billing/status')).json().status).toBe('blocked');
    const [, april] = await invoices(who);
    const link = await who.call('POST', '/v1/payment_links', { invoice_id: april.id });
    expect(link.statusCode, link.body).toBe(201);
    expect(link.json()).toMatchObject({
      amount: 2000,
      invoice_id: april.id,
      description: `Invoice ${april.number}`,
    });
    const paid = await api.payAtTestGateway(link.json().url, '4242424242424242');
    expect(paid.statusCode).toBe(303);
    await who.call('POST', `/v1/payment_links/${link.json().id}/sync`);
    expect((await who.call('GET', '/v1/billing/status')).json()).toMatchObject({
      status: 'active',
      amount_due: 0,
    });
    expect((await invoices(who))[1]).toMatchObject({ status: 'paid', amount_paid: 2000 });
    // A paid invoice cannot get another link.
    const again = await who.call('POST', '/v1/payment_links', { invoice_id: april.id });
    expect(again.json().error.code).toBe('payment_link.invoice_not_open');
  });

  it('records a refund as a credit and a refund in the ledger, leaving the balance where it was', async () => {
    const who = await customerOnClock(losAngeles, '2027-03-10T21:00:00Z');
    await subscribe(who, usdPlan);
    const sub = await paidSubscription(who);
    const [payment] = (await who.call('GET', '/v1/payments')).json().data;
    const refund = await api.call({
      method: 'POST',
      url: `/v1/operator/organizations/${who.orgId}/payments/${payment.id}/refunds`,
      as: operator,
      body: { amount: 400, reason: 'Outage credit' },
    });
    expect(refund.statusCode, refund.body).toBe(201);
    const ledger = (await who.call('GET', `/v1/ledger_entries?subscription_id=${sub.id}`)).json();
    expect(ledger.data.map((e: { kind: string; amount: number }) => [e.kind, e.amount])).toEqual([
      ['license', -1419],
      ['payment', 1419],
      ['credit', 400],
      ['refund', -400],
    ]);
    expect(ledger.balance).toBe(0);
    // On the customer's clock, not the platform's: the refund and its entries are dated in the
    // customer's March, so they land in March's statement.
    expect(refund.json().created_at).toBe('2027-03-10T21:00:00.000Z');
    for (const entry of ledger.data.slice(2)) expect(entry.effective_at).toBe('2027-03-10T21:00:00.000Z');
  });

  it('refuses to change or delete a ledger entry, or to add one to a closed statement', async () => {
    const who = await customerOnClock(losAngeles, '2027-03-10T21:00:00Z');
    await subscribe(who, usdPlan);
    await advance(who, '2027-04-02T00:00:00Z');
    const db = api.database.db;
    const entry = await db
      .selectFrom('ledger_entries')
      .selectAll()
      .where('org_id', '=', who.orgId)
      .executeTakeFirstOrThrow();
    await expect(
      db.updateTable('ledger_entries').set({ amount: 1n }).where('id', '=', entry.id).execute(),
    ).rejects.toThrow(/append-only/);
    await expect(db.deleteFrom('ledger_entries').where('id', '=', entry.id).execute()).rejects.toThrow(
      /append-only/,
    );
    const closed = await db
      .selectFrom('statements')
      .selectAll()
      .where('org_id', '=', who.orgId)
      .where('status', '=', 'closed')
      .executeTakeFirstOrThrow();
    await expect(
      db
        .insertInto('ledger_entries')
        .values({
          ...withoutSeq(entry),
          id: 'le_sneaky000000',
          source_key: 'sneaky',
          statement_id: closed.id,
        })
        .execute(),
    ).rejects.toThrow(/closed/);
    await expect(
      db.updateTable('statements').set({ credits: 0n }).where('id', '=', closed.id).execute(),
    ).rejects.toThrow(/closed/);
  });

  it('charges a renewal once when the clock is advanced three times at once', async () => {
    const who = await customerOnClock(losAngeles, '2027-03-10T21:00:00Z');
    await subscribe(who, usdPlan);
    const moves = await Promise.all(
      Array.from({ length: 3 }, () =>
        who.call('POST', `/v1/test_clocks/${who.clockId}/advance`, { frozen_time: '2027-04-02T00:00:00Z' }),
      ),
    );
    // One advance moves the clock; the others find it there already (or being moved): never a 500.
    for (const moved of moves) {
      if (moved.statusCode !== 200) expect(moved.json().error.code, moved.body).toMatch(/^test_clock\./);
    }
    expect(moves.some((moved) => moved.statusCode === 200)).toBe(true);
    const april = (await invoices(who)).filter(
      (invoice: { billing_reason: string }) => invoice.billing_reason === 'subscription_cycle',
    );
    expect(april).toMatchObject([{ status: 'paid', total: 2000 }]);
    // Counted at the gateway: one successful charge for April's invoice, none failed.
    const { invoices: charged } = await chargesAtTestGateway(api.database.db);
    expect(charged.find((invoice) => invoice.invoiceId === april[0].id)).toMatchObject({
      succeeded: 1,
      failed: 0,
    });
  });
});
