import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type TestApi, testApi } from '../testing/api.js';
import { customerOnTestClock, publishMonthlyPlans } from '../testing/billing.js';
import { engines } from '../testing/databases.js';

/**
 * One paid plan, paid once: two tabs, a plan link paid late and a plan change overtaken by a
 * checkout each bring a second payment for a plan; the gateway refuses it where it can, and what it
 * still takes is refunded in full, recorded and explained. Money is counted at the test gateway.
 */

const customerBody = {
  name: 'Acme Inc.',
  email: 'billing@acme.example',
  address_line1: '1 Market St',
  city: 'San Francisco',
  state: 'CA',
  postal_code: '94105',
  country: 'US',
  time_zone: 'America/Los_Angeles',
};

interface Who {
  orgId: string;
  call(method: 'GET' | 'POST', url: string, body?: object): ReturnType<TestApi['call']>;
}

describe.each(engines())('one paid plan, paid once, on %s', (engine) => {
  let api: TestApi;
  const plans = { team: '', pro: '' };

  beforeAll(async () => {
    api = await testApi(engine);
    const operator = await api.signUpOperator();
    Object.assign(
      plans,
      await publishMonthlyPlans(api, operator, [
        ['team', 'Team', 4900],
        ['pro', 'Pro', 2000],
      ]),
    );
  });
  afterAll(() => api.close());
  beforeEach(() => api.app.billfoldGateways.test.setFaults({}));

  async function customer(): Promise<Who> {
    const owner = await api.signUp();
    const orgId = (
      await api.call({
        method: 'POST',
        url: '/v1/organizations',
        as: owner,
        body: { name: 'Two tabs', country: 'US', postal_code: '94105' },
      })
    ).json().id as string;
    const call = (method: 'GET' | 'POST', url: string, body?: object) =>
      api.call({ method, url, as: owner, org: orgId, ...(body ? { body } : {}) });
    expect((await call('POST', '/v1/billing_customer', customerBody)).statusCode).toBe(201);
    return { orgId, call };
  }

  const pay = (url: string) => api.payAtTestGateway(url, '4242 4242 4242 4242');
  const open = async (who: Who, planId: string) => {
    const response = await who.call('POST', '/v1/checkout_sessions', { plan_id: planId });
    expect(response.statusCode, response.body).toBe(201);
    return response.json() as { id: string; url: string; amount: number };
  };
  const sync = (who: Who, id: string) => who.call('POST', `/v1/checkout_sessions/${id}/sync`);

  /** What the test gateway holds for the organization: payments taken, refunds made, money kept. */
  async function atGateway(who: Who) {
    const ref = await api.database.db
      .selectFrom('gateway_customers')
      .select('gateway_customer_ref')
      .where('org_id', '=', who.orgId)
      .executeTakeFirstOrThrow();
    const payments = await api.database.db
      .selectFrom('test_gateway_objects')
      .select(['id', sql<string>`data->>'amount'`.as('amount')])
      .where('kind', '=', 'payment')
      .where(sql<string>`data->>'customer'`, '=', ref.gateway_customer_ref)
      .where(sql<string>`data->>'status'`, '=', 'succeeded')
      .execute();
    const refunds = await api.database.db
      .selectFrom('test_gateway_objects')
      .select(sql<string>`data->>'amount'`.as('amount'))
      .where('kind', '=', 'refund')
      .where(sql<string>`data->>'payment'`, 'in', payments.length ? payments.map((p) => p.id) : [''])
      .execute();
    const sum = (rows: { amount: string }[]) => rows.reduce((total, r) => total + BigInt(r.amount), 0n);
    return { payments: payments.length, refunds: refunds.length, kept: sum(payments) - sum(refunds) };
  }

  /** What Billfold holds: live paid plans and the total of the organization's paid invoices. */
  async function inBillfold(who: Who) {
    const live = (await who.call('GET', '/v1/subscriptions')).json().data as Array<{
      status: string;
      plan_name: string;
    }>;
    const invoices = await api.database.db
      .selectFrom('invoices')
      .select(sql<string>`coalesce(sum(total), 0)::text`.as('total'))
      .where('org_id', '=', who.orgId)
      .where('status', '=', 'paid')
      .executeTakeFirstOrThrow();
    return {
      paidPlans: live.filter((s) => s.status === 'active' && s.plan_name !== 'Free').map((s) => s.plan_name),
      invoiced: BigInt(invoices.total),
    };
  }

  it('closes the first tab at the gateway when the second opens: only one payment can be made', async () => {
    const who = await customer();
    const team = await open(who, plans.team);
    const pro = await open(who, plans.pro);
    expect((await who.call('GET', `/v1/checkout_sessions/${team.id}`)).json()).toMatchObject({
      status: 'expired',
      outcome: null,
    });
    expect((await pay(team.url)).statusCode).toBe(410);
    expect((await pay(pro.url)).statusCode).toBe(303);
    expect((await sync(who, team.id)).json().status).toBe('expired');
    expect((await sync(who, pro.id)).json()).toMatchObject({ status: 'complete', outcome: 'applied' });
    expect(await atGateway(who)).toEqual({ payments: 1, refunds: 0, kept: BigInt(pro.amount) });
    expect(await inBillfold(who)).toEqual({ paidPlans: ['Pro'], invoiced: BigInt(pro.amount) });
  });

  it('refunds in full a second tab paid before the gateway could close it, and says why', async () => {
    const who = await customer();
    const team = await open(who, plans.team);
    // The gateway fails to close the first page: both pages take a payment.
    api.app.billfoldGateways.test.setFaults({ next: 'error' });
    const pro = await open(who, plans.pro);
    expect((await pay(team.url)).statusCode).toBe(303);
    expect((await pay(pro.url)).statusCode).toBe(303);

    expect((await sync(who, team.id)).json()).toMatchObject({ status: 'complete', outcome: 'applied' });
    const second = (await sync(who, pro.id)).json();
    expect(second).toMatchObject({
      status: 'complete',
      outcome: 'refunded_conflict',
      payment: { status: 'succeeded', amount: pro.amount },
      conflict: { plan_name: 'Team', amount: pro.amount, currency: 'USD', refund_status: 'refunded' },
    });
    expect(await atGateway(who)).toEqual({ payments: 2, refunds: 1, kept: BigInt(team.amount) });
    expect(await inBillfold(who)).toEqual({ paidPlans: ['Team'], invoiced: BigInt(team.amount) });

    // Recorded: the refund, the payment and its refund in Team's ledger, an audit entry, an event.
    const paymentId = second.payment.id as string;
    const refunds = await api.database.db
      .selectFrom('refunds')
      .selectAll()
      .where('org_id', '=', who.orgId)
      .execute();
    expect(refunds).toMatchObject([{ payment_id: paymentId, amount: BigInt(pro.amount) }]);
    const entries = await api.database.db
      .selectFrom('ledger_entries')
      .select(['kind', 'amount'])
      .where('org_id', '=', who.orgId)
      .where('payment_id', '=', paymentId)
      .orderBy('seq')
      .execute();
    expect(entries).toEqual([
      { kind: 'payment', amount: BigInt(pro.amount) },
      { kind: 'refund', amount: -BigInt(pro.amount) },
    ]);
    const audit = await api.database.db
      .selectFrom('audit_events')
      .select('action')
      .where('org_id', '=', who.orgId)
      .where('target_id', '=', paymentId)
      .execute();
    expect(audit.map((a) => a.action)).toEqual(
      expect.arrayContaining(['payment.conflicts_with_plan', 'refund.created']),
    );
    const refundedEvents = await api.database.db
      .selectFrom('events')
      .select('id')
      .where('org_id', '=', who.orgId)
      .where('type', '=', 'payment.refunded')
      .execute();
    expect(refundedEvents).toHaveLength(1);

    // Asking again changes nothing.
    await sync(who, pro.id);
    expect(await atGateway(who)).toEqual({ payments: 2, refunds: 1, kept: BigInt(team.amount) });
  });

  it('keeps one of two tabs returning at the same moment and refunds the other', async () => {
    const who = await customer();
    const team = await open(who, plans.team);
    api.app.billfoldGateways.test.setFaults({ next: 'error' });
    const pro = await open(who, plans.pro);
    await pay(team.url);
    await pay(pro.url);
    const returns = await Promise.all([
      sync(who, team.id),
      sync(who, pro.id),
      sync(who, team.id),
      sync(who, pro.id),
    ]);
    for (const response of returns) expect(response.statusCode, response.body).toBe(200);
    const outcomes = [returns[0]?.json().outcome, returns[1]?.json().outcome].sort();
    expect(outcomes).toEqual(['applied', 'refunded_conflict']);
    const kept = (await inBillfold(who)).paidPlans;
    expect(kept).toHaveLength(1);
    const keptAmount = BigInt(kept[0] === 'Team' ? team.amount : pro.amount);
    expect(await atGateway(who)).toEqual({ payments: 2, refunds: 1, kept: keptAmount });
    expect((await inBillfold(who)).invoiced).toBe(keptAmount);
  });

  it('refunds the second payment when only the gateway’s webhooks arrive, both at once', async () => {
    const who = await customer();
    const team = await open(who, plans.team);
    api.app.billfoldGateways.test.setFaults({ next: 'error' });
    const pro = await open(who, plans.pro);
    await pay(team.url);
    await pay(pro.url);
    const completed = await api.database.db
      .selectFrom('test_gateway_objects')
      .select('id')
      .where('kind', '=', 'event')
      .where(sql<string>`data->>'type'`, '=', 'checkout.session.completed')
      .where(sql<string>`data->'data'->'object'->'metadata'->>'org_id'`, '=', who.orgId)
      .execute();
    expect(completed).toHaveLength(2);
    const deliveries = await Promise.all(
      completed.map(async (event) => {
        const { body, signature } = await api.app.billfoldGateways.test.signedEvent(event.id);
        return api.app.inject({
          method: 'POST',
          url: '/v1/webhooks/test',
          headers: { 'content-type': 'application/json', 'stripe-signature': signature },
          payload: body,
        });
      }),
    );
    for (const delivery of deliveries) expect(delivery.statusCode, delivery.body).toBe(200);
    const outcomes = await Promise.all(
      [team, pro].map(async (c) => (await who.call('GET', `/v1/checkout_sessions/${c.id}`)).json()),
    );
    expect(outcomes.map((c) => c.outcome).sort()).toEqual(['applied', 'refunded_conflict']);
    expect(outcomes.find((c) => c.outcome === 'refunded_conflict')?.conflict.refund_status).toBe('refunded');
    const kept = (await inBillfold(who)).paidPlans;
    expect(kept).toHaveLength(1);
    expect((await atGateway(who)).refunds).toBe(1);
  });

  it('refunds a plan link paid after a checkout started another paid plan', async () => {
    const who = await customer();
    const link = (await who.call('POST', '/v1/payment_links', { plan_id: plans.pro })).json();
    const team = await open(who, plans.team);
    await pay(team.url);
    await sync(who, team.id);
    expect((await pay(link.url)).statusCode).toBe(303);
    expect((await who.call('POST', `/v1/payment_links/${link.id}/sync`)).json()).toMatchObject({
      status: 'paid',
      outcome: 'refunded_conflict',
      conflict: { plan_name: 'Team', amount: link.amount, refund_status: 'refunded' },
    });
    expect(await atGateway(who)).toEqual({ payments: 2, refunds: 1, kept: BigInt(team.amount) });
    expect(await inBillfold(who)).toEqual({ paidPlans: ['Team'], invoiced: BigInt(team.amount) });
  });

  it('refunds a plan change whose subscription a checkout replaced while its card was charged', async () => {
    const who = await customer();
    // A saved card on the free plan, then a checkout for Team left open in another tab.
    const setup = (await who.call('POST', '/v1/checkout_sessions', { mode: 'setup' })).json();
    await pay(setup.url);
    await sync(who, setup.id);
    const free = (await who.call('GET', '/v1/subscriptions')).json().data[0];
    const team = await open(who, plans.team);
    await pay(team.url);

    // Modify plan charges the card slowly; the Team tab returns meanwhile.
    api.app.billfoldGateways.test.setFaults({ delayMs: 300 });
    const [change] = await Promise.all([
      who.call('POST', `/v1/subscriptions/${free.id}/change`, { plan_id: plans.pro }),
      new Promise((resolve) => setTimeout(resolve, 100)).then(() => sync(who, team.id)),
    ]);
    api.app.billfoldGateways.test.setFaults({});
    expect(change.statusCode, change.body).toBe(409);
    expect(change.json().error).toMatchObject({ code: 'subscription.replaced' });
    expect(change.json().error.message).toMatch(
      /^You already subscribed to Team in another tab; your payment of \$\d+\.\d\d was refunded$/,
    );
    const gateway = await atGateway(who);
    expect(gateway).toMatchObject({ payments: 2, refunds: 1, kept: BigInt(team.amount) });
    expect(await inBillfold(who)).toEqual({ paidPlans: ['Team'], invoiced: BigInt(team.amount) });
    const drafts = await api.database.db
      .selectFrom('invoices')
      .select('id')
      .where('org_id', '=', who.orgId)
      .where('status', '=', 'draft')
      .execute();
    expect(drafts).toEqual([]);
  });

  it('finishes a refund interrupted after the gateway made it, without refunding twice', async () => {
    const who = await customer();
    const team = await open(who, plans.team);
    api.app.billfoldGateways.test.setFaults({ next: 'error' });
    const pro = await open(who, plans.pro);
    await pay(team.url);
    await pay(pro.url);
    await sync(who, team.id);
    // The refund call fails: the payment stays owed, and the person is told it is on its way.
    api.app.billfoldGateways.test.setFaults({ next: 'error' });
    const owed = (await sync(who, pro.id)).json();
    expect(owed).toMatchObject({ outcome: 'refunded_conflict', conflict: { refund_status: 'pending' } });
    expect(await atGateway(who)).toMatchObject({ refunds: 0 });

    // A process refunds at the gateway under the payment's key and dies before recording it.
    const payment = await api.database.db
      .selectFrom('payments')
      .selectAll()
      .where('org_id', '=', who.orgId)
      .where('id', '=', owed.payment.id)
      .executeTakeFirstOrThrow();
    await api.app.billfoldGateways.test.refund({
      paymentRef: payment.gateway_payment_ref,
      amount: payment.amount,
      reason: 'Already subscribed to Team',
      idempotencyKey: `refund:conflict:${payment.id}`,
    });

    // The next return (or webhook, or billing run) finishes it: one refund at the gateway, recorded once.
    const [again, twice] = await Promise.all([sync(who, pro.id), sync(who, pro.id)]);
    expect(again.json().conflict.refund_status).toBe('refunded');
    expect(twice.json().conflict.refund_status).toBe('refunded');
    expect(await atGateway(who)).toEqual({ payments: 2, refunds: 1, kept: BigInt(team.amount) });
    const recorded = await api.database.db
      .selectFrom('refunds')
      .select('id')
      .where('org_id', '=', who.orgId)
      .execute();
    expect(recorded).toHaveLength(1);
  });

  it('leaves a refund the gateway refused at the return to the billing run, which finishes it', async () => {
    const who = await customerOnTestClock(api, customerBody, '2027-01-15T10:00:00Z');
    const team = await open(who, plans.team);
    api.app.billfoldGateways.test.setFaults({ next: 'error' });
    const pro = await open(who, plans.pro);
    await pay(team.url);
    await pay(pro.url);
    await sync(who, team.id);
    api.app.billfoldGateways.test.setFaults({ next: 'error' });
    expect((await sync(who, pro.id)).json().conflict).toMatchObject({ refund_status: 'pending' });

    const advanced = await who.advance('2027-01-15T11:00:00Z');
    expect(advanced.statusCode, advanced.body).toBe(200);
    expect((await who.call('GET', `/v1/checkout_sessions/${pro.id}`)).json().conflict).toMatchObject({
      refund_status: 'refunded',
    });
    expect(await atGateway(who)).toEqual({ payments: 2, refunds: 1, kept: BigInt(team.amount) });
  });

  it('keeps additional subscriptions beside the paid plan', async () => {
    const who = await customer();
    const team = await open(who, plans.team);
    await pay(team.url);
    await sync(who, team.id);
    const extra = await who.call('POST', '/v1/checkout_sessions', { plan_id: plans.pro, additional: true });
    expect(extra.statusCode, extra.body).toBe(201);
    await pay(extra.json().url);
    expect((await sync(who, extra.json().id)).json()).toMatchObject({ outcome: 'applied' });
    expect((await inBillfold(who)).paidPlans.sort()).toEqual(['Pro', 'Team']);
    expect(await atGateway(who)).toMatchObject({ payments: 2, refunds: 0 });
  });
});
