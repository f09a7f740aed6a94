import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { policy } from '../access/index.js';
import { newId } from '../db/ids.js';
import { type ApiRequest, type Person, type TestApi, testApi } from '../testing/api.js';
import { checkoutWithCard, customerOnTestClock } from '../testing/billing.js';
import { engines } from '../testing/databases.js';
import { routes } from './routes/index.js';

/**
 * The authorization matrix, generated from the route table: every route is called as every kind of
 * caller and must allow or deny exactly as this table says. The table is written out here on purpose,
 * apart from the policy it checks; a route with a permission missing here fails.
 */
type Caller =
  | 'anonymous'
  | 'member'
  | 'admin'
  | 'super_admin'
  | 'owner'
  | 'operator'
  | 'foreign_member'
  | 'read_only_key'
  | 'full_key';

const people = ['member', 'admin', 'super_admin', 'owner', 'operator', 'foreign_member'] as const;
const callers: readonly Caller[] = ['anonymous', ...people, 'read_only_key', 'full_key'];

const expected: Record<string, readonly Caller[]> = {
  public: callers,
  signed_in: people,
  'organization.read': ['member', 'admin', 'super_admin', 'owner', 'operator', 'read_only_key', 'full_key'],
  'organization.write': ['super_admin', 'owner', 'full_key'],
  'organization.transfer': ['owner'],
  'members.read': ['member', 'admin', 'super_admin', 'owner', 'operator', 'read_only_key', 'full_key'],
  'members.write': ['super_admin', 'owner'],
  'api_keys.read': ['super_admin', 'owner', 'operator'],
  'api_keys.write': ['super_admin', 'owner'],
  'audit.read': ['super_admin', 'owner', 'operator', 'read_only_key', 'full_key'],
  'billing.read': ['admin', 'super_admin', 'owner', 'operator', 'read_only_key', 'full_key'],
  'billing.write': ['super_admin', 'owner', 'full_key'],
  'operator.read': ['operator'],
  'operator.write': ['operator'],
  // A customer organization's full key passes the policy and is then refused as no issuer (403).
  'usage.ingest': ['operator', 'full_key'],
  'usage.read': ['admin', 'super_admin', 'owner', 'operator', 'read_only_key', 'full_key'],
};

const usCustomer = {
  name: 'Matrix Inc.',
  email: 'billing@matrix.example',
  address_line1: '1 Market St',
  city: 'San Francisco',
  state: 'CA',
  postal_code: '94105',
  country: 'US',
};

/** Tables a request may touch whatever it asks for: the caller's own session and rate counters. */
const unrelatedToTheRequest = new Set(['sessions', 'rate_limits']);

const denialCodes = new Set(['session.required', 'permission.denied', 'api_key.invalid']);

/**
 * What an answer means, told apart explicitly: a denial is a 401 or 403 with a denial code; a 500 is
 * a failure whoever the caller (never "allowed"); anything else (200, 201, 400, 404, 409) means the
 * request got past authorization.
 */
function verdictOf(response: { statusCode: number; json(): { error?: { code?: string } } }) {
  const code = response.statusCode >= 400 ? response.json().error?.code : undefined;
  if (response.statusCode >= 500) return { is: 'server error' as const, code };
  const denied = (response.statusCode === 401 || response.statusCode === 403) && denialCodes.has(code ?? '');
  return { is: denied ? ('deny' as const) : ('allow' as const), code };
}

/** Well-formed ids for path parameters: the check is about permission, not existence. */
function fillPath(path: string): string {
  return path
    .replace(':user_id', newId('user'))
    .replace(':invitation_id', newId('invitation'))
    .replace(':api_key_id', newId('apiKey'))
    .replace(':plan_id', newId('plan'))
    .replace(':org_id', newId('organization'))
    .replace(':checkout_session_id', newId('checkoutSession'))
    .replace(':payment_link_id', newId('paymentLink'))
    .replace(':payment_id', newId('payment'))
    .replace(':payment_method_id', newId('paymentMethod'))
    .replace(':token', 'bfi_0000000000000000000000000000000000000000');
}

describe('the policy table', () => {
  it('lists exactly the permissions this matrix expects', () => {
    expect(Object.keys(policy).sort()).toEqual(Object.keys(expected).sort());
  });
  it('gives every route a declared permission', () => {
    for (const route of routes) {
      expect(route.permission, `${route.method} ${route.path}`).toBeDefined();
      expect(Object.keys(expected), `${route.method} ${route.path}`).toContain(route.permission);
    }
  });
});

describe.each(engines())('authorization matrix on %s', (engine) => {
  let api: TestApi;
  const as: Partial<Record<Caller, ApiRequest['as']>> = {};
  let orgId: string;

  beforeAll(async () => {
    api = await testApi(engine);
    const owner = await api.signUp();
    orgId = (
      await api.call({
        method: 'POST',
        url: '/v1/organizations',
        as: owner,
        body: { name: 'Matrix', country: 'US', postal_code: '10001' },
      })
    ).json().id;
    as.owner = owner;
    for (const role of ['member', 'admin', 'super_admin'] as const) {
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
      as[role] = person;
    }
    const operator = await api.signUp();
    await api.database.db
      .updateTable('users')
      .set({ is_operator: true })
      .where('id', '=', operator.userId)
      .execute();
    as.operator = operator;
    as.foreign_member = await api.signUp();
    for (const [caller, mode] of [
      ['read_only_key', 'read_only'],
      ['full_key', 'full'],
    ] as const) {
      const key = await api.call({
        method: 'POST',
        url: '/v1/api_keys',
        as: owner,
        org: orgId,
        body: { name: caller, mode },
      });
      as[caller] = { apiKey: key.json().secret };
    }
  });
  afterAll(() => api.close());

  /** Signing out ends the session it is called with, so that route gets a session of its own. */
  async function freshSession(person: Person): Promise<Person> {
    const response = await api.call({
      method: 'POST',
      url: '/v1/session',
      body: { email: person.email, password: 'correct horse battery' },
    });
    const cookie = response.cookies.find((c) => c.name === 'billfold_session');
    return { ...person, cookie: `billfold_session=${cookie?.value}`, csrf: response.json().csrf_token };
  }

  it.each(routes.map((route) => [`${route.method} ${route.path}`, route] as const))(
    '%s',
    async (_name, route) => {
      const allowed = expected[route.permission] ?? [];
      const outcomes: string[] = [];
      for (const caller of callers) {
        let who = as[caller];
        if (route.operationId === 'signOut' && who && !('apiKey' in who)) who = await freshSession(who);
        const response = await api.call({
          method: route.method,
          url: fillPath(route.path),
          as: who,
          org: caller === 'anonymous' || caller.endsWith('_key') ? undefined : orgId,
          ...(route.method === 'GET' ? {} : { body: {} }),
        });
        // Signing out everywhere ends every session of the person: later routes need a new one.
        if (route.operationId === 'signOutEverywhere' && who && !('apiKey' in who)) {
          as[caller] = await freshSession(who);
        }
        const verdict = verdictOf(response);
        const want = allowed.includes(caller) ? 'allow' : 'deny';
        if (verdict.is !== want)
          outcomes.push(`${caller}: expected ${want}, got ${response.statusCode} ${verdict.code ?? ''}`);
      }
      expect(outcomes).toEqual([]);
    },
  );
});

/**
 * Another organization's objects, by their real ids: every route that names an object is called
 * with the ids of a second organization's own invoice, subscription, payment, card, links, keys,
 * endpoints... as the first organization's owner and as its full API key. Each must answer 404 (the
 * object is not there for this caller: not 403, which would confirm it exists, and never a 500), and
 * no row anywhere may change.
 */
describe.each(engines())('objects of another organization on %s', (engine) => {
  let api: TestApi;
  let attackers: Array<[string, ApiRequest['as'], string | undefined]>;
  /** The victim organization's real ids, by path parameter. */
  const ids: Record<string, string> = {};
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

    const victim = await customerOnTestClock(api, usCustomer, '2027-01-15T10:00:00Z');
    const session = await checkoutWithCard(api, victim, { plan_id: planId });
    const made = async (url: string, body: object) => {
      const response = await victim.call('POST', url, body);
      expect(response.statusCode, `${url}: ${response.body}`).toBe(201);
      return response.json().id as string;
    };
    const colleague = await api.signUp();
    ids[':user_id'] = victim.owner.userId;
    ids[':invitation_id'] = await made('/v1/invitations', { email: colleague.email, role: 'member' });
    ids[':api_key_id'] = await made('/v1/api_keys', { name: 'Victim key', mode: 'full' });
    ids[':webhook_endpoint_id'] = await made('/v1/webhook_endpoints', {
      url: 'https://hooks.victim.example/',
    });
    ids[':payment_link_id'] = await made('/v1/payment_links', { amount: 700, description: 'Setup fee' });
    ids[':checkout_session_id'] = session.id;
    ids[':test_clock_id'] = victim.clockId;
    const first = async (
      table: 'subscriptions' | 'invoices' | 'payments' | 'payment_methods' | 'statements',
    ) =>
      (
        await api.database.db
          .selectFrom(table)
          .select('id')
          .where('org_id', '=', victim.orgId)
          .executeTakeFirstOrThrow()
      ).id;
    ids[':subscription_id'] = await first('subscriptions');
    ids[':invoice_id'] = await first('invoices');
    ids[':payment_id'] = await first('payments');
    ids[':payment_method_id'] = await first('payment_methods');
    ids[':statement_id'] = await first('statements');
    ids[':alert_id'] = await made(`/v1/subscriptions/${ids[':subscription_id']}/alerts`, {
      type: 'invoice_amount',
      threshold: 1000,
    });
    // The alert is evaluated after it commits: done before the rows are compared.
    await api.app.usageAlerts.idle();

    // The attacker: an owner with an organization of its own, billing set up too, and a full key.
    const attacker = await customerOnTestClock(api, usCustomer, '2027-01-15T10:00:00Z');
    const key = await api.call({
      method: 'POST',
      url: '/v1/api_keys',
      as: attacker.owner,
      org: attacker.orgId,
      body: { name: 'Attacker key', mode: 'full' },
    });
    attackers = [
      ['owner of another organization', attacker.owner, attacker.orgId],
      ['full API key of another organization', { apiKey: key.json().secret }, undefined],
    ];
  });
  afterAll(() => api.close());

  /** Bodies that pass validation, so the answer is about the object, not the request's shape. */
  const validBody = (operationId: string): object => {
    if (operationId === 'changeMemberRole') return { role: 'admin' };
    if (operationId === 'previewPlanChange' || operationId === 'changePlan') return { plan_id: planId };
    if (operationId === 'advanceTestClock') return { frozen_time: '2027-03-01T00:00:00Z' };
    if (operationId === 'createUsageAlert') return { type: 'invoice_amount', threshold: 5000 };
    return {};
  };

  /** Every row of every table, counted, and the victim's rows in full: nothing may change. */
  async function everything() {
    const { rows } = await sql<{ table_name: string }>`
      select table_name from information_schema.tables
      where table_schema = 'public' and table_type = 'BASE TABLE' order by table_name`.execute(
      api.database.db,
    );
    const state: Record<string, string> = {};
    for (const { table_name } of rows) {
      const all = await sql<Record<string, unknown>>`select * from ${sql.table(table_name)}`.execute(
        api.database.db,
      );
      state[table_name] = JSON.stringify(all.rows, (_k, v) => (typeof v === 'bigint' ? String(v) : v));
    }
    return state;
  }

  // Operators work across organizations by design; plans are the operator's catalog, offered to all.
  const objectRoutes = routes.filter(
    (route) =>
      route.path.includes('/:') &&
      !route.path.includes(':plan_id') &&
      !route.permission.startsWith('operator.') &&
      route.permission !== 'public',
  );

  it('has a real id of the other organization for every parameter the routes name', () => {
    for (const route of objectRoutes) {
      for (const param of route.path.match(/:[a-z_]+/g) ?? []) {
        expect(ids[param], `${route.method} ${route.path}`).toBeDefined();
      }
    }
  });

  it.each(objectRoutes.map((route) => [`${route.method} ${route.path}`, route] as const))(
    '%s answers 404 and changes nothing',
    async (_name, route) => {
      const url = route.path.replace(/:[a-z_]+/g, (param) => ids[param] ?? param);
      const before = await everything();
      const outcomes: string[] = [];
      for (const [label, as, org] of attackers) {
        const response = await api.call({
          method: route.method,
          url,
          as,
          org,
          ...(route.method === 'GET' ? {} : { body: validBody(route.operationId) }),
        });
        const verdict = verdictOf(response);
        // A route the caller may not use at all (an API key managing keys) is denied before any
        // lookup: that too reveals nothing. Anything else must be the 404 of an absent object.
        const allowedHere = expected[route.permission]?.includes(as && 'apiKey' in as ? 'full_key' : 'owner');
        const want = allowedHere ? 'not_found' : 'deny';
        const got =
          verdict.is === 'allow' && response.statusCode === 404 && verdict.code?.endsWith('not_found')
            ? 'not_found'
            : verdict.is;
        if (got !== want)
          outcomes.push(`${label}: expected ${want}, got ${response.statusCode} ${response.body}`);
      }
      expect(outcomes).toEqual([]);
      const after = await everything();
      const changed = Object.keys(before).filter(
        (table) => before[table] !== after[table] && !unrelatedToTheRequest.has(table),
      );
      expect(changed).toEqual([]);
    },
  );
});
