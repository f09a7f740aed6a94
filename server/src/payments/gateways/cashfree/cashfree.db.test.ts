import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Ctx } from '../../../context.js';
import { runBilling } from '../../../flows/billing-run.js';
import { tenantContext } from '../../../tenant.js';
import { type Person, type TestApi, testApi } from '../../../testing/api.js';
import { engines } from '../../../testing/databases.js';
import { systemClock } from '../../../time/index.js';
import { chargeSavedMethod, refreshPayment } from '../../charges.js';
import { signCashfree } from '../../webhook-signatures.js';
import { startStripeEmulator } from '../stripe/emulator.js';
import { startCashfreeEmulator } from './emulator.js';

/**
 * Cashfree end to end, offline: the adapter drives the official cashfree-pg SDK (pinned), whose
 * `basePath` is pointed at the emulator; the emulator checks every request and response against
 * Cashfree's OpenAPI document. With Stripe's emulator beside it, a customer in India is routed to
 * Cashfree and one in the US to Stripe, in one Billfold.
 */

const CLIENT = { clientId: 'cf_test_client', clientSecret: 'cf_test_secret_0123456789' };

describe.each(engines())('the Cashfree gateway against its emulator on %s', (engine) => {
  let api: TestApi;
  let cashfree: Awaited<ReturnType<typeof startCashfreeEmulator>>;
  let stripe: Awaited<ReturnType<typeof startStripeEmulator>>;
  let inrPlanId: string;
  let usdPlanId: string;
  let operator: Person;
  const ctx = (): Ctx => ({
    db: api.database.db,
    clock: api.clock,
    log: { info() {}, warn() {}, error() {} },
    actor: { type: 'system', id: 'test' },
    requestId: 'req_test',
  });

  beforeAll(async () => {
    const holder: { api?: TestApi } = {};
    const clock = { now: () => (holder.api ? holder.api.clock.now() : systemClock.now()) };
    const inject = (url: string) => async (body: string, headers: Record<string, string>) => {
      await holder.api?.app.inject({
        method: 'POST',
        url,
        headers: { 'content-type': 'application/json', ...headers },
        payload: body,
      });
    };
    cashfree = await startCashfreeEmulator({ clock, ...CLIENT, deliver: inject('/v1/webhooks/cashfree') });
    stripe = await startStripeEmulator({
      clock,
      secretKey: 'sk_test_x',
      webhookSecret: 'whsec_emulator',
      deliver: (body, signature) => inject('/v1/webhooks/stripe')(body, { 'stripe-signature': signature }),
    });
    api = await testApi(engine, {
      gateways: ['stripe', 'cashfree'],
      stripe: {
        secretKey: 'sk_test_x',
        webhookSecret: 'whsec_emulator',
        host: stripe.host,
        port: stripe.port,
        protocol: 'http',
      },
      cashfree: {
        ...CLIENT,
        environment: 'sandbox',
        basePath: cashfree.basePath,
        checkoutBase: `${cashfree.origin}/checkout`,
      },
    });
    holder.api = api;
    operator = await api.signUpOperator();
    const plan = async (code: string, currency: string, base_price: number) =>
      (
        await api.call({
          method: 'POST',
          url: '/v1/operator/plans',
          as: operator,
          body: { code, name: `Pro ${currency}`, currency, interval: 'month', base_price },
        })
      ).json().id as string;
    inrPlanId = await plan('pro_inr', 'INR', 149900);
    usdPlanId = await plan('pro_usd', 'USD', 2000);
  });
  afterAll(async () => {
    await api?.close();
    await cashfree?.close();
    await stripe?.close();
  });

  async function customer(country: 'IN' | 'US', phone = '+919812345678') {
    const owner = await api.signUp();
    const orgId = owner.personalOrgId;
    const address =
      country === 'IN'
        ? {
            city: 'Bengaluru',
            state: 'Karnataka',
            postal_code: '560001',
            country: 'IN',
            time_zone: 'Asia/Kolkata',
          }
        : { city: 'San Francisco', state: 'CA', postal_code: '94105', country: 'US' };
    const created = await api.call({
      method: 'POST',
      url: '/v1/billing_customer',
      as: owner,
      org: orgId,
      body: {
        name: `${country} Co`,
        email: 'billing@co.example',
        address_line1: '1 Main Road',
        phone,
        ...address,
      },
    });
    return { owner, orgId, gateway: created.json().gateway as string };
  }
  const pay = (url: string, number = '4242424242424242') =>
    fetch(url, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ number, expiry: '12/34', cvc: '123' }).toString(),
    });
  const activePlan = async (who: { owner: Person; orgId: string }) =>
    (await api.call({ method: 'GET', url: '/v1/subscriptions', as: who.owner, org: who.orgId }))
      .json()
      .data.find((s: { status: string }) => s.status === 'active')?.plan_name;

  it('routes India to Cashfree and the US to Stripe, and both subscribe end to end', async () => {
    const india = await customer('IN');
    const us = await customer('US');
    expect([india.gateway, us.gateway]).toEqual(['cashfree', 'stripe']);

    for (const [who, planId, name] of [
      [india, inrPlanId, 'Pro INR'],
      [us, usdPlanId, 'Pro USD'],
    ] as const) {
      const session = (
        await api.call({
          method: 'POST',
          url: '/v1/checkout_sessions',
          as: who.owner,
          org: who.orgId,
          body: { plan_id: planId },
        })
      ).json();
      expect(session.gateway).toBe(who.gateway);
      expect((await pay(session.url, '4000000000000002')).status).toBe(402);
      const paid = await pay(session.url);
      expect(paid.status).toBe(303);
      expect(paid.headers.get('location')).toBe(`http://billfold.test/billing?checkout=${session.id}`);
      // The signed webhook applied it; the return finds it done.
      expect(await activePlan(who)).toBe(name);
      const back = await api.call({
        method: 'POST',
        url: `/v1/checkout_sessions/${session.id}/sync`,
        as: who.owner,
        org: who.orgId,
      });
      expect(back.json()).toMatchObject({
        status: 'complete',
        // 17 of 31 days of January: 82203 + 18% GST in India; 1097 in the US.
        payment: { status: 'succeeded', amount: who === india ? 97000 : 1097 },
      });
    }
    const order = [...cashfree.state.orders.values()][0];
    expect(order).toMatchObject({ order_amount: 970, order_currency: 'INR', order_status: 'PAID' });
  });

  it('terminates the order of a checkout left open in another tab, so Cashfree refuses to take it', async () => {
    const india = await customer('IN');
    const open = async () =>
      (
        await api.call({
          method: 'POST',
          url: '/v1/checkout_sessions',
          as: india.owner,
          org: india.orgId,
          body: { plan_id: inrPlanId },
        })
      ).json();
    const first = await open();
    const second = await open();
    const orders = [...cashfree.state.orders.values()].slice(-2);
    expect(orders.map((o) => o.order_status)).toEqual(['TERMINATED', 'ACTIVE']);
    expect((await pay(first.url)).status).toBe(410);
    expect((await pay(second.url)).status).toBe(303);
    const firstBack = await api.call({
      method: 'POST',
      url: `/v1/checkout_sessions/${first.id}/sync`,
      as: india.owner,
      org: india.orgId,
    });
    expect(firstBack.json()).toMatchObject({ status: 'expired', payment: null });
    expect(await activePlan(india)).toBe('Pro INR');

    // A paid order is not terminated: the adapter answers with the order as it is, complete.
    const paidOrder = orders[1]?.order_id ?? '';
    const view = await api.app.billfoldGateways.get('cashfree').expireCheckout(paidOrder, 'expire:again');
    expect(view).toMatchObject({ status: 'complete', payment: { status: 'succeeded' } });
  });

  it('refunds in part at Cashfree, and refuses more than was paid', async () => {
    const india = await customer('IN');
    const session = (
      await api.call({
        method: 'POST',
        url: '/v1/checkout_sessions',
        as: india.owner,
        org: india.orgId,
        body: { plan_id: inrPlanId },
      })
    ).json();
    await pay(session.url);
    const payment = (
      await api.call({ method: 'GET', url: '/v1/payments', as: india.owner, org: india.orgId })
    ).json().data[0];
    const refund = (body: object) =>
      api.call({
        method: 'POST',
        url: `/v1/operator/organizations/${india.orgId}/payments/${payment.id}/refunds`,
        as: operator,
        body,
      });
    const partial = await refund({ amount: 50050, reason: 'Goodwill' });
    expect(partial.statusCode, partial.body).toBe(201);
    expect(partial.json()).toMatchObject({ amount: 50050, currency: 'INR', status: 'succeeded' });
    expect((await refund({ amount: 200000 })).json().error.code).toBe('refund.too_much');
  });

  it('makes a Cashfree payment link that is paid through its page, and cancels another', async () => {
    const india = await customer('IN');
    const link = (
      await api.call({
        method: 'POST',
        url: '/v1/payment_links',
        as: india.owner,
        org: india.orgId,
        body: { amount: 250000, description: 'Onboarding' },
      })
    ).json();
    expect(link).toMatchObject({ gateway: 'cashfree', status: 'active', amount: 250000, currency: 'INR' });
    expect(await (await pay(link.url)).text()).toContain('Payment received');
    const paid = await api.call({
      method: 'GET',
      url: `/v1/payment_links/${link.id}`,
      as: india.owner,
      org: india.orgId,
    });
    expect(paid.json()).toMatchObject({ status: 'paid', payment: { amount: 250000 } });

    const other = (
      await api.call({
        method: 'POST',
        url: '/v1/payment_links',
        as: india.owner,
        org: india.orgId,
        body: { plan_id: inrPlanId },
      })
    ).json();
    const cancelled = await api.call({
      method: 'POST',
      url: `/v1/payment_links/${other.id}/cancel`,
      as: india.owner,
      org: india.orgId,
    });
    expect(cancelled.json()).toMatchObject({ status: 'cancelled' });
    expect((await fetch(other.url)).status).toBe(410);
  });

  it('asks for a phone number before sending a payer to Cashfree', async () => {
    const noPhone = await customer('IN', '');
    const refused = await api.call({
      method: 'POST',
      url: '/v1/checkout_sessions',
      as: noPhone.owner,
      org: noPhone.orgId,
      body: { plan_id: inrPlanId },
    });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().error).toMatchObject({ code: 'cashfree.phone_required', param: 'phone' });
  });

  /** An Indian customer who authorised a mandate with `card` on Cashfree's page. */
  async function mandate(card: string) {
    const india = await customer('IN');
    const setup = (
      await api.call({
        method: 'POST',
        url: '/v1/checkout_sessions',
        as: india.owner,
        org: india.orgId,
        body: { mode: 'setup' },
      })
    ).json();
    expect(setup.url).toContain('/checkout/mandate/');
    expect((await pay(setup.url, card)).status).toBe(303);
    const done = await api.call({
      method: 'POST',
      url: `/v1/checkout_sessions/${setup.id}/sync`,
      as: india.owner,
      org: india.orgId,
    });
    expect(done.json()).toMatchObject({ status: 'complete', mode: 'setup' });
    const method = await api.database.db
      .selectFrom('payment_methods')
      .selectAll()
      .where('org_id', '=', india.orgId)
      .executeTakeFirstOrThrow();
    expect(method).toMatchObject({ gateway: 'cashfree', kind: 'card', is_default: true });
    return { ...india, method };
  }
  const debit = (who: Awaited<ReturnType<typeof mandate>>, key: string) =>
    chargeSavedMethod(tenantContext(ctx(), who.orgId), api.app.billfoldGateways.get('cashfree'), {
      customerId: who.method.customer_id,
      gatewayCustomerRef: who.method.customer_id,
      paymentMethodRef: who.method.gateway_ref,
      amount: 149900n,
      currency: 'INR',
      description: 'Pro INR, next month',
      idempotencyKey: key,
    });

  it('charges a mandate a day after the pre-debit notice; the outcome arrives later', async () => {
    const india = await mandate('4242424242424242');
    const charged = await debit(india, 'mandate-debit-1');
    expect(charged).toMatchObject({ status: 'processing', amount: 149900n, currency: 'INR' });
    const scheduled = [...cashfree.state.debits.values()].at(-1);
    const hoursAhead =
      (Date.parse(scheduled?.schedule ?? '') - api.clock.now().epochMilliseconds) / 3_600_000;
    expect(hoursAhead).toBeGreaterThanOrEqual(24);

    // A day later the debit runs; asking settles it (and the webhook it sends changes nothing more).
    api.clock.advance({ hours: 25 });
    const settled = await refreshPayment(
      ctx(),
      api.app.billfoldGateways.get('cashfree'),
      charged.gateway_payment_ref,
    );
    expect(settled).toMatchObject({ id: charged.id, status: 'succeeded' });
    const rows = await api.database.db
      .selectFrom('payments')
      .select('status')
      .where('org_id', '=', india.orgId)
      .execute();
    expect(rows.map((r) => r.status)).toEqual(['succeeded']);
  });

  it('reports a mandate debit that fails, and cancels the mandate when the card is removed', async () => {
    const india = await mandate('4000000000000341');
    const charged = await debit(india, 'mandate-debit-2');
    api.clock.advance({ hours: 25 });
    expect(
      await refreshPayment(ctx(), api.app.billfoldGateways.get('cashfree'), charged.gateway_payment_ref),
    ).toMatchObject({
      status: 'failed',
    });
    await api.call({
      method: 'DELETE',
      url: `/v1/payment_methods/${india.method.id}`,
      as: india.owner,
      org: india.orgId,
    });
    expect(cashfree.state.subscriptions.get(india.method.gateway_ref)?.subscription_status).toBe('CANCELLED');
  });

  it('checks webhooks as Cashfree signs them: wrong secret, stale timestamp and changed body get a 400', async () => {
    const body = JSON.stringify({
      type: 'PAYMENT_SUCCESS_WEBHOOK',
      data: { order: { order_id: 'bf_none' } },
    });
    const now = String(Math.floor(api.clock.now().epochMilliseconds / 1000));
    const send = (payload: string, signature: string, timestamp: string) =>
      api.app.inject({
        method: 'POST',
        url: '/v1/webhooks/cashfree',
        headers: {
          'content-type': 'application/json',
          'x-webhook-signature': signature,
          'x-webhook-timestamp': timestamp,
        },
        payload,
      });
    const good = signCashfree(CLIENT.clientSecret, now, body);
    expect((await send(body, signCashfree('not-the-secret', now, body), now)).json().error.code).toBe(
      'webhook.signature_invalid',
    );
    const stale = String(Number(now) - 301);
    expect((await send(body, signCashfree(CLIENT.clientSecret, stale, body), stale)).json().error.code).toBe(
      'webhook.timestamp_stale',
    );
    expect((await send(`${body} `, good, now)).json().error.code).toBe('webhook.signature_invalid');
    expect((await send(body, good, now)).statusCode).toBe(200);
  });

  it('sends payers to Cashfree through its script when no other checkout page is set', async () => {
    const plain = await testApi(engine, {
      gateways: ['cashfree'],
      cashfree: { ...CLIENT, environment: 'sandbox', basePath: cashfree.basePath },
    });
    try {
      const page = await plain.app.inject({ method: 'GET', url: '/pay/cashfree/session_abc123XYZ' });
      expect(page.statusCode).toBe(200);
      expect(page.body).toContain('https://sdk.cashfree.com/js/v3/cashfree.js');
      expect(page.body).toContain('paymentSessionId: "session_abc123XYZ"');
      expect((await plain.app.inject({ method: 'GET', url: '/pay/cashfree/bad<id>' })).statusCode).toBe(404);
    } finally {
      await plain.close();
    }
  });

  it('authorises a mandate at checkout for a plan billed in arrears, and debits its first renewal through it (R26)', async () => {
    const plan = await api.call({
      method: 'POST',
      url: '/v1/operator/plans',
      as: operator,
      body: {
        code: 'pro_inr_arrears',
        name: 'Pro INR in arrears',
        currency: 'INR',
        interval: 'month',
        base_price: 149900,
        fee_timing: 'arrears',
      },
    });
    expect(plan.statusCode, plan.body).toBe(201);
    // Noon on 10 March in Kolkata: 22 of March's 31 days are billed on 1 April.
    api.clock.set('2027-03-10T06:30:00Z');
    const india = await customer('IN');
    const as = { as: india.owner, org: india.orgId };
    const session = (
      await api.call({
        method: 'POST',
        url: '/v1/checkout_sessions',
        ...as,
        body: { plan_id: plan.json().id },
      })
    ).json();
    // Nothing is paid now: Cashfree saves the method as a subscription mandate the payer authorises.
    expect(session).toMatchObject({ gateway: 'cashfree', mode: 'setup', amount: 0, status: 'open' });
    expect(session.url).toContain('/checkout/mandate/');
    expect((await pay(session.url)).status).toBe(303);
    const done = await api.call({ method: 'POST', url: `/v1/checkout_sessions/${session.id}/sync`, ...as });
    expect(done.json()).toMatchObject({ status: 'complete', mode: 'setup' });
    expect(await activePlan(india)).toBe('Pro INR in arrears');
    const method = await api.database.db
      .selectFrom('payment_methods')
      .selectAll()
      .where('org_id', '=', india.orgId)
      .executeTakeFirstOrThrow();
    expect(method).toMatchObject({ gateway: 'cashfree', is_default: true });

    // 1 April in Kolkata: 149900 × 22 / 31 = 106380.65 → 106381, debited through the mandate.
    api.clock.set('2027-03-31T18:30:00Z');
    await runBilling(ctx(), { gateways: api.app.billfoldGateways }, { only: [india.orgId] });
    const [invoice] = await api.database.db
      .selectFrom('invoices')
      .select(['id', 'subtotal'])
      .where('org_id', '=', india.orgId)
      .execute();
    expect(invoice?.subtotal).toBe(106381n);
    const debited = await api.database.db
      .selectFrom('payments')
      .select(['gateway', 'invoice_id', 'status'])
      .where('org_id', '=', india.orgId)
      .execute();
    expect(debited).toEqual([{ gateway: 'cashfree', invoice_id: invoice?.id, status: 'processing' }]);
    expect([...cashfree.state.debits.values()].at(-1)).toMatchObject({ subscription_id: method.gateway_ref });
  });

  it('sent only requests, and got only responses, that match Cashfree’s OpenAPI document', () => {
    expect(cashfree.state.orders.size).toBeGreaterThan(0);
    expect(cashfree.violations).toEqual([]);
  });
});
