import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Person, type TestApi, testApi } from '../testing/api.js';
import { checkoutDescriptionAtTestGateway } from '../testing/billing.js';
import { engines } from '../testing/databases.js';

/**
 * Checkout with the built-in test gateway, through the API and the gateway's hosted page: Stripe's
 * test cards and their behaviours, the return check applied once, expiry, and no card number kept.
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

/** Pro's 2000 for the 17 of 31 days left in January on the test clock (Jan 15), rounded half-up. */
const PRORATED = 1097;

describe.each(engines())('checkout at the test gateway on %s', (engine) => {
  let api: TestApi;
  let planId: string;

  beforeAll(async () => {
    api = await testApi(engine);
    const operator = await api.signUpOperator();
    const plan = await api.call({
      method: 'POST',
      url: '/v1/operator/plans',
      as: operator,
      body: { code: 'pro', name: 'Pro', currency: 'USD', interval: 'month', base_price: 2000 },
    });
    planId = plan.json().id;
  });
  afterAll(() => api.close());

  /** A new organization (in the US unless told) with its billing customer, paying at the test gateway. */
  async function customer(
    organization: { name: string; country: string; postal_code: string } = {
      name: 'Checkout org',
      country: 'US',
      postal_code: '94105',
    },
    body: Record<string, unknown> = customerBody,
  ) {
    const owner = await api.signUp();
    const orgId = (
      await api.call({ method: 'POST', url: '/v1/organizations', as: owner, body: organization })
    ).json().id as string;
    const created = await api.call({
      method: 'POST',
      url: '/v1/billing_customer',
      as: owner,
      org: orgId,
      body,
    });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json().gateway).toBe('test');
    return { owner, orgId };
  }

  const startCheckout = (who: { owner: Person; orgId: string }) =>
    api.call({
      method: 'POST',
      url: '/v1/checkout_sessions',
      as: who.owner,
      org: who.orgId,
      body: { plan_id: planId },
    });
  const sync = (who: { owner: Person; orgId: string }, id: string) =>
    api.call({ method: 'POST', url: `/v1/checkout_sessions/${id}/sync`, as: who.owner, org: who.orgId });
  const payPath = (url: string) => new URL(url).pathname;
  const submit = (path: string, fields: Record<string, string>) =>
    api.app.inject({
      method: 'POST',
      url: path,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams(fields).toString(),
    });
  const card = (number: string) => ({ number, expiry: '12 / 34', cvc: '123', name: 'Ada Lovelace' });
  const planOf = async (who: { owner: Person; orgId: string }) =>
    (await api.call({ method: 'GET', url: '/v1/subscriptions', as: who.owner, org: who.orgId }))
      .json()
      .data.find((s: { status: string }) => s.status === 'active')?.plan_name;

  it('pays with 4242: the return applies it once, the plan starts and the card is saved', async () => {
    const who = await customer();
    const started = await startCheckout(who);
    expect(started.statusCode, started.body).toBe(201);
    const session = started.json();
    expect(session).toMatchObject({ status: 'open', gateway: 'test', amount: PRORATED, currency: 'USD' });

    const page = await api.app.inject({ method: 'GET', url: payPath(session.url) });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('$10.97');
    // No tax in California under the platform's rates: the page names none, only the line.
    expect(await checkoutDescriptionAtTestGateway(api.database.db, session.id)).toBe(
      'Pro, 17 of 31 days (Jan 15, 2027 – Jan 31, 2027)',
    );

    const paid = await submit(payPath(session.url), card('4242 4242 4242 4242'));
    expect(paid.statusCode).toBe(303);
    expect(paid.headers.location).toBe(`http://billfold.test/billing?checkout=${session.id}`);

    const [first, second] = await Promise.all([sync(who, session.id), sync(who, session.id)]);
    for (const response of [first, second]) {
      expect(response.json()).toMatchObject({
        status: 'complete',
        payment: { status: 'succeeded', amount: PRORATED },
      });
    }
    expect(await planOf(who)).toBe('Pro');
    const methods = await api.call({
      method: 'GET',
      url: '/v1/payment_methods',
      as: who.owner,
      org: who.orgId,
    });
    expect(methods.json().data).toMatchObject([
      { brand: 'visa', last4: '4242', exp_month: 12, exp_year: 2034, is_default: true },
    ]);
    const payments = await api.database.db
      .selectFrom('payments')
      .selectAll()
      .where('org_id', '=', who.orgId)
      .execute();
    expect(payments).toHaveLength(1);

    // Paid checkouts do not take a second payment.
    const again = await submit(payPath(session.url), card('4242424242424242'));
    expect(again.statusCode).toBe(410);
  });

  it('declines 4000000000000002 and 9995 with clear messages, keeps the plan, and lets the person retry', async () => {
    const who = await customer();
    const session = (await startCheckout(who)).json();
    const declined = await submit(payPath(session.url), card('4000000000000002'));
    expect(declined.statusCode).toBe(402);
    expect(declined.body).toContain('Your card was declined.');
    const poor = await submit(payPath(session.url), card('4000000000009995'));
    expect(poor.body).toContain('Your card has insufficient funds.');
    expect((await sync(who, session.id)).json().status).toBe('open');
    expect(await planOf(who)).toBe('Free');

    const retried = await submit(payPath(session.url), card('5555555555554444'));
    expect(retried.statusCode).toBe(303);
    expect((await sync(who, session.id)).json()).toMatchObject({
      status: 'complete',
      payment: { status: 'succeeded' },
    });
    expect(await planOf(who)).toBe('Pro');
  });

  it('asks for authentication with 4000002760003184: failing it declines, completing it pays', async () => {
    const who = await customer();
    const session = (await startCheckout(who)).json();
    const path = payPath(session.url);
    const challenge = await submit(path, card('4000002760003184'));
    expect(challenge.statusCode).toBe(200);
    expect(challenge.body).toContain('Complete authentication');
    const pending = /name="pending" value="([^"]+)"/.exec(challenge.body)?.[1] ?? '';
    const failed = await submit(`${path}/authenticate`, { pending, decision: 'reject' });
    expect(failed.body).toContain('We are unable to authenticate your payment method.');
    expect(await planOf(who)).toBe('Free');

    const second = await submit(path, card('4000002760003184'));
    const pendingAgain = /name="pending" value="([^"]+)"/.exec(second.body)?.[1] ?? '';
    const approved = await submit(`${path}/authenticate`, { pending: pendingAgain, decision: 'approve' });
    expect(approved.statusCode).toBe(303);
    expect((await sync(who, session.id)).json()).toMatchObject({ status: 'complete' });
    expect(await planOf(who)).toBe('Pro');
  });

  it('refuses cards that are not test cards and malformed expiries, naming the problem', async () => {
    const who = await customer();
    const path = payPath((await startCheckout(who)).json().url);
    expect((await submit(path, card('4111111111111111'))).body).toContain('use a test card');
    expect((await submit(path, { ...card('4242424242424242'), expiry: '13 / 30' })).body).toContain(
      'MM / YY',
    );
    expect((await submit(path, { ...card('4242424242424242'), expiry: '01 / 20' })).body).toContain(
      'in the past',
    );
  });

  it('expires an unpaid checkout after a day', async () => {
    const who = await customer();
    const session = (await startCheckout(who)).json();
    api.clock.advance({ hours: 25 });
    expect((await sync(who, session.id)).json().status).toBe('expired');
    expect((await api.app.inject({ method: 'GET', url: payPath(session.url) })).statusCode).toBe(410);
    expect(await planOf(who)).toBe('Free');
  });

  it('refuses a checkout for the current plan, or a plan in another currency', async () => {
    const who = await customer();
    const session = (await startCheckout(who)).json();
    await submit(payPath(session.url), card('4242424242424242'));
    await sync(who, session.id);
    const twice = await startCheckout(who);
    expect(twice.statusCode).toBe(409);
    expect(twice.json().error.code).toBe('checkout.already_subscribed');
  });

  it('updates payment details with a setup checkout: the new card is saved and made the default', async () => {
    const who = await customer();
    const paid = (await startCheckout(who)).json();
    await submit(payPath(paid.url), card('4242424242424242'));
    await sync(who, paid.id);

    const setup = await api.call({
      method: 'POST',
      url: '/v1/checkout_sessions',
      as: who.owner,
      org: who.orgId,
      body: { mode: 'setup' },
    });
    expect(setup.statusCode, setup.body).toBe(201);
    expect(setup.json()).toMatchObject({ mode: 'setup', amount: 0, plan_id: null });
    const page = await api.app.inject({ method: 'GET', url: payPath(setup.json().url) });
    expect(page.body).toContain('Save a card');
    // 3184 asks for authentication when saved, as Stripe's SetupIntents do.
    const challenge = await submit(payPath(setup.json().url), card('4000002760003184'));
    const pending = /name="pending" value="([^"]+)"/.exec(challenge.body)?.[1] ?? '';
    const saved = await submit(`${payPath(setup.json().url)}/authenticate`, { pending, decision: 'approve' });
    expect(saved.statusCode).toBe(303);
    expect((await sync(who, setup.json().id)).json()).toMatchObject({ status: 'complete', payment: null });
    const methods = await api.call({
      method: 'GET',
      url: '/v1/payment_methods',
      as: who.owner,
      org: who.orgId,
    });
    // Both saved at the clock's frozen time: listed newest first, the tie in id order, so compared as a set.
    expect(
      methods
        .json()
        .data.map((m: { last4: string; is_default: boolean }) => `${m.last4}${m.is_default ? '*' : ''}`)
        .sort(),
    ).toEqual(['3184*', '4242']);
    expect(await planOf(who)).toBe('Pro');
  });

  it('refuses a setup checkout with a plan, and a payment checkout without one', async () => {
    const who = await customer();
    for (const body of [{ mode: 'setup', plan_id: planId }, { mode: 'payment' }]) {
      const response = await api.call({
        method: 'POST',
        url: '/v1/checkout_sessions',
        as: who.owner,
        org: who.orgId,
        body,
      });
      expect(response.statusCode).toBe(400);
      expect(response.json().error.param).toBe('plan_id');
    }
  });

  it("says the tax on the gateway's page where tax applies: India's GST on the first period", async () => {
    const operator = await api.signUpOperator();
    const plan = await api.call({
      method: 'POST',
      url: '/v1/operator/plans',
      as: operator,
      body: { code: 'pro_in', name: 'Pro India', currency: 'INR', interval: 'month', base_price: 100_000 },
    });
    const { owner, orgId } = await customer(
      { name: 'Checkout org India', country: 'IN', postal_code: '560001' },
      {
        name: 'Rocon India Pvt Ltd',
        email: 'billing@rocon.example',
        state: 'Karnataka',
        postal_code: '560001',
        country: 'IN',
        phone: '+919812345678',
        time_zone: 'Asia/Kolkata',
      },
    );
    const started = await api.call({
      method: 'POST',
      url: '/v1/checkout_sessions',
      as: owner,
      org: orgId,
      body: { plan_id: plan.json().id },
    });
    expect(started.statusCode, started.body).toBe(201);
    // The test clock's Jan 15 is already Jan 16 in Kolkata: ₹1,000.00 for 16 of January's 31 days is
    // ₹516.13 (half-up), and 18% GST on it ₹92.90.
    expect(started.json()).toMatchObject({ amount: 60_903, currency: 'INR' });
    const page = await api.app.inject({ method: 'GET', url: payPath(started.json().url) });
    expect(page.body).toContain('₹609.03');
    expect(page.body).toContain('Pro India, 16 of 31 days (Jan 16, 2027 – Jan 31, 2027), plus ₹92.90 tax');
  });

  it('never keeps a full card number anywhere', async () => {
    const tables = await sql<{ table_name: string }>`
      select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'`.execute(
      api.database.db,
    );
    for (const { table_name } of tables.rows) {
      const found = await sql<{ n: bigint }>`
        select count(*) as n from ${sql.table(table_name)} t
        where t::text ~ '(4242424242424242|4000000000000002|4000002760003184|5555555555554444)'`.execute(
        api.database.db,
      );
      expect(found.rows[0]?.n, table_name).toBe(0n);
    }
  });
});
