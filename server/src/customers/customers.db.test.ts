import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId } from '../db/ids.js';
import { type Person, type TestApi, testApi } from '../testing/api.js';
import { checkoutWithCard, publishMonthlyPlans } from '../testing/billing.js';
import { countRows, engines } from '../testing/databases.js';

/** Billing customers, gateway routing, offered plans, versions under subscribers, payment methods. */

const usCustomer = {
  name: 'Acme Cloud Inc.',
  email: 'Billing@Acme.example',
  address_line1: '1 Market St',
  city: 'San Francisco',
  state: 'CA',
  postal_code: '94105',
  country: 'US',
  phone: '+1 415 555 0100',
  tax_id: '12-3456789',
  time_zone: 'America/Los_Angeles',
};

const inCustomer = {
  name: 'Prism Labs Pvt Ltd',
  email: 'accounts@prism.example',
  address_line1: '12 MG Road',
  city: 'Bengaluru',
  state: 'Karnataka',
  postal_code: '560 001',
  country: 'IN',
  time_zone: 'Asia/Kolkata',
};

describe.each(engines())('billing customers on %s', (engine) => {
  let api: TestApi;
  let operator: Person;

  beforeAll(async () => {
    api = await testApi(engine, { gateways: ['stripe'] });
    operator = await api.signUpOperator();
  });
  afterAll(() => api.close());

  async function newOrganization() {
    const owner = await api.signUp();
    const org = await api.call({
      method: 'POST',
      url: '/v1/organizations',
      as: owner,
      body: { name: 'Customer org', country: 'US', postal_code: '94105' },
    });
    return { owner, orgId: org.json().id as string };
  }

  const createCustomer = (as: Person, org: string, body: object) =>
    api.call({ method: 'POST', url: '/v1/billing_customer', as, org, body });

  it('creates the customer with normalised fields, routes it by country and starts it on Free', async () => {
    const { owner, orgId } = await newOrganization();
    const missing = await api.call({ method: 'GET', url: '/v1/billing_customer', as: owner, org: orgId });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe('billing_customer.not_found');

    const created = await createCustomer(owner, orgId, usCustomer);
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json()).toMatchObject({
      org_id: orgId,
      email: 'billing@acme.example',
      phone: '+14155550100',
      currency: 'USD',
      gateway: 'stripe',
      time_zone: 'America/Los_Angeles',
    });
    const subscriptions = await api.call({ method: 'GET', url: '/v1/subscriptions', as: owner, org: orgId });
    expect(subscriptions.json().data).toMatchObject([
      { plan_name: 'Free', status: 'active', version: { version: 1 } },
    ]);

    const again = await createCustomer(owner, orgId, usCustomer);
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('billing_customer.exists');
  });

  it('routes India to Cashfree, falling back to the test gateway without Cashfree keys', async () => {
    const { owner, orgId } = await newOrganization();
    const created = await createCustomer(owner, orgId, inCustomer);
    expect(created.json()).toMatchObject({
      country: 'IN',
      currency: 'INR',
      postal_code: '560001',
      gateway: 'test',
    });

    // The operator changes the rule: India to Stripe too. A customer moving there follows it.
    const rule = await api.call({
      method: 'POST',
      url: '/v1/operator/gateway_routing',
      as: operator,
      body: { default_gateway: 'stripe', countries: { IN: 'stripe' } },
    });
    expect(rule.json()).toMatchObject({
      countries: { IN: 'stripe' },
      configured_gateways: ['test', 'stripe'],
    });
    const other = await newOrganization();
    const routed = await createCustomer(other.owner, other.orgId, inCustomer);
    expect(routed.json().gateway).toBe('stripe');
    await api.call({
      method: 'POST',
      url: '/v1/operator/gateway_routing',
      as: operator,
      body: { default_gateway: 'stripe', countries: { IN: 'cashfree' } },
    });
  });

  it.each([
    ['an unknown country', { country: 'ZZ' }, 'country'],
    ['a US ZIP code in the wrong shape', { postal_code: '9410' }, 'postal_code'],
    ['an Indian PIN code that starts with 0', { postal_code: '060001', country: 'IN' }, 'postal_code'],
    ['a malformed email', { email: 'billing-at-acme' }, 'email'],
    ['a phone number without a country code', { phone: '415 555 0100' }, 'phone'],
    ['a missing state in the US', { state: '' }, 'state'],
    ['an unknown time zone', { time_zone: 'Mars/Olympus' }, 'time_zone'],
    ['an unknown currency', { currency: 'ABC' }, 'currency'],
  ])('refuses %s, naming the field, and writes nothing', async (_name, change, param) => {
    const { owner, orgId } = await newOrganization();
    const before = await countRows(api.database, 'billing_customers');
    const response = await createCustomer(owner, orgId, { ...usCustomer, ...change });
    expect(response.statusCode, response.body).toBe(400);
    expect(response.json().error.param).toBe(param);
    expect(await countRows(api.database, 'billing_customers')).toBe(before);
  });

  it('makes a customer from a name, an email, a country, a state and a PIN code, as a checkout collects', async () => {
    const { owner, orgId } = await newOrganization();
    const made = await createCustomer(owner, orgId, {
      name: 'Prism Labs',
      email: 'billing@prism.example',
      country: 'IN',
      state: 'KA',
      postal_code: '560001',
      time_zone: 'Asia/Kolkata',
    });
    expect(made.statusCode, made.body).toBe(201);
    expect(made.json()).toMatchObject({
      address_line1: '',
      city: '',
      state: 'KA',
      postal_code: '560001',
      country: 'IN',
      currency: 'INR',
    });
    // The state is asked in India and the US even without a street: tax there can be the state's.
    const { owner: other, orgId: otherOrg } = await newOrganization();
    const stateless = await createCustomer(other, otherOrg, {
      name: 'Prism Labs',
      email: 'billing@prism.example',
      country: 'IN',
      postal_code: '560001',
    });
    expect(stateless.statusCode).toBe(400);
    expect(stateless.json().error.param).toBe('state');
  });

  it('updates details, checking the postal code against the new country', async () => {
    const { owner, orgId } = await newOrganization();
    await createCustomer(owner, orgId, usCustomer);
    const wrong = await api.call({
      method: 'PATCH',
      url: '/v1/billing_customer',
      as: owner,
      org: orgId,
      body: { country: 'IN', state: 'Maharashtra' },
    });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json().error.param).toBe('postal_code');
    const moved = await api.call({
      method: 'PATCH',
      url: '/v1/billing_customer',
      as: owner,
      org: orgId,
      body: { country: 'IN', state: 'Maharashtra', postal_code: '400001', city: 'Mumbai' },
    });
    expect(moved.statusCode, moved.body).toBe(200);
    expect(moved.json()).toMatchObject({ country: 'IN', city: 'Mumbai', gateway: 'test', currency: 'USD' });
  });

  it('offers public plans in the customer currency and restricted plans to their audience only', async () => {
    const a = await newOrganization();
    const b = await newOrganization();
    await createCustomer(a.owner, a.orgId, usCustomer);
    await createCustomer(b.owner, b.orgId, usCustomer);
    const plan = (body: object) =>
      api.call({
        method: 'POST',
        url: '/v1/operator/plans',
        as: operator,
        body: { currency: 'USD', interval: 'month', base_price: 2000, ...body },
      });
    await plan({ code: 'pro_offer', name: 'Pro' });
    await plan({ code: 'pro_inr', name: 'Pro India', currency: 'INR' });
    await plan({
      code: 'enterprise_a',
      name: 'Enterprise',
      visibility: 'restricted',
      audience_org_ids: [a.orgId],
    });

    const offers = async (who: { owner: Person; orgId: string }) =>
      (await api.call({ method: 'GET', url: '/v1/plans', as: who.owner, org: who.orgId })).json().data as {
        code: string;
        current: boolean;
        visibility: string;
      }[];
    const codes = async (who: { owner: Person; orgId: string }) =>
      (await offers(who)).map((p) => `${p.code}${p.current ? '*' : ''}`);
    expect(await codes(a)).toEqual(expect.arrayContaining(['free*', 'pro_offer', 'enterprise_a']));
    // Its audience is told the plan was made for a few, to tell it from a public plan of the same name.
    const visibility = Object.fromEntries((await offers(a)).map((p) => [p.code, p.visibility]));
    expect(visibility).toMatchObject({ pro_offer: 'public', enterprise_a: 'restricted' });
    expect(await codes(a)).not.toContain('pro_inr');
    expect(await codes(b)).not.toContain('enterprise_a');
    expect(await codes(b)).not.toContain('unbilled');
  });

  it('keeps a subscriber on its version when the plan is repriced; a new customer gets the new one', async () => {
    const created = await api.call({
      method: 'POST',
      url: '/v1/operator/plans',
      as: operator,
      body: {
        code: 'versioned',
        name: 'Versioned',
        currency: 'USD',
        interval: 'month',
        base_price: 2000,
        limits: [{ feature: 'computations', mode: 'hard', limit: 20 }],
      },
    });
    const planId = created.json().id;
    const early = await newOrganization();
    await createCustomer(early.owner, early.orgId, usCustomer);
    const moved = await api.call({
      method: 'POST',
      url: `/v1/operator/organizations/${early.orgId}/subscription`,
      as: operator,
      body: { plan_id: planId },
    });
    expect(moved.statusCode, moved.body).toBe(200);

    const edited = await api.call({
      method: 'POST',
      url: `/v1/operator/plans/${planId}`,
      as: operator,
      body: { base_price: 2500, limits: [{ feature: 'computations', mode: 'hard', limit: 30 }] },
    });
    expect(edited.json().version).toMatchObject({ version: 2, base_price: 2500 });

    const late = await newOrganization();
    await createCustomer(late.owner, late.orgId, usCustomer);
    await api.call({
      method: 'POST',
      url: `/v1/operator/organizations/${late.orgId}/subscription`,
      as: operator,
      body: { plan_id: planId },
    });

    const current = async (who: { owner: Person; orgId: string }) =>
      (await api.call({ method: 'GET', url: '/v1/subscriptions', as: who.owner, org: who.orgId }))
        .json()
        .data.find((s: { status: string }) => s.status === 'active');
    expect((await current(early)).version).toMatchObject({
      version: 1,
      base_price: 2000,
      limits: [{ limit: 20 }],
    });
    expect((await current(late)).version).toMatchObject({
      version: 2,
      base_price: 2500,
      limits: [{ limit: 30 }],
    });

    // Moving the early customer to the plan again puts it on the newest version.
    await api.call({
      method: 'POST',
      url: `/v1/operator/organizations/${early.orgId}/subscription`,
      as: operator,
      body: { plan_id: planId },
    });
    expect((await current(early)).version).toMatchObject({ version: 2, base_price: 2500 });
    const versions = await api.call({
      method: 'GET',
      url: `/v1/operator/plans/${planId}/versions`,
      as: operator,
    });
    expect(versions.json().data.map((v: { version: number }) => v.version)).toEqual([2, 1]);
  });

  it('lets an admin read billing but not change it; a member reads nothing', async () => {
    const { owner, orgId } = await newOrganization();
    await createCustomer(owner, orgId, usCustomer);
    const join = async (role: string) => {
      const person = await api.signUp();
      const { url } = (
        await api.call({
          method: 'POST',
          url: '/v1/invitations',
          as: owner,
          org: orgId,
          body: { email: person.email, role },
        })
      ).json();
      await api.call({
        method: 'POST',
        url: '/v1/invitations/accept',
        as: person,
        body: { token: url.split('/invite/')[1] },
      });
      return person;
    };
    const admin = await join('admin');
    const member = await join('member');
    expect(
      (await api.call({ method: 'GET', url: '/v1/billing_customer', as: admin, org: orgId })).statusCode,
    ).toBe(200);
    expect((await api.call({ method: 'GET', url: '/v1/plans', as: admin, org: orgId })).statusCode).toBe(200);
    const update = await api.call({
      method: 'PATCH',
      url: '/v1/billing_customer',
      as: admin,
      org: orgId,
      body: { city: 'Oakland' },
    });
    expect(update.statusCode).toBe(403);
    expect(
      (await api.call({ method: 'GET', url: '/v1/billing_customer', as: member, org: orgId })).statusCode,
    ).toBe(403);
    expect((await api.call({ method: 'GET', url: '/v1/plans', as: member, org: orgId })).statusCode).toBe(
      403,
    );
  });

  it('lists payment methods, sets the default, and promotes another when the default is removed', async () => {
    const { owner, orgId } = await newOrganization();
    const customer = (await createCustomer(owner, orgId, usCustomer)).json();
    // Methods arrive from the gateway's hosted page (payments); here they are rows the gateway left.
    const methods = [
      {
        id: newId('paymentMethod'),
        brand: 'visa',
        last4: '4242',
        is_default: true,
        at: '2027-01-01T00:00:00Z',
      },
      {
        id: newId('paymentMethod'),
        brand: 'mastercard',
        last4: '4444',
        is_default: false,
        at: '2027-01-02T00:00:00Z',
      },
    ];
    for (const m of methods) {
      await api.database.db
        .insertInto('payment_methods')
        .values({
          org_id: orgId,
          id: m.id,
          customer_id: customer.id,
          gateway: 'stripe',
          gateway_ref: `pm_ref_${m.last4}`,
          kind: 'card',
          brand: m.brand,
          last4: m.last4,
          exp_month: 12,
          exp_year: 2030,
          is_default: m.is_default,
          created_at: m.at,
        })
        .execute();
    }
    const list = async () =>
      (await api.call({ method: 'GET', url: '/v1/payment_methods', as: owner, org: orgId }))
        .json()
        .data.map((m: { last4: string; is_default: boolean }) => `${m.last4}${m.is_default ? '*' : ''}`);
    // Newest first, the default marked: the order does not move when another card becomes the default.
    expect(await list()).toEqual(['4444', '4242*']);

    const [visa, mastercard] = methods;
    await api.call({
      method: 'POST',
      url: `/v1/payment_methods/${mastercard?.id}/default`,
      as: owner,
      org: orgId,
    });
    expect(await list()).toEqual(['4444*', '4242']);
    const removed = await api.call({
      method: 'DELETE',
      url: `/v1/payment_methods/${mastercard?.id}`,
      as: owner,
      org: orgId,
    });
    expect(removed.json()).toMatchObject({ deleted: true });
    expect(await list()).toEqual(['4242*']);
    const gone = await api.call({
      method: 'DELETE',
      url: `/v1/payment_methods/${mastercard?.id}`,
      as: owner,
      org: orgId,
    });
    expect(gone.statusCode).toBe(404);
    // Another organization cannot touch this one's methods.
    const stranger = await newOrganization();
    const foreign = await api.call({
      method: 'DELETE',
      url: `/v1/payment_methods/${visa?.id}`,
      as: stranger.owner,
      org: stranger.orgId,
    });
    expect(foreign.statusCode).toBe(404);
  });

  it('lets operators search every customer', async () => {
    const { owner, orgId } = await newOrganization();
    await createCustomer(owner, orgId, { ...usCustomer, name: 'Searchable Widgets LLC' });
    const found = await api.call({ method: 'GET', url: '/v1/operator/customers?q=widgets', as: operator });
    expect(found.json().data).toMatchObject([{ name: 'Searchable Widgets LLC', org_name: 'Customer org' }]);
  });

  it("filters the operators' list by gateway and subscription state, with the search", async () => {
    const us = await newOrganization();
    const india = await newOrganization();
    await createCustomer(us.owner, us.orgId, { ...usCustomer, name: 'Filterable Gizmos Inc.' });
    await createCustomer(india.owner, india.orgId, { ...inCustomer, name: 'Filterable Gizmos Pvt Ltd' });
    const names = async (query: string) => {
      const page = await api.call({
        method: 'GET',
        url: `/v1/operator/customers?q=gizmos${query}`,
        as: operator,
      });
      expect(page.statusCode, page.body).toBe(200);
      return (page.json().data as { name: string }[]).map((c) => c.name).sort();
    };
    expect(await names('')).toEqual(['Filterable Gizmos Inc.', 'Filterable Gizmos Pvt Ltd']);
    expect(await names('&gateway=stripe')).toEqual(['Filterable Gizmos Inc.']);
    expect(await names('&gateway=test')).toEqual(['Filterable Gizmos Pvt Ltd']);
    // Both started on Free: active, and neither past due until one is.
    expect(await names('&subscription_status=active')).toHaveLength(2);
    expect(await names('&subscription_status=past_due')).toEqual([]);
    expect(await names('&subscription_status=active&country=IN')).toEqual(['Filterable Gizmos Pvt Ltd']);
    // Each row says the subscription in force, so the filter's answer can be read.
    const listed = await api.call({ method: 'GET', url: '/v1/operator/customers?q=gizmos', as: operator });
    expect(listed.json().data).toMatchObject([
      { subscription: { plan_name: 'Free', status: 'active' } },
      { subscription: { plan_name: 'Free', status: 'active' } },
    ]);

    const wrong = await api.call({
      method: 'GET',
      url: '/v1/operator/customers?gateway=paypal',
      as: operator,
    });
    expect(wrong.statusCode).toBe(400);
    expect(wrong.json().error.code).toBe('request.invalid');
    const owner = await api.call({
      method: 'GET',
      url: '/v1/operator/customers?gateway=stripe',
      as: us.owner,
      org: us.orgId,
    });
    expect(owner.statusCode).toBe(403);
  });
});

describe.each(engines())("the operators' list by subscription state on %s", (engine) => {
  let api: TestApi;
  let operator: Person;
  let plans: Record<'pro', string>;

  beforeAll(async () => {
    api = await testApi(engine);
    operator = await api.signUpOperator();
    plans = await publishMonthlyPlans(api, operator, [['pro', 'Pro', 2000]]);
  });
  afterAll(() => api.close());

  async function customerNamed(name: string) {
    const owner = await api.signUp();
    const orgId = owner.personalOrgId;
    const call = (method: 'GET' | 'POST', url: string, body?: object) =>
      api.call({ method, url, as: owner, org: orgId, ...(body ? { body } : {}) });
    const created = await call('POST', '/v1/billing_customer', { ...usCustomer, name });
    expect(created.statusCode, created.body).toBe(201);
    return { call };
  }
  const listed = async (status: string) => {
    const page = await api.call({
      method: 'GET',
      url: `/v1/operator/customers?q=statewise&subscription_status=${status}`,
      as: operator,
    });
    expect(page.statusCode, page.body).toBe(200);
    return (page.json().data as { name: string; subscription: { status: string } | null }[])
      .map((c) => `${c.name}: ${c.subscription?.status ?? 'none'}`)
      .sort();
  };

  it('matches the subscription each row shows, not one that ended before it', async () => {
    // Upgraded: Free ended when Pro was paid for, so a cancelled and an active subscription.
    const upgraded = await customerNamed('Statewise Upgraded');
    await checkoutWithCard(api, upgraded, { plan_id: plans.pro });
    const subscriptions = (await upgraded.call('GET', '/v1/subscriptions')).json().data;
    expect(
      subscriptions.map((s: { plan_name: string; status: string }) => `${s.plan_name} ${s.status}`).sort(),
    ).toEqual(['Free cancelled', 'Pro active']);
    // Left: its only subscription ended now.
    const left = await customerNamed('Statewise Left');
    const [free] = (await left.call('GET', '/v1/subscriptions')).json().data;
    const cancelled = await left.call('POST', `/v1/subscriptions/${free.id}/cancel`, { at: 'now' });
    expect(cancelled.statusCode, cancelled.body).toBe(200);

    expect(await listed('active')).toEqual(['Statewise Upgraded: active']);
    expect(await listed('cancelled')).toEqual(['Statewise Left: none']);
    expect(await listed('incomplete')).toEqual([]);
  });
});
