import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { idPrefixes } from '../db/ids.js';
import { type Person, type TestApi, testApi } from '../testing/api.js';
import { type BillingTestCustomer, checkoutWithCard, customerOnTestClock } from '../testing/billing.js';
import { engines } from '../testing/databases.js';
import { badRequests, type FuzzContext, type Operation, operationsOf } from '../testing/openapi-fuzz.js';

/**
 * Every route in /v1/openapi.json, at least 30 bad requests each, generated from the document (a
 * route added later is fuzzed without a change here). Sent by a signed-in owner (an operator for
 * operator routes) of an organization with real billing objects, so requests get past authorization
 * into validation and handlers. Each answer must be below 500; every refusal must carry the error
 * envelope and leave every table in the public schema with the rows it had.
 *
 * Row counts are compared around every refused request. Refused writes roll back their idempotency
 * claim and any audit entry with their transaction, so only one kind of table is excused: attempt
 * counters (sign-in limits, should they be kept in the database to be shared by processes), whose
 * purpose is to count refused attempts.
 */

const countsRefusals = (table: string) => /rate_limit|attempt/.test(table);

const details = (name: string, email: string) => ({
  name,
  email,
  address_line1: '1 Market St',
  city: 'San Francisco',
  state: 'CA',
  postal_code: '94105',
  country: 'US',
  time_zone: 'America/Los_Angeles',
});

interface Tenant {
  customer: BillingTestCustomer;
  /** Real values for path parameters that are not ids of a kind (pay pages, invitation tokens). */
  named: Record<string, string>;
  /** Ids in the tenant's organization, by prefix. */
  ids: Map<string, string>;
}

describe.each(engines())('fuzzing every route of the OpenAPI document on %s', (engine) => {
  let api: TestApi;
  let operator: Person;
  let a: Tenant;
  let b: Tenant;
  /** Ids of the platform's own objects (plans), which every organization may name. */
  const platformIds = new Map<string, string>();

  async function idsOf(orgId: string): Promise<Map<string, string>> {
    const ids = new Map<string, string>();
    const tables = await sql<{ table_name: string }>`
      select c.table_name from information_schema.columns c
      join information_schema.columns o on o.table_schema = c.table_schema and o.table_name = c.table_name
        and o.column_name = 'org_id'
      where c.table_schema = 'public' and c.column_name = 'id' order by c.table_name`.execute(
      api.database.db,
    );
    for (const { table_name } of tables.rows) {
      const rows = await sql<{ id: string }>`
        select id from ${sql.table(table_name)} where org_id = ${orgId} order by id`.execute(api.database.db);
      for (const { id } of rows.rows) {
        const prefix = id.slice(0, id.indexOf('_'));
        if (!ids.has(prefix)) ids.set(prefix, id);
      }
    }
    return ids;
  }

  async function tenant(label: string, planId: string): Promise<Tenant> {
    const customer = await customerOnTestClock(
      api,
      details(label, `billing@${label}.example`),
      '2027-03-10T21:00:00Z',
    );
    const ok = async (response: Promise<{ statusCode: number; body: string; json(): { url: string } }>) => {
      const answer = await response;
      if (answer.statusCode >= 300) throw new Error(`fixture step refused: ${answer.body}`);
      return answer.json();
    };
    const { call } = customer;
    await checkoutWithCard(api, customer, { plan_id: planId });
    const link = await ok(call('POST', '/v1/payment_links', { amount: 500, description: 'Setup fee' }));
    await ok(call('POST', '/v1/webhook_endpoints', { url: `https://${label}.example/hook` }));
    await ok(call('POST', '/v1/api_keys', { name: 'CI', mode: 'read_only' }));
    const invitation = await ok(
      call('POST', '/v1/invitations', { email: `x@${label}.example`, role: 'member' }),
    );
    // A second member, so member routes have someone to act on besides the owner.
    const member = await api.signUp();
    const invite = await ok(call('POST', '/v1/invitations', { email: member.email, role: 'admin' }));
    await ok(
      api.call({
        method: 'POST',
        url: '/v1/invitations/accept',
        as: member,
        body: { token: new URL(invite.url).pathname.split('/').pop() },
      }),
    );
    // A month later: a renewal invoice and a closed statement.
    await ok(customer.advance('2027-04-02T00:00:00Z'));

    const ids = await idsOf(customer.orgId);
    ids.set('usr', member.userId);
    return {
      customer,
      ids,
      named: {
        org_id: customer.orgId,
        id: new URL(link.url).pathname.split('/').pop() ?? '',
        token: new URL(invitation.url).pathname.split('/').pop() ?? '',
        country: 'US',
      },
    };
  }

  beforeAll(async () => {
    api = await testApi(engine);
    operator = await api.signUpOperator();
    const plan = await api.call({
      method: 'POST',
      url: '/v1/operator/plans',
      as: operator,
      body: { code: 'pro', name: 'Pro', currency: 'USD', interval: 'month', base_price: 2000 },
    });
    await api.call({
      method: 'POST',
      url: '/v1/operator/tax_rates',
      as: operator,
      body: { country: 'US', percent: '5' },
    });
    a = await tenant('alpha', plan.json().id);
    b = await tenant('beta', plan.json().id);
    for (const [prefix, id] of await idsOf('org_platform')) platformIds.set(prefix, id);
  }, 120_000);
  afterAll(() => api.close());

  let tables: { rows: Array<{ table_name: string }> } | undefined;
  /** Rows per table in the public schema, in one query. */
  async function rowCounts(): Promise<Record<string, number>> {
    tables ??= await sql<{ table_name: string }>`
      select table_name from information_schema.tables
      where table_schema = 'public' and table_type = 'BASE TABLE' order by table_name`.execute(
      api.database.db,
    );
    // json_build_object takes at most 100 arguments: 40 tables an object, the objects joined.
    const objects = [];
    for (let i = 0; i < tables.rows.length; i += 40) {
      const counts = sql.join(
        tables.rows
          .slice(i, i + 40)
          .map(({ table_name }) => sql`${table_name}::text, (select count(*) from ${sql.table(table_name)})`),
      );
      objects.push(sql`jsonb_build_object(${counts})`);
    }
    const row = await sql<{
      counts: Record<string, number>;
    }>`select ${sql.join(objects, sql` || `)} as counts`.execute(api.database.db);
    return row.rows[0]?.counts ?? {};
  }

  const valueFor = (tenant: Tenant, param: string): string | undefined => {
    if (tenant.named[param]) return tenant.named[param];
    if (!param.endsWith('_id')) return undefined;
    const kind = param.slice(0, -3).replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
    const prefix = idPrefixes[kind as keyof typeof idPrefixes];
    if (!prefix) return undefined;
    return tenant.ids.get(prefix) ?? (tenant === a ? platformIds.get(prefix) : undefined);
  };

  /** Signs a person in again after a request signed them out (signing out takes no input to refuse). */
  async function stayingSignedIn(person: Person) {
    if ((await api.call({ method: 'GET', url: '/v1/session', as: person })).statusCode !== 401) return;
    // From an address of its own: the fuzzing of sign-in has used up this address's attempts.
    const signedIn = await api.app.inject({
      method: 'POST',
      url: '/v1/session',
      remoteAddress: '192.0.2.1',
      payload: { email: person.email, password: 'correct horse battery' },
    });
    const cookie = signedIn.cookies.find((c) => c.name === 'billfold_session');
    if (!cookie) throw new Error(`could not sign ${person.email} in again: ${signedIn.body}`);
    person.cookie = `billfold_session=${cookie.value}`;
    person.csrf = signedIn.json().csrf_token;
  }

  it('answers at least 30 bad requests per route with a 4xx envelope that changes nothing, and repeated writes without a 500', async () => {
    const document = (await api.call({ method: 'GET', url: '/v1/openapi.json' })).json();
    const operations = operationsOf(document);
    const owner = a.customer.owner;
    const orgId = a.customer.orgId;
    const headersOf = (person: Person, org: string) => ({
      cookie: person.cookie,
      'x-csrf-token': person.csrf,
      'billfold-organization': org,
    });
    const context: FuzzContext = {
      ownValue: (param) => valueFor(a, param),
      // Only ids name an organization's objects; tokens and pay page ids are capabilities by design.
      foreignValue: (param) => (param.endsWith('_id') ? valueFor(b, param) : undefined),
      foreignOrgId: b.customer.orgId,
      authHeaders: (operation: Operation) => {
        if (!operation.permission || operation.permission === 'public') return {};
        if (operation.permission.startsWith('operator.')) return headersOf(operator, operator.personalOrgId);
        return headersOf(owner, orgId);
      },
    };

    const failures: string[] = [];
    let sent = 0;
    let refused = 0;
    let before = await rowCounts();
    for (const operation of operations) {
      const requests = badRequests(operation, context);
      expect(requests.length, `${operation.method} ${operation.path}`).toBeGreaterThanOrEqual(30);
      for (const request of requests) {
        const headers = { ...context.authHeaders(operation), ...request.headers };
        for (const name of request.omit) delete headers[name as keyof typeof headers];
        const response = await api.app.inject({
          method: request.method,
          url: request.url,
          headers,
          ...(request.payload !== undefined ? { payload: request.payload } : {}),
        });
        sent++;
        const after = await rowCounts();
        const status = response.statusCode;
        // An operator may name any organization; anyone else naming another's object is refused.
        const mayReachAnyOrganization = operation.permission?.startsWith('operator.') ?? false;
        if (request.foreign && status < 400 && !mayReachAnyOrganization)
          failures.push(`${status} for ${request.label}: ${response.body.slice(0, 200)}`);
        if (status >= 500) failures.push(`${status} for ${request.label}: ${response.body.slice(0, 200)}`);
        if (status >= 400) {
          refused++;
          const isPage = !request.url.startsWith('/v1/');
          const envelope = (() => {
            try {
              const { error } = response.json();
              return typeof error.code === 'string' && error.request_id === response.headers['request-id'];
            } catch {
              return false;
            }
          })();
          const htmlPage = isPage && String(response.headers['content-type']).startsWith('text/html');
          if (!envelope && !htmlPage)
            failures.push(
              `${status} without the error envelope for ${request.label}: ${response.body.slice(0, 200)}`,
            );
          const changed = Object.keys(after).filter(
            (table) => after[table] !== before[table] && !countsRefusals(table),
          );
          if (changed.length > 0)
            failures.push(`${status} for ${request.label} changed rows in ${changed.join(', ')}`);
        }
        before = after;
        if (status < 400 && operation.isWrite) {
          // An accepted write may have signed the caller out (DELETE /v1/session with a stray header).
          await stayingSignedIn(owner);
          await stayingSignedIn(operator);
          before = await rowCounts();
        }
      }
    }

    // Then every write that takes no body, sent as it should be, twice: the second finds its work
    // done (a paused subscription paused again, a removed card removed again) and must say so
    // with the object or a 4xx, never a 500. After the bad requests, as these really change things.
    let repeated = 0;
    for (const operation of operations.filter((o) => o.isWrite && !o.body)) {
      const url = operation.path.replace(/\{([^}]+)\}/g, (_m, name: string) =>
        encodeURIComponent(context.ownValue(name) ?? 'missing'),
      );
      for (const attempt of ['first', 'repeated']) {
        const response = await api.app.inject({
          method: operation.method,
          url,
          headers: context.authHeaders(operation),
        });
        repeated++;
        const label = `${operation.method} ${operation.path} (${attempt})`;
        if (response.statusCode >= 500)
          failures.push(`${response.statusCode} for ${label}: ${response.body.slice(0, 200)}`);
        else if (response.statusCode >= 400 && !url.startsWith('/pay/') && !response.json().error?.code)
          failures.push(`${response.statusCode} without the error envelope for ${label}`);
        await stayingSignedIn(owner);
        await stayingSignedIn(operator);
      }
    }
    console.info(
      `fuzz on ${engine}: ${sent} bad requests to ${operations.length} routes, ${refused} refused; ` +
        `${repeated} writes without a body sent twice`,
    );
    expect(failures).toEqual([]);
  }, 600_000);
});
