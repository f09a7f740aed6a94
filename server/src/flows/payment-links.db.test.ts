import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Person, type TestApi, testApi } from '../testing/api.js';
import { countRows, engines } from '../testing/databases.js';

/** Payment links at the test gateway: made by an owner, paid by anyone, cancelled, expired. */

/** Pro's 2000 for the 17 of 31 days left in January on the test clock (Jan 15), rounded half-up. */
const PRORATED = 1097;

describe.each(engines())('payment links on %s', (engine) => {
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

  async function owner() {
    const person: Person = await api.signUp();
    const orgId = person.personalOrgId;
    await api.call({
      method: 'POST',
      url: '/v1/billing_customer',
      as: person,
      org: orgId,
      body: {
        name: 'Links Inc.',
        email: 'billing@links.example',
        address_line1: '1 Market St',
        city: 'San Francisco',
        state: 'CA',
        postal_code: '94105',
        country: 'US',
      },
    });
    return { owner: person, orgId };
  }
  type Who = Awaited<ReturnType<typeof owner>>;

  const create = (who: Who, body: object) =>
    api.call({ method: 'POST', url: '/v1/payment_links', as: who.owner, org: who.orgId, body });
  const action = (who: Who, id: string, verb: 'sync' | 'cancel') =>
    api.call({ method: 'POST', url: `/v1/payment_links/${id}/${verb}`, as: who.owner, org: who.orgId });
  const get = (who: Who, id: string) =>
    api.call({ method: 'GET', url: `/v1/payment_links/${id}`, as: who.owner, org: who.orgId });
  // The payer: no session, no cookie, only the link.
  const pay = (url: string, number = '4242424242424242') =>
    api.app.inject({
      method: 'POST',
      url: new URL(url).pathname,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ number, expiry: '12 / 34', cvc: '123' }).toString(),
    });
  const open = (url: string) => api.app.inject({ method: 'GET', url: new URL(url).pathname });
  const activePlan = async (who: Who) =>
    (await api.call({ method: 'GET', url: '/v1/subscriptions', as: who.owner, org: who.orgId }))
      .json()
      .data.find((s: { status: string }) => s.status === 'active')?.plan_name;

  it('is paid by anyone with the link, once, and activates its plan', async () => {
    const who = await owner();
    const created = await create(who, { plan_id: planId });
    expect(created.statusCode, created.body).toBe(201);
    const link = created.json();
    expect(link).toMatchObject({
      status: 'active',
      amount: PRORATED,
      currency: 'USD',
      description: 'Pro, 17 of 31 days (Jan 15, 2027 – Jan 31, 2027)',
    });
    expect((await open(link.url)).body).toContain('$10.97');

    const declined = await pay(link.url, '4000000000000002');
    expect(declined.body).toContain('Your card was declined.');
    const paid = await pay(link.url);
    expect(paid.statusCode).toBe(303);
    const thanks = await api.app.inject({ method: 'GET', url: paid.headers.location as string });
    expect(thanks.body).toContain('Payment received');

    expect((await action(who, link.id, 'sync')).json()).toMatchObject({
      status: 'paid',
      payment: { status: 'succeeded', amount: PRORATED },
    });
    expect(await activePlan(who)).toBe('Pro');
    expect((await pay(link.url)).statusCode).toBe(410);
    expect((await action(who, link.id, 'cancel')).json().error.code).toBe('payment_link.not_active');
  });

  it('is applied from the webhook alone', async () => {
    const who = await owner();
    const link = (await create(who, { amount: 1234, description: 'Consulting, March' })).json();
    await pay(link.url);
    const ref = new URL(link.url).pathname.split('/').pop() ?? '';
    const event = await api.database.db
      .selectFrom('test_gateway_objects')
      .select('id')
      .where('kind', '=', 'event')
      .where(sql<string>`data->>'type'`, '=', 'payment_link.paid')
      .where(sql<string>`data->'data'->'object'->>'id'`, '=', ref)
      .executeTakeFirstOrThrow();
    const { body, signature } = await api.app.billfoldGateways.test.signedEvent(event.id);
    const delivered = await api.app.inject({
      method: 'POST',
      url: '/v1/webhooks/test',
      headers: { 'content-type': 'application/json', 'stripe-signature': signature },
      payload: body,
    });
    expect(delivered.json()).toEqual({ received: true, duplicate: false });
    expect((await get(who, link.id)).json()).toMatchObject({ status: 'paid', payment: { amount: 1234 } });
    // An amount link pays; it starts no plan.
    expect(await activePlan(who)).toBe('Free');
  });

  it('refuses payment once cancelled, with a clear page', async () => {
    const who = await owner();
    const link = (await create(who, { amount: 500, description: 'Setup fee' })).json();
    expect((await action(who, link.id, 'cancel')).json()).toMatchObject({ status: 'cancelled' });
    const page = await open(link.url);
    expect(page.statusCode).toBe(410);
    expect(page.body).toContain('This payment link was cancelled');
    expect((await pay(link.url)).statusCode).toBe(410);
    expect((await action(who, link.id, 'sync')).json().status).toBe('cancelled');
  });

  it('expires', async () => {
    const who = await owner();
    const link = (await create(who, { plan_id: planId, expires_in_days: 1 })).json();
    api.clock.advance({ hours: 25 });
    expect((await get(who, link.id)).json().status).toBe('expired');
    expect((await open(link.url)).body).toContain('This payment link has expired');
    expect((await action(who, link.id, 'sync')).json().status).toBe('expired');
    const stored = await api.database.db
      .selectFrom('payment_links')
      .select('status')
      .where('id', '=', link.id)
      .executeTakeFirst();
    expect(stored?.status).toBe('expired');
  });

  it.each([
    ['both a plan and an amount', { amount: 100, description: 'x', plan_id: 'plan_00000000' }, 'plan_id'],
    ['neither', {}, 'plan_id'],
    ['an amount without a description', { amount: 100 }, 'description'],
    ['a negative amount', { amount: -5, description: 'refund?' }, 'amount'],
    ['a fractional amount', { amount: 10.5, description: 'half a cent' }, 'amount'],
  ])('refuses %s and writes nothing', async (_name, body, param) => {
    const who = await owner();
    const before = await countRows(api.database, 'payment_links');
    const response = await create(who, body);
    expect(response.statusCode).toBe(400);
    expect(response.json().error.param).toBe(param);
    expect(await countRows(api.database, 'payment_links')).toBe(before);
  });

  it('lists the links of the organization only', async () => {
    const a = await owner();
    const b = await owner();
    await create(a, { amount: 100, description: 'A' });
    await create(b, { amount: 200, description: 'B' });
    const list = await api.call({ method: 'GET', url: '/v1/payment_links', as: a.owner, org: a.orgId });
    expect(list.json().data.map((l: { description: string }) => l.description)).toEqual(['A']);
  });
});
