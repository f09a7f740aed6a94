import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Ctx } from '../context.js';
import { tenantContext } from '../tenant.js';
import { type Person, type TestApi, testApi } from '../testing/api.js';
import { engines } from '../testing/databases.js';
import { chargeSavedMethod } from './charges.js';

/**
 * Off-session charges and refunds at the test gateway, and its faults: a lost answer retried with the
 * same key charges once; a failed call charges nothing; webhooks delivered twice apply once.
 */

describe.each(engines())('charges, refunds and gateway faults on %s', (engine) => {
  let api: TestApi;
  let planId: string;
  let operator: Person;

  beforeAll(async () => {
    api = await testApi(engine);
    operator = await api.signUpOperator();
    planId = (
      await api.call({
        method: 'POST',
        url: '/v1/operator/plans',
        as: operator,
        body: { code: 'pro', name: 'Pro', currency: 'USD', interval: 'month', base_price: 2000 },
      })
    ).json().id;
  });
  beforeEach(() => api.app.billfoldGateways.test.setFaults({}));
  afterAll(() => api.close());

  const gateway = () => api.app.billfoldGateways.test;
  const ctx = (): Ctx => ({
    db: api.database.db,
    clock: api.clock,
    log: { info() {}, warn() {}, error() {} },
    actor: { type: 'system', id: 'test' },
    requestId: 'req_test',
  });

  /** A customer who paid Pro with `card` (authenticating when asked), so the card is saved. */
  async function subscribed(card = '4242424242424242') {
    const owner = await api.signUp();
    const orgId = owner.personalOrgId;
    await api.call({
      method: 'POST',
      url: '/v1/billing_customer',
      as: owner,
      org: orgId,
      body: {
        name: 'Charges Inc.',
        email: 'billing@charges.example',
        address_line1: '1 Market St',
        city: 'San Francisco',
        state: 'CA',
        postal_code: '94105',
        country: 'US',
      },
    });
    const session = (
      await api.call({
        method: 'POST',
        url: '/v1/checkout_sessions',
        as: owner,
        org: orgId,
        body: { mode: 'setup' },
      })
    ).json();
    const path = new URL(session.url).pathname;
    const form = (url: string, fields: Record<string, string>) =>
      api.app.inject({
        method: 'POST',
        url,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams(fields).toString(),
      });
    const answer = await form(path, { number: card, expiry: '12 / 34', cvc: '123' });
    const pending = /name="pending" value="([^"]+)"/.exec(answer.body)?.[1];
    if (pending) await form(`${path}/authenticate`, { pending, decision: 'approve' });
    await api.call({
      method: 'POST',
      url: `/v1/checkout_sessions/${session.id}/sync`,
      as: owner,
      org: orgId,
    });
    const method = await api.database.db
      .selectFrom('payment_methods')
      .selectAll()
      .where('org_id', '=', orgId)
      .executeTakeFirstOrThrow();
    const customerRef = await api.database.db
      .selectFrom('gateway_customers')
      .select('gateway_customer_ref')
      .where('org_id', '=', orgId)
      .executeTakeFirstOrThrow();
    return { owner, orgId, method, customerRef: customerRef.gateway_customer_ref, planId };
  }

  const charge = (who: Awaited<ReturnType<typeof subscribed>>, key: string, amount = 4900n) =>
    chargeSavedMethod(tenantContext(ctx(), who.orgId), gateway(), {
      customerId: who.method.customer_id,
      gatewayCustomerRef: who.customerRef,
      paymentMethodRef: who.method.gateway_ref,
      amount,
      currency: 'USD',
      description: 'Pro, February',
      idempotencyKey: key,
    });
  const gatewayPayments = async (key: string) =>
    (
      await api.database.db
        .selectFrom('test_gateway_objects')
        .select('id')
        .where('kind', '=', 'payment')
        .where('idempotency_key', '=', key)
        .execute()
    ).length;

  it('charges a saved card off-session; a lost answer is retried with the same key and charges once', async () => {
    const who = await subscribed();
    gateway().setFaults({ next: 'timeout' });
    const payment = await charge(who, 'renewal:1');
    expect(payment).toMatchObject({ status: 'succeeded', amount: 4900n });
    expect(await gatewayPayments('renewal:1')).toBe(1);
    // The same key later (a retried job) finds the same payment.
    const again = await charge(who, 'renewal:1');
    expect(again.id).toBe(payment.id);
    const ours = await api.database.db
      .selectFrom('payments')
      .select('id')
      .where('org_id', '=', who.orgId)
      .execute();
    expect(ours).toHaveLength(1);
  });

  it('removes a saved card at the gateway too: it can no longer be charged', async () => {
    const who = await subscribed();
    const removed = await api.call({
      method: 'DELETE',
      url: `/v1/payment_methods/${who.method.id}`,
      as: who.owner,
      org: who.orgId,
    });
    expect(removed.json()).toMatchObject({ deleted: true });
    await expect(charge(who, 'after-removal')).rejects.toMatchObject({
      code: 'test_gateway.method_detached',
    });
  });

  it('charges nothing when the gateway fails the call, and the retry works', async () => {
    const who = await subscribed();
    gateway().setFaults({ next: 'error' });
    await expect(charge(who, 'renewal:2')).rejects.toMatchObject({ code: 'gateway.error' });
    expect(await gatewayPayments('renewal:2')).toBe(0);
    expect((await charge(who, 'renewal:2')).status).toBe('succeeded');
  });

  it('fails off-session with 4000000000000341, and asks for authentication with 3184', async () => {
    const later = await subscribed('4000000000000341');
    expect(await charge(later, 'renewal:3')).toMatchObject({
      status: 'failed',
      failure_code: 'card_declined',
    });
    const secure = await subscribed('4000002760003184');
    expect(await charge(secure, 'renewal:4')).toMatchObject({
      status: 'requires_action',
      failure_code: 'authentication_required',
    });
  });

  it('refunds in part, then the rest, and refuses more; operators only', async () => {
    const who = await subscribed();
    const payment = await charge(who, 'renewal:5', 3000n);
    const refund = (body: object) =>
      api.call({
        method: 'POST',
        url: `/v1/operator/organizations/${who.orgId}/payments/${payment.id}/refunds`,
        as: operator,
        body,
      });
    const partial = await refund({ amount: 1000, reason: 'Outage credit' });
    expect(partial.statusCode, partial.body).toBe(201);
    expect(partial.json()).toMatchObject({ amount: 1000, status: 'succeeded', reason: 'Outage credit' });
    expect((await refund({ amount: 2500 })).json().error.code).toBe('refund.too_much');
    expect((await refund({})).json()).toMatchObject({ amount: 2000 });
    expect((await refund({})).json().error.code).toBe('refund.nothing_left');
    const list = await api.call({ method: 'GET', url: '/v1/payments', as: who.owner, org: who.orgId });
    const [listed] = list.json().data;
    expect(listed).toMatchObject({ id: payment.id, refunded: 3000 });
    // Both refunds share the test clock's instant, so compare them as a set.
    expect(listed.refunds.map((r: { amount: number }) => r.amount).sort()).toEqual([1000, 2000]);
    const byOwner = await api.call({
      method: 'POST',
      url: `/v1/operator/organizations/${who.orgId}/payments/${payment.id}/refunds`,
      as: who.owner,
      body: {},
    });
    expect(byOwner.statusCode).toBe(403);
  });

  it('queues each webhook twice when told to, and applies it once', async () => {
    gateway().setFaults({ webhooks: 'duplicate' });
    const who = await subscribed();
    const events = await api.database.db
      .selectFrom('test_gateway_objects')
      .select('id')
      .where('kind', '=', 'event')
      .where(sql<string>`data->'data'->'object'->'metadata'->>'org_id'`, '=', who.orgId)
      .execute();
    for (const event of events) {
      const queued = await sql<{ n: bigint }>`
        select count(*) as n from pgboss.job where name = 'test-gateway.webhook' and data->>'event_id' = ${event.id}`.execute(
        api.database.db,
      );
      expect(queued.rows[0]?.n).toBe(2n);
      const { body, signature } = await gateway().signedEvent(event.id);
      const deliver = () =>
        api.app.inject({
          method: 'POST',
          url: '/v1/webhooks/test',
          headers: { 'content-type': 'application/json', 'stripe-signature': signature },
          payload: body,
        });
      const [first, second] = [await deliver(), await deliver()];
      expect([first.json().duplicate, second.json().duplicate]).toEqual([false, true]);
    }
    const methods = await api.database.db
      .selectFrom('payment_methods')
      .select('id')
      .where('org_id', '=', who.orgId)
      .execute();
    expect(methods).toHaveLength(1);
  });
});
