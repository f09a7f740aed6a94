import type { LightMyRequestResponse } from 'fastify';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Person, type TestApi, testApi } from '../testing/api.js';
import {
  type BillingTestCustomer,
  checkoutWithCard,
  customerOnTestClock,
  publishPlans,
} from '../testing/billing.js';
import { engines } from '../testing/databases.js';

/**
 * Every list route pages with `limit` and `starting_after`, through the API: pages of 2 across the
 * list's objects answer has_more true until the last page, and together hold every object once, in
 * the order of the whole list read at once. A cursor naming no object of the list (a made-up id,
 * another list's object, another organization's) is a 400, never a 500 or a page.
 */

type Read = (query: string) => Promise<LightMyRequestResponse>;
type Item = Record<string, unknown>;

/** Pages of two through the list `read` answers; returns its objects' ids, in order. */
async function expectPagesOfTwo(read: Read, idOf: (item: Item) => string = (item) => String(item.id)) {
  const whole = await read('limit=100');
  expect(whole.statusCode, whole.body).toBe(200);
  expect(whole.json().has_more).toBe(false);
  const all = (whole.json().data as Item[]).map(idOf);
  expect(all.length).toBeGreaterThanOrEqual(5);

  const pages: { ids: string[]; has_more: boolean }[] = [];
  let after: string | undefined;
  do {
    const page = await read(
      `limit=2${after === undefined ? '' : `&starting_after=${encodeURIComponent(after)}`}`,
    );
    expect(page.statusCode, page.body).toBe(200);
    const ids = (page.json().data as Item[]).map(idOf);
    pages.push({ ids, has_more: page.json().has_more });
    after = ids.at(-1);
  } while (pages.at(-1)?.has_more && pages.length <= all.length);

  const expected = Array.from(
    { length: Math.ceil(all.length / 2) },
    (_, i) => i < Math.ceil(all.length / 2) - 1,
  );
  expect(pages.map((page) => page.has_more)).toEqual(expected);
  // No duplicates, no gaps, the same order.
  expect(pages.flatMap((page) => page.ids)).toEqual(all);

  const unknown = await read('limit=2&starting_after=nothing_here_1');
  expect(unknown.statusCode).toBe(400);
  expect(unknown.json().error).toMatchObject({ code: 'list.bad_cursor', param: 'starting_after' });
  return all;
}

async function expectBadCursor(read: Read, cursor: string) {
  const response = await read(`limit=2&starting_after=${encodeURIComponent(cursor)}`);
  expect(response.statusCode, response.body).toBe(400);
  expect(response.json().error.code).toBe('list.bad_cursor');
}

const details = {
  name: 'Pager Inc.',
  email: 'billing@pager.example',
  address_line1: '1 Market St',
  city: 'San Francisco',
  state: 'CA',
  postal_code: '94105',
  country: 'US',
  time_zone: 'UTC',
};

describe.each(engines())('cursor pagination of every list, on %s', (engine) => {
  let api: TestApi;
  let operator: Person;
  let customer: BillingTestCustomer;
  let planIds: Record<string, string>;
  let subscriptionId: string;

  const asOperator: (path: string) => Read = (path) => (query) =>
    api.call({ method: 'GET', url: `${path}${path.includes('?') ? '&' : '?'}${query}`, as: operator });
  const asCustomer: (path: string) => Read = (path) => (query) =>
    customer.call('GET', `${path}${path.includes('?') ? '&' : '?'}${query}`);

  beforeAll(async () => {
    api = await testApi(engine);
    operator = await api.signUpOperator();
    const operatorPost = async (url: string, body: object) => {
      const response = await api.call({ method: 'POST', url, as: operator, body });
      if (response.statusCode >= 300) throw new Error(`${url}: ${response.body}`);
      return response.json();
    };
    for (const n of [1, 2, 3, 4, 5]) {
      await operatorPost('/v1/operator/features', {
        code: `pager_feature_${n}`,
        name: `Feature ${n}`,
        unit: 'unit',
      });
      await operatorPost('/v1/operator/metrics', {
        code: `pager_metric_${n}`,
        name: `Metric ${n}`,
        unit: 'unit',
        aggregation: 'count',
      });
    }
    for (const [country, region] of [
      ['US', 'CA'],
      ['US', 'NY'],
      ['GB', ''],
      ['DE', ''],
    ]) {
      await operatorPost('/v1/operator/tax_rates', { country, region, name: 'Tax', percent: '5' });
    }
    planIds = await publishPlans(
      api,
      operator,
      [1, 2, 3, 4, 5].map((n) => [`pager_${n}`, { name: `Pager ${n}`, base_price: 1000 * n }] as const),
    );
    // Four new prices: five versions of the first plan.
    for (const price of [1100, 1200, 1300, 1400]) {
      await operatorPost(`/v1/operator/plans/${planIds.pager_1}`, { base_price: price });
    }

    // A customer on a test clock with five of everything it makes.
    customer = await customerOnTestClock(api, details, '2027-01-20T12:00:00Z');
    const post = async (url: string, body: object = {}) => {
      const response = await customer.call('POST', url, body);
      if (response.statusCode >= 300) throw new Error(`${url}: ${response.body}`);
      return response.json();
    };
    for (const n of [1, 2, 3, 4, 5]) {
      await post('/v1/api_keys', { name: `Key ${n}`, mode: 'read_only' });
      await post('/v1/payment_links', { amount: 500 * n, description: `Link ${n}` });
    }
    // The fifth endpoint hears only paid invoices: one delivery for each of the five below.
    for (const n of [1, 2, 3, 4]) await post('/v1/webhook_endpoints', { url: `https://hooks.example/${n}` });
    await post('/v1/webhook_endpoints', { url: 'https://hooks.example/paid', events: ['invoice.paid'] });

    // Five members (the owner and four who accepted) and five invitations (one still pending).
    for (const n of [1, 2, 3, 4, 5]) {
      const email = `pager.member${n}.${engine}@example.com`;
      const invitation = await post('/v1/invitations', { email, role: 'member' });
      if (n === 5) break;
      const person = await api.signUp({ email });
      const accepted = await api.call({
        method: 'POST',
        url: '/v1/invitations/accept',
        as: person,
        body: { token: invitation.url.split('/invite/')[1] },
      });
      if (accepted.statusCode !== 200) throw new Error(`accept: ${accepted.body}`);
    }

    // A paid plan from 20 January, renewed on the first of February to May: five invoices, five
    // payments, five statements; and four more cards saved: five payment methods.
    await checkoutWithCard(api, customer, { plan_id: planIds.pager_2 });
    for (let n = 0; n < 4; n++) await checkoutWithCard(api, customer, { mode: 'setup' });
    for (const month of ['02', '03', '04', '05']) {
      const advanced = await customer.advance(`2027-${month}-01T12:00:00Z`);
      if (advanced.statusCode !== 200) throw new Error(`advance: ${advanced.body}`);
    }
    subscriptionId = (await customer.call('GET', '/v1/subscriptions')).json().data[0].id;
    // Five alerts on the upcoming invoice's total, each already reached: five crossings.
    for (const n of [1, 2, 3, 4, 5]) {
      await post(`/v1/subscriptions/${subscriptionId}/alerts`, { type: 'invoice_amount', threshold: n });
    }
    await api.app.usageAlerts.idle();
    // With the free plan it started on, and three that ended, started the same instant as the paid
    // one (the id breaks the tie): five subscriptions.
    await sql`
      insert into subscriptions (org_id, id, customer_id, plan_issuer_id, plan_id, plan_version_id, status,
        started_at, created_at, billing_mode, anchor_day, time_zone, current_period_start, current_period_end,
        cancel_at_period_end, updated_at)
      select org_id, id || '_' || n, customer_id, plan_issuer_id, plan_id, plan_version_id, 'cancelled', started_at,
        created_at, billing_mode, anchor_day, time_zone, current_period_start, current_period_end, false, updated_at
      from subscriptions, generate_series(1, 3) as n where id = ${subscriptionId}`.execute(api.database.db);
  });
  afterAll(() => api.close());

  it("pages the operator's catalog: features, metrics, plans, a plan's versions, tax rates", async () => {
    await expectPagesOfTwo(asOperator('/v1/operator/features'), (f) => String(f.code));
    await expectPagesOfTwo(asOperator('/v1/operator/metrics'), (m) => String(m.code));
    await expectPagesOfTwo(asOperator('/v1/operator/plans?status=all&q=pager'));
    const versions = await expectPagesOfTwo(asOperator(`/v1/operator/plans/${planIds.pager_1}/versions`));
    expect(versions).toHaveLength(5);
    // A version of another plan is no place in this plan's versions.
    const other = await api.call({
      method: 'GET',
      url: `/v1/operator/plans/${planIds.pager_2}/versions`,
      as: operator,
    });
    await expectBadCursor(
      asOperator(`/v1/operator/plans/${planIds.pager_1}/versions`),
      other.json().data[0].id,
    );
    const rates = await expectPagesOfTwo(asOperator('/v1/operator/tax_rates'));
    expect(rates).toEqual(['DE', 'GB', 'IN', 'US-CA', 'US-NY']);
  });

  it("pages an organization's own lists", async () => {
    expect(await expectPagesOfTwo(asCustomer('/v1/api_keys'))).toHaveLength(5);
    expect(await expectPagesOfTwo(asCustomer('/v1/audit_events?action=api_key.'))).toHaveLength(5);
    expect(await expectPagesOfTwo(asCustomer('/v1/invitations'))).toHaveLength(5);
    expect(await expectPagesOfTwo(asCustomer('/v1/members'), (m) => String(m.user_id))).toHaveLength(5);
    expect(await expectPagesOfTwo(asCustomer('/v1/payment_links'))).toHaveLength(5);
    expect(await expectPagesOfTwo(asCustomer('/v1/webhook_endpoints'))).toHaveLength(5);
    // The five plans, and the free plan every Billfold starts with.
    const offers = await expectPagesOfTwo(asCustomer('/v1/plans'));
    expect(offers).toEqual(expect.arrayContaining(Object.values(planIds)));
    expect(await expectPagesOfTwo(asCustomer('/v1/subscriptions'))).toHaveLength(5);
    expect(await expectPagesOfTwo(asCustomer('/v1/payment_methods'))).toHaveLength(5);
    expect(await expectPagesOfTwo(asCustomer(`/v1/subscriptions/${subscriptionId}/alerts`))).toHaveLength(5);
    expect(await expectPagesOfTwo(asCustomer('/v1/usage/thresholds'))).toHaveLength(5);
  });

  it('pages what billing wrote: invoices, payments, statements, ledger entries, deliveries', async () => {
    expect(await expectPagesOfTwo(asCustomer('/v1/invoices'))).toHaveLength(5);
    expect(await expectPagesOfTwo(asCustomer('/v1/payments'))).toHaveLength(5);
    expect(
      await expectPagesOfTwo(asOperator(`/v1/operator/organizations/${customer.orgId}/payments`)),
    ).toHaveLength(5);
    expect(
      await expectPagesOfTwo(asCustomer(`/v1/statements?subscription_id=${subscriptionId}`)),
    ).toHaveLength(5);
    const ledger = asCustomer(`/v1/ledger_entries?subscription_id=${subscriptionId}`);
    await expectPagesOfTwo(ledger);
    // Every page tells the whole ledger's balance.
    const [first, last] = [await ledger('limit=1'), await ledger('limit=100')];
    expect(first.json().balance).toBe(last.json().balance);
    const endpoints = (await customer.call('GET', '/v1/webhook_endpoints')).json().data as Item[];
    const paid = endpoints.find((e) => String(e.url).endsWith('/paid'));
    expect(await expectPagesOfTwo(asCustomer(`/v1/webhook_endpoints/${paid?.id}/deliveries`))).toHaveLength(
      5,
    );
  });

  it("pages a person's organizations and the operator's customers", async () => {
    const person = await api.signUp();
    const call = (method: 'GET' | 'POST', url: string, org: string, body?: object) =>
      api.call({ method, url, as: person, org, ...(body ? { body } : {}) });
    const orgIds = [person.personalOrgId];
    for (const n of [1, 2, 3, 4]) {
      const org = await call('POST', '/v1/organizations', person.personalOrgId, {
        name: `Pager org ${n}`,
        country: 'US',
        postal_code: '94105',
      });
      orgIds.push(org.json().id);
    }
    for (const orgId of orgIds) {
      const created = await call('POST', '/v1/billing_customer', orgId, {
        ...details,
        email: 'pay@pages.example',
      });
      expect(created.statusCode, created.body).toBe(201);
    }
    const organizations = await expectPagesOfTwo((query) =>
      api.call({ method: 'GET', url: `/v1/organizations?${query}`, as: person }),
    );
    expect(new Set(organizations)).toEqual(new Set(orgIds));
    // The customer's organization is not one of this person's.
    await expectBadCursor(
      (query) => api.call({ method: 'GET', url: `/v1/organizations?${query}`, as: person }),
      customer.orgId,
    );
    expect(await expectPagesOfTwo(asOperator('/v1/operator/customers?q=pages.example'))).toHaveLength(5);
    // A filter on another table (each started on Free) pages the same way.
    expect(
      await expectPagesOfTwo(asOperator('/v1/operator/customers?q=pages.example&subscription_status=active')),
    ).toHaveLength(5);
  });

  it("refuses another list's object and another organization's as a cursor", async () => {
    const link = (await customer.call('GET', '/v1/payment_links?limit=1')).json().data[0].id;
    await expectBadCursor(asCustomer('/v1/payments'), link);
    const invoice = (await customer.call('GET', '/v1/invoices?limit=1')).json().data[0].id;
    const stranger = await customerOnTestClock(api, details, '2027-01-20T12:00:00Z');
    await expectBadCursor((query) => stranger.call('GET', `/v1/invoices?${query}`), invoice);
    const key = (await customer.call('GET', '/v1/api_keys?limit=1')).json().data[0].id;
    await expectBadCursor((query) => stranger.call('GET', `/v1/api_keys?${query}`), key);
  });
});
