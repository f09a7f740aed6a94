import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GATEWAY_EVENT_LEASE_MS, signStripeStyle } from '../payments/index.js';
import { type Person, type TestApi, testApi } from '../testing/api.js';
import { countRows, engines } from '../testing/databases.js';
import { toDate } from '../time/index.js';

/**
 * Webhooks from the test gateway into Billfold: signed in Stripe's scheme, checked over the raw body
 * before parsing, stored once by event id, applied through the same idempotent step as the return
 * from the hosted page, in any order.
 */

/** Pro's 2000 for the 17 of 31 days left in January on the test clock (Jan 15), rounded half-up. */
const PRORATED = 1097;

describe.each(engines())('gateway webhooks on %s', (engine) => {
  let api: TestApi;
  let planId: string;

  beforeAll(async () => {
    api = await testApi(engine);
    const operator = await api.signUpOperator();
    planId = (
      await api.call({
        method: 'POST',
        url: '/v1/operator/plans',
        as: operator,
        body: { code: 'pro', name: 'Pro', currency: 'USD', interval: 'month', base_price: 2000 },
      })
    ).json().id;
  });
  afterAll(() => api.close());

  async function paidCheckout(cardNumber = '4242424242424242') {
    const owner: Person = await api.signUp();
    const orgId = owner.personalOrgId;
    await api.call({
      method: 'POST',
      url: '/v1/billing_customer',
      as: owner,
      org: orgId,
      body: {
        name: 'Hooks Inc.',
        email: 'billing@hooks.example',
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
        body: { plan_id: planId },
      })
    ).json();
    const path = new URL(session.url).pathname;
    const form = (fields: Record<string, string>) =>
      api.app.inject({
        method: 'POST',
        url: path,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams(fields).toString(),
      });
    await form({ number: '4000000000000002', expiry: '12 / 34', cvc: '123' });
    await form({ number: cardNumber, expiry: '12 / 34', cvc: '123' });
    return { owner, orgId, session, gatewayRef: path.split('/').pop() ?? '' };
  }

  /** The gateway's events about one checkout, oldest first. */
  async function eventsFor(gatewayRef: string) {
    const rows = await api.database.db
      .selectFrom('test_gateway_objects')
      .select(['id', 'data'])
      .where('kind', '=', 'event')
      .where(sql<string>`data->'data'->'object'->>'id'`, '=', gatewayRef)
      .orderBy('created_at')
      .execute();
    return rows.map((r) => ({ id: r.id, type: (r.data as { type: string }).type }));
  }

  const deliver = (body: string, signature: string | undefined) =>
    api.app.inject({
      method: 'POST',
      url: '/v1/webhooks/test',
      headers: {
        'content-type': 'application/json',
        ...(signature ? { 'stripe-signature': signature } : {}),
      },
      payload: body,
    });
  const deliverEvent = async (eventId: string) => {
    const { body, signature } = await api.app.billfoldGateways.test.signedEvent(eventId);
    return deliver(body, signature);
  };
  const activePlan = async (who: { owner: Person; orgId: string }) =>
    (await api.call({ method: 'GET', url: '/v1/subscriptions', as: who.owner, org: who.orgId }))
      .json()
      .data.find((s: { status: string }) => s.status === 'active')?.plan_name;

  it('queues a delivery with each event, in the transaction that records it', async () => {
    const { gatewayRef } = await paidCheckout();
    const events = await eventsFor(gatewayRef);
    expect(events.map((e) => e.type)).toEqual([
      'payment_intent.payment_failed',
      'checkout.session.completed',
    ]);
    const queued = await sql<{ n: bigint }>`
      select count(*) as n from pgboss.job where name = 'test-gateway.webhook' and data->>'event_id' = ${events[1]?.id}`.execute(
      api.database.db,
    );
    expect(queued.rows[0]?.n).toBe(1n);
  });

  it('applies a completed checkout from the webhook alone, once, whatever arrives after', async () => {
    const who = await paidCheckout();
    const [failed, completed] = await eventsFor(who.gatewayRef);
    if (!failed || !completed) throw new Error('expected two events');

    const first = await deliverEvent(completed.id);
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json()).toEqual({ received: true, duplicate: false });
    expect(await activePlan(who)).toBe('Pro');

    // A redelivery, the earlier failure arriving late, and the person's return: nothing changes.
    expect((await deliverEvent(completed.id)).json()).toEqual({ received: true, duplicate: true });
    expect((await deliverEvent(failed.id)).json()).toEqual({ received: true, duplicate: false });
    const back = await api.call({
      method: 'POST',
      url: `/v1/checkout_sessions/${who.session.id}/sync`,
      as: who.owner,
      org: who.orgId,
    });
    expect(back.json()).toMatchObject({
      status: 'complete',
      payment: { status: 'succeeded', amount: PRORATED },
    });
    const payments = await api.database.db
      .selectFrom('payments')
      .selectAll()
      .where('org_id', '=', who.orgId)
      .execute();
    expect(payments.map((p) => p.status)).toEqual(['succeeded']);
    const subscriptions = await api.database.db
      .selectFrom('subscriptions')
      .select('plan_id')
      .where('org_id', '=', who.orgId)
      .where('status', '=', 'active')
      .execute();
    expect(subscriptions.map((s) => s.plan_id)).toEqual([planId]);
  });

  it('runs the handler once for 20 concurrent copies of one event', async () => {
    const who = await paidCheckout();
    const completed = (await eventsFor(who.gatewayRef)).at(-1);
    if (!completed) throw new Error('no event');
    const { body, signature } = await api.app.billfoldGateways.test.signedEvent(completed.id);

    const responses = await Promise.all(Array.from({ length: 20 }, () => deliver(body, signature)));
    expect(responses.map((r) => r.statusCode)).toEqual(Array(20).fill(200));
    // Only the delivery that claimed the event ran the handler; it alone answers duplicate: false.
    const ran = responses.filter((r) => r.json().duplicate === false);
    expect(ran).toHaveLength(1);
    const row = await api.database.db
      .selectFrom('gateway_events')
      .select(['processed_at', 'org_id'])
      .where('gateway', '=', 'test')
      .where('event_id', '=', completed.id)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ org_id: who.orgId });
    expect(row.processed_at).not.toBeNull();
    expect(await activePlan(who)).toBe('Pro');
    const payments = await api.database.db
      .selectFrom('payments')
      .select('status')
      .where('org_id', '=', who.orgId)
      .execute();
    expect(payments.map((p) => p.status)).toEqual(['succeeded']);
  });

  it('lets a redelivery take over a claim left by a crashed handler once its lease lapses', async () => {
    const who = await paidCheckout();
    const completed = (await eventsFor(who.gatewayRef)).at(-1);
    if (!completed) throw new Error('no event');
    const { body, signature } = await api.app.billfoldGateways.test.signedEvent(completed.id);
    // A delivery that claimed the event and died before applying it: the claim is fresh.
    await api.database.db
      .insertInto('gateway_events')
      .values({
        gateway: 'test',
        event_id: completed.id,
        type: 'checkout.session.completed',
        org_id: null,
        payload: body,
        received_at: toDate(api.clock.now()),
        claimed_at: toDate(api.clock.now()),
        processed_at: null,
      })
      .execute();
    expect((await deliver(body, signature)).json()).toEqual({ received: true, duplicate: true });
    expect(await activePlan(who)).toBe('Free');

    // The gateway redelivers later; the lease has lapsed, and this delivery applies it.
    const lapsed = new Date(api.clock.now().epochMilliseconds - GATEWAY_EVENT_LEASE_MS - 1000);
    await api.database.db
      .updateTable('gateway_events')
      .set({ claimed_at: lapsed })
      .where('event_id', '=', completed.id)
      .execute();
    const fresh = signStripeStyle(
      await api.app.billfoldGateways.test.webhookSecret(),
      Math.floor(api.clock.now().epochMilliseconds / 1000),
      body,
    );
    expect((await deliver(body, fresh)).json()).toEqual({ received: true, duplicate: false });
    expect(await activePlan(who)).toBe('Pro');
  });

  it('refuses a wrong secret, a stale timestamp, a changed body and a missing signature, applying nothing', async () => {
    const who = await paidCheckout();
    const completed = (await eventsFor(who.gatewayRef)).at(-1);
    if (!completed) throw new Error('no event');
    const { body, signature } = await api.app.billfoldGateways.test.signedEvent(completed.id);
    const now = Math.floor(api.clock.now().epochMilliseconds / 1000);
    const before = await countRows(api.database, 'gateway_events');

    const cases: [string, string | undefined, string, string][] = [
      ['wrong secret', signStripeStyle('whsec_not_ours', now, body), body, 'webhook.signature_invalid'],
      [
        'stale',
        signStripeStyle(await api.app.billfoldGateways.test.webhookSecret(), now - 301, body),
        body,
        'webhook.timestamp_stale',
      ],
      ['changed body', signature, body.replace('"id"', '"id" '), 'webhook.signature_invalid'],
      ['missing', undefined, body, 'webhook.signature_missing'],
      ['malformed', 'v1=abc', body, 'webhook.signature_malformed'],
    ];
    for (const [name, header, payload, code] of cases) {
      const response = await deliver(payload, header);
      expect(response.statusCode, name).toBe(400);
      expect(response.json().error.code, name).toBe(code);
    }
    expect(await countRows(api.database, 'gateway_events')).toBe(before);
    expect(await activePlan(who)).toBe('Free');
  });

  it('acknowledges an event type it does not use', async () => {
    const secret = await api.app.billfoldGateways.test.webhookSecret();
    const body = JSON.stringify({
      id: 'tevt_unknown0000000001',
      type: 'customer.updated',
      created: 0,
      data: { object: { id: 'tcus_x' } },
    });
    const now = Math.floor(api.clock.now().epochMilliseconds / 1000);
    const response = await deliver(body, signStripeStyle(secret, now, body));
    expect(response.json()).toEqual({ received: true, duplicate: false });
  });
});
