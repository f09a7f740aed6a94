import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { policy } from '../access/index.js';
import { newId } from '../db/ids.js';
import { type ApiRequest, type Person, type TestApi, testApi } from '../testing/api.js';
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
};

const denialCodes = new Set(['session.required', 'permission.denied', 'api_key.invalid']);

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
        const code = response.statusCode >= 400 ? response.json().error?.code : undefined;
        const denied = (response.statusCode === 401 || response.statusCode === 403) && denialCodes.has(code);
        const verdict = denied ? 'deny' : 'allow';
        const want = allowed.includes(caller) ? 'allow' : 'deny';
        if (verdict !== want)
          outcomes.push(`${caller}: expected ${want}, got ${response.statusCode} ${code ?? ''}`);
      }
      expect(outcomes).toEqual([]);
    },
  );
});
