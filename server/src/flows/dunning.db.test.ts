import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../context.js';
import { tenantContext } from '../tenant.js';
import { type Person, type TestApi, testApi } from '../testing/api.js';
import { checkoutWithCard, customerOnTestClock } from '../testing/billing.js';
import { engines } from '../testing/databases.js';
import { payOpenInvoices } from './pay-open-invoices.js';
import { billingCustomerContext } from './subscription-billing.js';
import { handleGatewayEvent } from './webhooks.js';

/**
 * Dunning's last step (docs/billing-rules.md, R11) and paying everything owed in one payment, on a
 * test clock through the API. A customer in Los Angeles subscribes to Pro (20.00 a month) on
 * 10 March 2027; from 1 April every charge to its card fails: attempts on 1, 4, 6 and 8 April.
 */

const losAngeles = {
  name: 'Dunning Inc.',
  email: 'billing@dunning.example',
  address_line1: '1 Market St',
  city: 'San Francisco',
  state: 'CA',
  postal_code: '94105',
  country: 'US',
  time_zone: 'America/Los_Angeles',
};

const DECLINES_OFF_SESSION = '4000000000000341';
const SUCCEEDS = '4242424242424242';

interface Invoice {
  id: string;
  attempt_count: number;
  next_attempt_at: string | null;
  number: string;
  status: string;
  total: number;
  amount_due: number;
  amount_paid: number;
  period_start: string;
  period_end: string;
}

describe.each(engines())('dunning’s last step on %s', (engine) => {
  let api: TestApi;
  let operator: Person;
  let pro: string;

  beforeAll(async () => {
    api = await testApi(engine);
    operator = await api.signUpOperator();
    const created = await api.call({
      method: 'POST',
      url: '/v1/operator/plans',
      as: operator,
      body: { code: 'pro', name: 'Pro', currency: 'USD', interval: 'month', base_price: 2000 },
    });
    pro = created.json().id;
  });
  afterAll(() => api.close());

  async function finalStep(step: 'keep' | 'pause' | 'cancel') {
    const set = await api.call({
      method: 'PATCH',
      url: '/v1/operator/billing_settings',
      as: operator,
      body: { dunning_final_step: step },
    });
    expect(set.statusCode, set.body).toBe(200);
    expect(set.json().dunning_final_step).toBe(step);
  }

  /** Subscribed on 10 March with a good card, then a card that fails off-session: blocked on 8 April. */
  async function blockedCustomer() {
    const who = await customerOnTestClock(api, losAngeles, '2027-03-10T20:00:00Z');
    await checkoutWithCard(api, who, { plan_id: pro });
    const sub = (await who.call('GET', '/v1/subscriptions')).json().data[0];
    const saveCard = async (card: string) => {
      const setup = (await who.call('POST', '/v1/checkout_sessions', { mode: 'setup' })).json();
      await api.payAtTestGateway(setup.url, card);
      await who.call('POST', `/v1/checkout_sessions/${setup.id}/sync`);
    };
    await saveCard(DECLINES_OFF_SESSION);
    await who.advance('2027-04-08T07:00:00Z');
    const invoices = async (): Promise<Invoice[]> =>
      (await who.call('GET', '/v1/invoices')).json().data.reverse();
    const subscription = async () => (await who.call('GET', `/v1/subscriptions/${sub.id}`)).json();
    const status = async () => (await who.call('GET', '/v1/billing/status')).json();
    return { ...who, sub, saveCard, invoices, subscription, status };
  }

  it('refuses a final step it does not know, and changes nothing', async () => {
    await finalStep('pause');
    const refused = await api.call({
      method: 'PATCH',
      url: '/v1/operator/billing_settings',
      as: operator,
      body: { dunning_final_step: 'forgive' },
    });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().error.code).toBe('request.invalid');
    const settings = await api.call({ method: 'GET', url: '/v1/operator/billing_settings', as: operator });
    expect(settings.json().dunning_final_step).toBe('pause');
  });

  it('keep: the unpaid subscription goes on being invoiced, and one payment settles both months', async () => {
    await finalStep('keep');
    const who = await blockedCustomer();
    expect((await who.subscription()).status).toBe('unpaid');
    await who.advance('2027-05-01T07:00:00Z');
    const [, april, may] = await who.invoices();
    expect(april).toMatchObject({ status: 'open', amount_due: 2000 });
    expect(may).toMatchObject({ status: 'open', amount_due: 2000, period_start: '2027-05-01T07:00:00.000Z' });
    const owed = await who.status();
    expect(owed).toMatchObject({ status: 'blocked', amount_due: 4000 });
    expect(owed.open_invoices).toHaveLength(2);

    await who.saveCard(SUCCEEDS);
    const paid = await who.call('POST', '/v1/billing/pay', {});
    expect(paid.statusCode, paid.body).toBe(200);
    expect(paid.json()).toMatchObject({ status: 'paid', amount: 4000, currency: 'USD' });
    const settled = paid.json().invoices.map((i: Invoice) => [i.number, i.status, i.amount_paid]);
    expect(settled.sort()).toEqual(
      [
        [april?.number, 'paid', 2000],
        [may?.number, 'paid', 2000],
      ].sort(),
    );
    expect(await who.status()).toMatchObject({ status: 'active', amount_due: 0 });
    expect((await who.subscription()).status).toBe('active');
    // One payment of 4000 at the gateway, and a ledger entry for each invoice it paid.
    const payments = (await who.call('GET', '/v1/payments')).json().data;
    expect(payments.filter((p: { amount: number }) => p.amount === 4000)).toHaveLength(1);
    const ledger = (await who.call('GET', `/v1/ledger_entries?subscription_id=${who.sub.id}`)).json();
    const entries = ledger.data.filter(
      (e: { kind: string; payment_id: string | null }) =>
        e.kind === 'payment' && e.payment_id === paid.json().payment_id,
    );
    expect(
      entries.map((e: { amount: number; invoice_id: string }) => [e.invoice_id, e.amount]).sort(),
    ).toEqual(
      [
        [april?.id, 2000],
        [may?.id, 2000],
      ].sort(),
    );
    expect(ledger.balance).toBe(0);
  });

  it('keep: paying one of two overdue invoices leaves the account blocked until the other is paid', async () => {
    await finalStep('keep');
    const who = await blockedCustomer();
    await who.advance('2027-05-01T07:00:00Z');
    await who.saveCard(SUCCEEDS);
    const [, april, may] = await who.invoices();
    const first = await who.call('POST', `/v1/invoices/${april?.id}/pay`);
    expect(first.json()).toMatchObject({ status: 'paid', amount_paid: 2000 });
    expect((await who.subscription()).status).toBe('unpaid');
    expect(await who.status()).toMatchObject({ status: 'blocked', amount_due: 2000 });
    const second = await who.call('POST', `/v1/invoices/${may?.id}/pay`);
    expect(second.json()).toMatchObject({ status: 'paid', amount_paid: 2000 });
    expect((await who.subscription()).status).toBe('active');
    expect(await who.status()).toMatchObject({ status: 'active', amount_due: 0 });
  });

  it('pause: nothing is invoiced while it is blocked; paying resumes it with a new period from that day', async () => {
    await finalStep('pause');
    const who = await blockedCustomer();
    expect(await who.subscription()).toMatchObject({ status: 'paused', paused_for_payment: true });
    expect(await who.status()).toMatchObject({ status: 'blocked', amount_due: 2000 });
    // Resuming by hand is refused while the invoice is owed.
    const resume = await who.call('POST', `/v1/subscriptions/${who.sub.id}/resume`);
    expect(resume.statusCode).toBe(409);
    expect(resume.json().error.code).toBe('subscription.payment_due');

    await who.advance('2027-05-20T19:00:00Z');
    expect(await who.invoices()).toHaveLength(2); // March's and April's: no May invoice while paused
    await who.saveCard(SUCCEEDS);
    const paid = await who.call('POST', '/v1/billing/pay', { subscription_id: who.sub.id });
    expect(paid.statusCode, paid.body).toBe(200);
    expect(paid.json()).toMatchObject({ status: 'paid', amount: 2000 });

    // A new period from 20 May (noon in Los Angeles) to 1 June: 12 of May's 31 days,
    // 2000 × 12 / 31 = 774.19 → 774. The paused days, 1 to 19 May, are not billed.
    expect(await who.subscription()).toMatchObject({
      status: 'active',
      paused_for_payment: false,
      current_period_start: '2027-05-20T19:00:00.000Z',
      current_period_end: '2027-06-01T07:00:00.000Z',
    });
    const resumed = (await who.invoices()).at(-1);
    expect(resumed).toMatchObject({
      total: 774,
      period_start: '2027-05-20T19:00:00.000Z',
      period_end: '2027-06-01T07:00:00.000Z',
    });
    // The billing run charges it to the new card.
    await who.advance('2027-05-20T19:01:00Z');
    expect((await who.invoices()).at(-1)).toMatchObject({ status: 'paid', amount_paid: 774 });
    expect(await who.status()).toMatchObject({ status: 'active', amount_due: 0 });
  });

  it('cancel: the subscription ends, its invoice stays owed, and paying it leaves it ended', async () => {
    await finalStep('cancel');
    const who = await blockedCustomer();
    expect(await who.subscription()).toMatchObject({ status: 'cancelled' });
    expect(await who.status()).toMatchObject({ status: 'blocked', amount_due: 2000 });
    await who.advance('2027-05-01T07:00:00Z');
    expect(await who.invoices()).toHaveLength(2);
    await who.saveCard(SUCCEEDS);
    const paid = await who.call('POST', '/v1/billing/pay', {});
    expect(paid.statusCode, paid.body).toBe(200);
    expect(paid.json()).toMatchObject({ status: 'paid', amount: 2000 });
    expect((await who.subscription()).status).toBe('cancelled');
    expect(await who.status()).toMatchObject({ status: 'active', amount_due: 0 });
  });

  it('charges once when the same payment is asked for twice at the same moment', async () => {
    await finalStep('keep');
    const who = await blockedCustomer();
    await who.advance('2027-05-01T07:00:00Z');
    await who.saveCard(SUCCEEDS);
    const before = await gatewayPayments();
    // The gateway answers slowly, so the second request arrives while the first is being charged.
    api.app.billfoldGateways.test.setFaults({ delayMs: 200 });
    try {
      const results = await Promise.all([
        who.call('POST', '/v1/billing/pay', {}),
        who.call('POST', '/v1/billing/pay', {}),
      ]);
      expect(results.filter((r) => r.statusCode === 200).length).toBeGreaterThan(0);
      for (const result of results) {
        // The second either replays the same payment or finds nothing left to pay.
        if (result.statusCode === 409) expect(result.json().error.code).toBe('invoice.nothing_due');
        else expect(result.json()).toMatchObject({ status: 'paid', amount: 4000 });
      }
    } finally {
      api.app.billfoldGateways.test.setFaults({});
    }
    expect((await gatewayPayments()) - before).toBe(1);
    const [, april, may] = await who.invoices();
    expect([april?.amount_paid, may?.amount_paid]).toEqual([2000, 2000]);
    const ledger = (await who.call('GET', `/v1/ledger_entries?subscription_id=${who.sub.id}`)).json();
    const payments = ledger.data.filter((e: { kind: string; amount: number }) => e.kind === 'payment');
    // The first invoice's payment at checkout (2000 × 22 / 31 = 1419.35 → 1419), then one per invoice.
    expect(payments.map((e: { amount: number }) => e.amount)).toEqual([1419, 2000, 2000]);
    expect(ledger.balance).toBe(0);
  });

  it('charges once when the process dies between the gateway’s charge and recording it', async () => {
    await finalStep('keep');
    const who = await blockedCustomer();
    await who.advance('2027-05-01T07:00:00Z');
    await who.saveCard(SUCCEEDS);
    const before = await gatewayPayments();
    // The real test gateway charges the card; then this process "dies" before it hears the answer.
    const real = api.app.billfoldGateways.test;
    const dying = new Proxy(real, {
      get(target, property) {
        if (property === 'chargeOffSession') {
          return async (input: Parameters<typeof real.chargeOffSession>[0]) => {
            await real.chargeOffSession(input);
            throw new Error('the process died');
          };
        }
        const value = Reflect.get(target, property, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const gateways = {
      ...api.app.billfoldGateways,
      has: (name: string) => name === 'test',
      get: () => dying,
    };
    await expect(payOpenInvoices(await customerOf(who.orgId), { gateways })).rejects.toThrow(
      'the process died',
    );
    expect((await gatewayPayments()) - before).toBe(1);
    expect((await who.invoices()).filter((i) => i.status === 'open')).toHaveLength(2);

    // Asked again (the customer presses Pay again): the same key finds the same charge, applied once.
    const paid = await who.call('POST', '/v1/billing/pay', {});
    expect(paid.statusCode, paid.body).toBe(200);
    expect(paid.json()).toMatchObject({ status: 'paid', amount: 4000 });
    expect((await gatewayPayments()) - before).toBe(1);
    const ledger = (await who.call('GET', `/v1/ledger_entries?subscription_id=${who.sub.id}`)).json();
    expect(ledger.data.filter((e: { kind: string }) => e.kind === 'payment')).toHaveLength(3);
    expect(ledger.balance).toBe(0);
  });

  it('waits for a payment the gateway is still confirming, then settles it from the gateway’s event', async () => {
    await finalStep('keep');
    const who = await blockedCustomer();
    await who.advance('2027-05-01T07:00:00Z');
    await who.saveCard(SUCCEEDS);
    // The gateway takes the charge but first answers "processing", as a bank debit does.
    const real = api.app.billfoldGateways.test;
    const confirming = new Proxy(real, {
      get(target, property) {
        if (property === 'chargeOffSession') {
          return async (input: Parameters<typeof real.chargeOffSession>[0]) => ({
            ...(await real.chargeOffSession(input)),
            status: 'processing' as const,
          });
        }
        const value = Reflect.get(target, property, target);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const gateways = {
      ...api.app.billfoldGateways,
      has: (name: string) => name === 'test',
      get: () => confirming,
    };
    const pending = await payOpenInvoices(await customerOf(who.orgId), { gateways });
    expect(pending.outcome).toBe('pending');
    // Still owed, and not retried meanwhile.
    const waiting = (await who.invoices()).filter((i) => i.status === 'open');
    expect(waiting.map((i) => i.next_attempt_at)).toEqual([null, null]);

    // The gateway's event arrives (a bank debit's, as Cashfree sends it): the payment succeeded,
    // and both invoices are paid by it. A second delivery changes nothing.
    const event = {
      id: `evt_${pending.payment.id}`,
      type: 'payment.updated' as const,
      gatewayType: 'payment.succeeded',
      checkoutRef: null,
      linkRef: null,
      paymentRef: pending.payment.gateway_payment_ref,
      payload: {},
    };
    const deps = { gateways: api.app.billfoldGateways, publicUrl: () => 'http://127.0.0.1:9' };
    expect(await handleGatewayEvent(systemCtx(), 'test', event, deps)).toEqual({ duplicate: false });
    expect(await handleGatewayEvent(systemCtx(), 'test', event, deps)).toEqual({ duplicate: true });
    const [, april, may] = await who.invoices();
    expect([april?.status, may?.status]).toEqual(['paid', 'paid']);
    expect((await who.subscription()).status).toBe('active');
    const ledger = (await who.call('GET', `/v1/ledger_entries?subscription_id=${who.sub.id}`)).json();
    expect(ledger.data.filter((e: { kind: string }) => e.kind === 'payment')).toHaveLength(3);
    expect(ledger.balance).toBe(0);
  });

  it('counts a declined payment once on each invoice, and takes the next card as a new charge', async () => {
    await finalStep('keep');
    const who = await blockedCustomer();
    await who.advance('2027-05-01T07:00:00Z');
    const before = (await who.invoices()).map((i) => i.attempt_count);
    const declined = await who.call('POST', '/v1/billing/pay', {});
    expect(declined.statusCode).toBe(402);
    expect(declined.json().error.code).toBe('card.declined');
    const after = (await who.invoices()).map((i) => i.attempt_count);
    expect(after).toEqual(before.map((n, i) => (i === 0 ? n : n + 1)));
    await who.saveCard(SUCCEEDS);
    const paid = await who.call('POST', '/v1/billing/pay', {});
    expect(paid.json()).toMatchObject({ status: 'paid', amount: 4000 });
  });

  it('refuses to pay when nothing is owed, or with a subscription of another organization', async () => {
    const who = await customerOnTestClock(api, losAngeles, '2027-03-10T20:00:00Z');
    await checkoutWithCard(api, who, { plan_id: pro });
    const nothing = await who.call('POST', '/v1/billing/pay', {});
    expect(nothing.statusCode).toBe(409);
    expect(nothing.json().error.code).toBe('invoice.nothing_due');
    const other = await blockedCustomer();
    const foreign = await who.call('POST', '/v1/billing/pay', { subscription_id: other.sub.id });
    expect(foreign.statusCode).toBe(404);
    const malformed = await who.call('POST', '/v1/billing/pay', { subscription_id: 'nope' });
    expect(malformed.statusCode).toBe(400);
  });

  const systemCtx = () => ({
    db: api.database.db,
    clock: api.clock,
    log: silentLogger,
    actor: { type: 'system' as const, id: 'dunning-test' },
    requestId: 'dunning-test',
  });
  /** The organization's billing customer on its own clock, as the API builds it. */
  const customerOf = (orgId: string) => billingCustomerContext(tenantContext(systemCtx(), orgId));

  /** Charges made at the test gateway (this file's tests run one at a time). */
  async function gatewayPayments(): Promise<number> {
    const row = await api.database.db
      .selectFrom('test_gateway_objects')
      .select(sql<number>`count(*)::int`.as('count'))
      .where('kind', '=', 'payment')
      .executeTakeFirstOrThrow();
    return row.count;
  }
});
