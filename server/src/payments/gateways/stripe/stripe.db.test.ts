import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBilling } from '../../../flows/billing-run.js';
import { type Person, type TestApi, testApi } from '../../../testing/api.js';
import { engines } from '../../../testing/databases.js';
import { systemClock } from '../../../time/index.js';
import { GatewayTimeoutError } from '../../port.js';
import { signStripeStyle } from '../../webhook-signatures.js';
import { startStripeEmulator } from './emulator.js';
import { StripeGateway } from './stripe-gateway.js';

/**
 * Stripe end to end, offline: Billfold's Stripe adapter drives the official SDK (pinned), pointed at
 * the emulator with the SDK's host, port and protocol options. A US customer is routed to Stripe;
 * checkout, webhooks, off-session charges, refunds and payment links go through the SDK.
 */

const WEBHOOK_SECRET = 'whsec_emulator_0123456789';
const SECRET_KEY = 'sk_test_emulator_51Hx0123456789';

/** Pro's 2000 for the 17 of 31 days left in January on the test clock (Jan 15), rounded half-up. */
const PRORATED = 1097;

describe.each(engines())('the Stripe gateway against its emulator on %s', (engine) => {
  let api: TestApi;
  let emulator: Awaited<ReturnType<typeof startStripeEmulator>>;
  let planId: string;
  let operator: Person;
  const delivered: { status: number; body: string }[] = [];

  beforeAll(async () => {
    // The emulator's webhooks reach the in-process app; its clock is the app's test clock.
    let deliver: (body: string, signature: string) => Promise<void> = async () => {};
    const clockHolder: { api?: TestApi } = {};
    emulator = await startStripeEmulator({
      clock: { now: () => (clockHolder.api ? clockHolder.api.clock.now() : systemClock.now()) },
      secretKey: SECRET_KEY,
      webhookSecret: WEBHOOK_SECRET,
      deliver: (body, signature) => deliver(body, signature),
    });
    api = await testApi(engine, {
      gateways: ['stripe'],
      stripe: {
        secretKey: SECRET_KEY,
        webhookSecret: WEBHOOK_SECRET,
        host: emulator.host,
        port: emulator.port,
        protocol: 'http',
      },
    });
    clockHolder.api = api;
    deliver = async (body, signature) => {
      const response = await api.app.inject({
        method: 'POST',
        url: '/v1/webhooks/stripe',
        headers: { 'content-type': 'application/json', 'stripe-signature': signature },
        payload: body,
      });
      delivered.push({ status: response.statusCode, body: response.body });
    };
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
  afterAll(async () => {
    await api?.close();
    await emulator?.close();
  });

  async function usCustomer() {
    const owner: Person = await api.signUp();
    const orgId = owner.personalOrgId;
    const created = await api.call({
      method: 'POST',
      url: '/v1/billing_customer',
      as: owner,
      org: orgId,
      body: {
        name: 'Stripe Inc.',
        email: 'billing@stripe-customer.example',
        address_line1: '1 Market St',
        city: 'San Francisco',
        state: 'CA',
        postal_code: '94105',
        country: 'US',
      },
    });
    expect(created.json().gateway).toBe('stripe');
    return { owner, orgId };
  }
  const form = (url: string, fields: Record<string, string>) =>
    fetch(url, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    });
  const activePlan = async (who: { owner: Person; orgId: string }) =>
    (await api.call({ method: 'GET', url: '/v1/subscriptions', as: who.owner, org: who.orgId }))
      .json()
      .data.find((s: { status: string }) => s.status === 'active')?.plan_name;

  it('subscribes through a Stripe Checkout Session; the signed webhook applies it, the return changes nothing', async () => {
    const who = await usCustomer();
    const started = await api.call({
      method: 'POST',
      url: '/v1/checkout_sessions',
      as: who.owner,
      org: who.orgId,
      body: { plan_id: planId },
    });
    expect(started.statusCode, started.body).toBe(201);
    const session = started.json();
    expect(session).toMatchObject({ gateway: 'stripe', status: 'open', amount: PRORATED });
    expect(session.url).toContain(emulator.origin);
    const stripeSession = [...emulator.state.sessions.values()].at(-1);
    expect(stripeSession).toMatchObject({ mode: 'payment', amount_total: PRORATED, currency: 'usd' });
    expect(emulator.state.customers.size).toBeGreaterThan(0);

    const declined = await form(session.url, { number: '4000000000000002', expiry: '12/34', cvc: '123' });
    expect(declined.status).toBe(402);
    const paid = await form(session.url, { number: '4242424242424242', expiry: '12/34', cvc: '123' });
    expect(paid.status).toBe(303);
    expect(paid.headers.get('location')).toBe(`http://billfold.test/billing?checkout=${session.id}`);
    expect(delivered.at(-1)?.status).toBe(200);
    expect(await activePlan(who)).toBe('Pro');

    const back = await api.call({
      method: 'POST',
      url: `/v1/checkout_sessions/${session.id}/sync`,
      as: who.owner,
      org: who.orgId,
    });
    expect(back.json()).toMatchObject({
      status: 'complete',
      payment: { status: 'succeeded', amount: PRORATED },
    });
    const methods = await api.call({
      method: 'GET',
      url: '/v1/payment_methods',
      as: who.owner,
      org: who.orgId,
    });
    expect(methods.json().data).toMatchObject([
      { gateway: 'stripe', brand: 'visa', last4: '4242', is_default: true },
    ]);
  });

  it('expires the Checkout Session left open in another tab, so Stripe refuses to take it', async () => {
    const who = await usCustomer();
    const open = async () =>
      (
        await api.call({
          method: 'POST',
          url: '/v1/checkout_sessions',
          as: who.owner,
          org: who.orgId,
          body: { plan_id: planId },
        })
      ).json();
    const first = await open();
    const second = await open();
    const [firstRef, secondRef] = [first, second].map((s) => new URL(s.url).pathname.split('/').pop() ?? '');
    expect(emulator.state.sessions.get(firstRef ?? '')?.status).toBe('expired');
    expect(emulator.state.sessions.get(secondRef ?? '')?.status).toBe('open');
    const card = { number: '4242424242424242', expiry: '12/34', cvc: '123' };
    expect((await form(first.url, card)).status).toBe(410);
    expect((await form(second.url, card)).status).toBe(303);
    expect(await activePlan(who)).toBe('Pro');
    const firstBack = await api.call({
      method: 'GET',
      url: `/v1/checkout_sessions/${first.id}`,
      as: who.owner,
      org: who.orgId,
    });
    expect(firstBack.json()).toMatchObject({ status: 'expired', payment: null });

    // Stripe refuses to expire a complete session: the adapter answers with the session as it is.
    const view = await api.app.billfoldGateways.get('stripe').expireCheckout(secondRef ?? '', 'expire:again');
    expect(view).toMatchObject({ status: 'complete', payment: { status: 'succeeded' } });
  });

  /** A US customer who saved `card` with a setup checkout: its Stripe references. */
  async function savedCard(card: string) {
    const who = await usCustomer();
    const session = (
      await api.call({
        method: 'POST',
        url: '/v1/checkout_sessions',
        as: who.owner,
        org: who.orgId,
        body: { mode: 'setup' },
      })
    ).json();
    await form(session.url, { number: card, expiry: '12/34', cvc: '123' });
    await api.call({
      method: 'POST',
      url: `/v1/checkout_sessions/${session.id}/sync`,
      as: who.owner,
      org: who.orgId,
    });
    const method = await api.database.db
      .selectFrom('payment_methods')
      .selectAll()
      .where('org_id', '=', who.orgId)
      .executeTakeFirstOrThrow();
    const customer = await api.database.db
      .selectFrom('gateway_customers')
      .select('gateway_customer_ref')
      .where('org_id', '=', who.orgId)
      .executeTakeFirstOrThrow();
    return { who, method, customerRef: customer.gateway_customer_ref };
  }

  it('charges off-session through PaymentIntents, refunds in part, and reports declines as failed payments', async () => {
    const gateway = api.app.billfoldGateways.get('stripe');
    const charge = (saved: Awaited<ReturnType<typeof savedCard>>, idempotencyKey: string) =>
      gateway.chargeOffSession({
        gatewayCustomerRef: saved.customerRef,
        paymentMethodRef: saved.method.gateway_ref,
        amount: 2000n,
        currency: 'USD',
        description: 'Pro, February',
        metadata: {},
        idempotencyKey,
      });

    const later = await savedCard('4000000000000341');
    expect(later.method).toMatchObject({ gateway: 'stripe', last4: '0341' });
    expect(await charge(later, 'stripe-renewal-1')).toMatchObject({
      status: 'failed',
      failureCode: 'card_declined',
    });

    // A 4242 card saved the same way charges, and refunds in part.
    const good = await savedCard('4242424242424242');
    const first = await charge(good, 'stripe-renewal-2');
    const retried = await charge(good, 'stripe-renewal-2');
    expect(first).toMatchObject({ status: 'succeeded', amount: 2000n });
    // The same idempotency key at Stripe answers with the same PaymentIntent.
    expect(retried.ref).toBe(first.ref);
    const refund = await gateway.refund({
      paymentRef: first.ref,
      amount: 500n,
      reason: 'credit',
      idempotencyKey: 'rf-1',
    });
    expect(refund).toMatchObject({ amount: 500n, status: 'succeeded' });
    await expect(
      gateway.refund({ paymentRef: first.ref, amount: 1600n, reason: 'too much', idempotencyKey: 'rf-2' }),
    ).rejects.toMatchObject({ code: 'gateway.refused' });
  });

  it('detaches a removed card at Stripe: it cannot be charged again', async () => {
    const saved = await savedCard('4242424242424242');
    const removed = await api.call({
      method: 'DELETE',
      url: `/v1/payment_methods/${saved.method.id}`,
      as: saved.who.owner,
      org: saved.who.orgId,
    });
    expect(removed.json()).toMatchObject({ deleted: true });
    expect(emulator.state.cards.get(saved.method.gateway_ref)?.method.customer).toBeNull();
    await expect(
      api.app.billfoldGateways.get('stripe').chargeOffSession({
        gatewayCustomerRef: saved.customerRef,
        paymentMethodRef: saved.method.gateway_ref,
        amount: 100n,
        currency: 'USD',
        description: 'after removal',
        metadata: {},
        idempotencyKey: 'stripe-after-removal',
      }),
    ).rejects.toMatchObject({ code: 'gateway.refused' });
  });

  it('makes a Payment Link that anyone pays, and deactivates another', async () => {
    const who = await usCustomer();
    const link = (
      await api.call({
        method: 'POST',
        url: '/v1/payment_links',
        as: who.owner,
        org: who.orgId,
        body: { plan_id: planId },
      })
    ).json();
    expect(link).toMatchObject({ gateway: 'stripe', status: 'active', amount: PRORATED });
    const paid = await form(link.url, { number: '4242424242424242', expiry: '12/34', cvc: '123' });
    expect(await paid.text()).toContain('Payment received');
    expect(
      (
        await api.call({ method: 'GET', url: `/v1/payment_links/${link.id}`, as: who.owner, org: who.orgId })
      ).json(),
    ).toMatchObject({
      status: 'paid',
      payment: { amount: PRORATED, status: 'succeeded' },
    });
    expect(await activePlan(who)).toBe('Pro');

    const other = (
      await api.call({
        method: 'POST',
        url: '/v1/payment_links',
        as: who.owner,
        org: who.orgId,
        body: { amount: 700, description: 'Setup' },
      })
    ).json();
    const cancelled = await api.call({
      method: 'POST',
      url: `/v1/payment_links/${other.id}/cancel`,
      as: who.owner,
      org: who.orgId,
    });
    expect(cancelled.json()).toMatchObject({ status: 'cancelled' });
    expect((await fetch(other.url)).status).toBe(410);
  });

  it('refuses a webhook with a wrong secret, a stale timestamp or a changed body', async () => {
    const body = JSON.stringify({
      id: 'evt_x',
      type: 'checkout.session.completed',
      data: { object: { id: 'cs_x' } },
    });
    const now = Math.floor(api.clock.now().epochMilliseconds / 1000);
    const send = (payload: string, signature: string) =>
      api.app.inject({
        method: 'POST',
        url: '/v1/webhooks/stripe',
        headers: { 'content-type': 'application/json', 'stripe-signature': signature },
        payload,
      });
    expect((await send(body, signStripeStyle('whsec_wrong', now, body))).json().error.code).toBe(
      'webhook.signature_invalid',
    );
    expect((await send(body, signStripeStyle(WEBHOOK_SECRET, now - 301, body))).json().error.code).toBe(
      'webhook.timestamp_stale',
    );
    expect((await send(`${body} `, signStripeStyle(WEBHOOK_SECRET, now, body))).json().error.code).toBe(
      'webhook.signature_invalid',
    );
  });

  /** The fields these tests read from the emulator's answers: an object, or an error. */
  type EmulatorReply = {
    id: string;
    status: string;
    error: { type: string; message: string; param: string | null };
  };
  /** A raw call to the emulator's API, form-encoded as the SDK sends it. */
  const stripeApi = async (
    path: string,
    fields: Record<string, string>,
    headers: Record<string, string> = {},
  ) => {
    const response = await fetch(`${emulator.origin}${path}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${SECRET_KEY}`,
        'content-type': 'application/x-www-form-urlencoded',
        ...headers,
      },
      body: new URLSearchParams(fields).toString(),
    });
    return { status: response.status, body: (await response.json()) as EmulatorReply };
  };

  it('lets in only the exact secret key, and our adapter with another key changes nothing', async () => {
    const customers = emulator.state.customers.size;
    const none = await stripeApi('/v1/customers', { name: 'A' }, { authorization: '' });
    expect(none.status).toBe(401);
    expect(none.body.error.message).toMatch(/^You did not provide an API key/);
    // Another test-mode key, even of the same shape, is not this account's.
    const other = await stripeApi('/v1/customers', { name: 'A' }, { authorization: `Bearer ${SECRET_KEY}x` });
    expect(other.status).toBe(401);
    expect(other.body).toEqual({
      error: {
        type: 'invalid_request_error',
        message: `Invalid API Key provided: sk_test_${'*'.repeat(SECRET_KEY.length - 'sk_test_'.length - 3)}789x`,
      },
    });

    const wrongKey = new StripeGateway(
      {
        secretKey: 'sk_test_not_this_account',
        webhookSecret: WEBHOOK_SECRET,
        host: emulator.host,
        port: emulator.port,
        protocol: 'http',
      },
      api.clock,
    );
    await expect(
      wrongKey.ensureCustomer({
        customerId: 'cus_billfold',
        name: 'Wrong key',
        email: 'wrong@example.com',
        country: 'US',
        idempotencyKey: 'wrong-key-1',
      }),
    ).rejects.toMatchObject({ code: 'gateway.error' });
    expect(emulator.state.customers.size).toBe(customers);
  });

  it('replays an idempotency key for the same request and refuses it with other parameters', async () => {
    const customers = emulator.state.customers.size;
    const key = { 'idempotency-key': 'emulator-customer-1' };
    const first = await stripeApi('/v1/customers', { name: 'Once' }, key);
    const again = await stripeApi('/v1/customers', { name: 'Once' }, key);
    expect(first.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);
    const changed = await stripeApi('/v1/customers', { name: 'Twice' }, key);
    expect(changed.status).toBe(400);
    expect(changed.body.error).toMatchObject({ type: 'idempotency_error' });
    // The same key on another endpoint is another request too.
    expect((await stripeApi('/v1/prices', { currency: 'usd', unit_amount: '100' }, key)).status).toBe(400);
    expect(emulator.state.customers.size).toBe(customers + 1);

    // Our adapter, handed one key for two different charges, charges once and reports the second.
    const saved = await savedCard('4242424242424242');
    const gateway = api.app.billfoldGateways.get('stripe');
    const charge = (amount: bigint) =>
      gateway.chargeOffSession({
        gatewayCustomerRef: saved.customerRef,
        paymentMethodRef: saved.method.gateway_ref,
        amount,
        currency: 'USD',
        description: 'Pro',
        metadata: {},
        idempotencyKey: 'one-key-two-amounts',
      });
    const intents = emulator.state.intents.size;
    expect(await charge(2000n)).toMatchObject({ status: 'succeeded', amount: 2000n });
    await expect(charge(2500n)).rejects.toMatchObject({ code: 'gateway.error' });
    expect(emulator.state.intents.size).toBe(intents + 1);
  });

  it('answers concurrent requests with one key with one effect, as Stripe does', async () => {
    const saved = await savedCard('4242424242424242');
    // A confirmed PaymentIntent sends its webhook before answering, so a duplicate can arrive while
    // it is still running: Stripe answers that one 409 (how many do depends on timing), and charges once.
    const intents = emulator.state.intents.size;
    const fields = {
      amount: '800',
      currency: 'usd',
      customer: saved.customerRef,
      payment_method: saved.method.gateway_ref,
      confirm: 'true',
    };
    const key = { 'idempotency-key': 'emulator-concurrent-1' };
    const responses = await Promise.all(
      Array.from({ length: 4 }, () => stripeApi('/v1/payment_intents', fields, key)),
    );
    for (const response of responses) {
      if (response.status === 409) expect(response.body.error.type).toBe('idempotency_error');
      else expect(response.body.id).toBe(responses.find((r) => r.status === 200)?.body.id);
    }
    expect(emulator.state.intents.size).toBe(intents + 1);

    // Our adapter firing one charge three times at once: one PaymentIntent; a call that met the
    // running one reports a timeout (retry with the key), and the retry gets the same intent.
    const gateway = api.app.billfoldGateways.get('stripe');
    const charge = () =>
      gateway.chargeOffSession({
        gatewayCustomerRef: saved.customerRef,
        paymentMethodRef: saved.method.gateway_ref,
        amount: 900n,
        currency: 'USD',
        description: 'Racing charge',
        metadata: {},
        idempotencyKey: 'adapter-concurrent-1',
      });
    const before = emulator.state.intents.size;
    const outcomes = await Promise.allSettled([charge(), charge(), charge()]);
    const refs = new Set<string>();
    for (const outcome of outcomes) {
      if (outcome.status === 'fulfilled') refs.add(outcome.value.ref);
      else expect(outcome.reason).toBeInstanceOf(GatewayTimeoutError);
    }
    refs.add((await charge()).ref);
    expect(refs.size).toBe(1);
    expect(emulator.state.intents.size).toBe(before + 1);
  });

  it('confirms a PaymentIntent at creation only with confirm=true; unconfirmed, it charges nothing', async () => {
    const saved = await savedCard('4242424242424242');
    const fields = {
      amount: '1500',
      currency: 'usd',
      customer: saved.customerRef,
      payment_method: saved.method.gateway_ref,
    };
    const events = delivered.length;
    const unconfirmed = await stripeApi('/v1/payment_intents', fields);
    expect(unconfirmed.status).toBe(200);
    expect(unconfirmed.body).toMatchObject({
      status: 'requires_confirmation',
      amount: 1500,
      amount_received: 0,
    });
    expect(delivered.length).toBe(events);
    const offSession = await stripeApi('/v1/payment_intents', { ...fields, off_session: 'true' });
    expect(offSession.status).toBe(400);
    expect(offSession.body.error).toMatchObject({
      type: 'invalid_request_error',
      param: 'off_session',
    });

    const confirmed = await stripeApi('/v1/payment_intents', { ...fields, confirm: 'true' });
    expect(confirmed.body).toMatchObject({ status: 'succeeded', amount_received: 1500 });
    expect(delivered.length).toBe(events + 1);
  });

  it('saves a card at checkout for a plan billed in arrears (a setup Checkout Session), and charges its first renewal to it (R26)', async () => {
    const arrears = await api.call({
      method: 'POST',
      url: '/v1/operator/plans',
      as: operator,
      body: {
        code: 'pro_arrears',
        name: 'Pro in arrears',
        currency: 'USD',
        interval: 'month',
        base_price: 2000,
        fee_timing: 'arrears',
      },
    });
    expect(arrears.statusCode, arrears.body).toBe(201);
    const who = await usCustomer();
    const as = { as: who.owner, org: who.orgId };
    const session = (
      await api.call({
        method: 'POST',
        url: '/v1/checkout_sessions',
        ...as,
        body: { plan_id: arrears.json().id },
      })
    ).json();
    expect(session).toMatchObject({ gateway: 'stripe', status: 'open', mode: 'setup', amount: 0 });
    // Stripe saves a card for later charges with a Checkout Session in setup mode (a SetupIntent).
    expect([...emulator.state.sessions.values()].at(-1)).toMatchObject({ mode: 'setup' });
    expect(
      (await form(session.url, { number: '4242424242424242', expiry: '12/34', cvc: '123' })).status,
    ).toBe(303);
    expect(await activePlan(who)).toBe('Pro in arrears');
    const methods = (await api.call({ method: 'GET', url: '/v1/payment_methods', ...as })).json().data;
    expect(methods).toMatchObject([{ gateway: 'stripe', last4: '4242', is_default: true }]);

    // The clock is at 15 January: 17 of 31 days are billed on 1 February, 2000 × 17 / 31 = 1096.77 → 1097.
    // (Last in this file: the clock moves past what the other tests expect.)
    api.clock.advance({ days: 18 });
    await runBilling(
      {
        db: api.database.db,
        clock: api.clock,
        log: { info() {}, warn() {}, error() {} },
        actor: { type: 'system', id: 'test' },
        requestId: 'req_test',
      },
      { gateways: api.app.billfoldGateways },
      { only: [who.orgId] },
    );
    const invoices = await api.database.db
      .selectFrom('invoices')
      .select(['total', 'status'])
      .where('org_id', '=', who.orgId)
      .execute();
    expect(invoices).toEqual([{ total: BigInt(PRORATED), status: 'paid' }]);
    const payments = await api.database.db
      .selectFrom('payments')
      .select(['gateway', 'amount', 'status'])
      .where('org_id', '=', who.orgId)
      .execute();
    expect(payments).toEqual([{ gateway: 'stripe', amount: BigInt(PRORATED), status: 'succeeded' }]);
    const saved = await api.database.db
      .selectFrom('payment_methods')
      .select('gateway_ref')
      .where('org_id', '=', who.orgId)
      .executeTakeFirstOrThrow();
    const intent = [...emulator.state.intents.values()].at(-1);
    expect(intent).toMatchObject({ amount: PRORATED, payment_method: saved.gateway_ref });
  });
});
