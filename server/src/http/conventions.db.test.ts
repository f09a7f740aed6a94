import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Person, type TestApi, testApi } from '../testing/api.js';
import { countRows, engines } from '../testing/databases.js';

const tables = [
  'users',
  'organizations',
  'memberships',
  'invitations',
  'api_keys',
  'audit_events',
  'idempotency_keys',
];

describe.each(engines())('API conventions on %s', (engine) => {
  let api: TestApi;
  let owner: Person;
  let orgId: string;

  beforeAll(async () => {
    api = await testApi(engine);
    owner = await api.signUp();
    orgId = (
      await api.call({
        method: 'POST',
        url: '/v1/organizations',
        as: owner,
        body: { name: 'Conv', country: 'US', postal_code: '10001' },
      })
    ).json().id;
  });
  afterAll(() => api.close());

  const snapshot = async () =>
    Object.fromEntries(await Promise.all(tables.map(async (t) => [t, await countRows(api.database, t)])));

  it('50 concurrent POSTs with one Idempotency-Key create one resource and return one response', async () => {
    const before = await countRows(api.database, 'organizations');
    const body = { name: 'Once only', country: 'US', postal_code: '10001' };
    const responses = await Promise.all(
      Array.from({ length: 50 }, () =>
        api.call({
          method: 'POST',
          url: '/v1/organizations',
          as: owner,
          body,
          headers: { 'idempotency-key': 'create-once-1' },
        }),
      ),
    );
    expect(new Set(responses.map((r) => r.statusCode))).toEqual(new Set([201]));
    expect(new Set(responses.map((r) => r.body)).size).toBe(1);
    expect(responses.filter((r) => r.headers['idempotent-replayed'] === 'true')).toHaveLength(49);
    expect(await countRows(api.database, 'organizations')).toBe(before + 1);
  });

  it('refuses the same key with other parameters, and changes nothing', async () => {
    const body = { name: 'First', country: 'US', postal_code: '10001' };
    const headers = { 'idempotency-key': 'reused-key' };
    expect(
      (await api.call({ method: 'POST', url: '/v1/organizations', as: owner, body, headers })).statusCode,
    ).toBe(201);
    const before = await snapshot();
    const reused = await api.call({
      method: 'POST',
      url: '/v1/organizations',
      as: owner,
      body: { ...body, name: 'Other' },
      headers,
    });
    expect(reused.statusCode).toBe(409);
    expect(reused.json().error).toMatchObject({
      type: 'idempotency',
      code: 'idempotency.key_reused',
      param: 'Idempotency-Key',
    });
    expect(await snapshot()).toEqual(before);
  });

  it('treats one Idempotency-Key sent for two organizations as two requests', async () => {
    const other = (
      await api.call({
        method: 'POST',
        url: '/v1/organizations',
        as: owner,
        body: { name: 'Other', country: 'US', postal_code: '10001' },
      })
    ).json().id;
    const headers = { 'idempotency-key': 'same-key-two-orgs' };
    const body = { name: 'Per org', mode: 'read_only' };
    const a = await api.call({ method: 'POST', url: '/v1/api_keys', as: owner, org: orgId, body, headers });
    const b = await api.call({ method: 'POST', url: '/v1/api_keys', as: owner, org: other, body, headers });
    expect(b.headers['idempotent-replayed']).toBeUndefined();
    expect(b.json().id).not.toBe(a.json().id);
  });

  it('answers concurrent sign-ups with one email with one account and conflicts, never a 500', async () => {
    const body = {
      email: `race.${orgId.slice(-6).toLowerCase()}@example.com`,
      password: 'correct horse battery',
      name: 'Race',
      country: 'US',
      postal_code: '10001',
    };
    const responses = await Promise.all(
      Array.from({ length: 8 }, () => api.call({ method: 'POST', url: '/v1/users', body })),
    );
    const statuses = responses.map((r) => r.statusCode).sort();
    expect(statuses).toEqual([201, 409, 409, 409, 409, 409, 409, 409]);
  });

  it('lets a browser with a stale session cookie sign in without a CSRF token', async () => {
    const response = await api.app.inject({
      method: 'POST',
      url: '/v1/session',
      headers: { cookie: owner.cookie, 'content-type': 'application/json' },
      payload: JSON.stringify({ email: owner.email, password: 'correct horse battery' }),
    });
    expect(response.statusCode).toBe(200);
  });

  it('never stores a shown-once secret for replay', async () => {
    const headers = { 'idempotency-key': 'key-with-secret' };
    const body = { name: 'Replay', mode: 'full' };
    const first = await api.call({
      method: 'POST',
      url: '/v1/api_keys',
      as: owner,
      org: orgId,
      body,
      headers,
    });
    const replay = await api.call({
      method: 'POST',
      url: '/v1/api_keys',
      as: owner,
      org: orgId,
      body,
      headers,
    });
    expect(first.json().secret).toMatch(/^bfk_/);
    expect(replay.json()).toMatchObject({ id: first.json().id, secret: null });
    const stored = await api.database.db.selectFrom('idempotency_keys').select('response_body').execute();
    expect(JSON.stringify(stored)).not.toContain(first.json().secret);
  });

  const badRequests: Array<
    [
      string,
      {
        url: string;
        method?: 'POST' | 'GET' | 'DELETE';
        payload?: string;
        body?: unknown;
        contentType?: string;
      },
      number,
      string,
    ]
  > = [
    [
      'an unknown field',
      { url: '/v1/organizations', body: { name: 'X', country: 'US', postal_code: '10001', plan: 'free' } },
      400,
      'request.invalid',
    ],
    [
      'a wrong type',
      { url: '/v1/organizations', body: { name: 42, country: 'US', postal_code: '10001' } },
      400,
      'request.invalid',
    ],
    [
      'a lowercase country',
      { url: '/v1/organizations', body: { name: 'X', country: 'us', postal_code: '10001' } },
      400,
      'request.invalid',
    ],
    ['malformed JSON', { url: '/v1/organizations', payload: '{"name": "X",' }, 400, 'request.malformed_json'],
    [
      'a body over the limit',
      { url: '/v1/organizations', payload: JSON.stringify({ name: 'x'.repeat(200_000) }) },
      413,
      'request.too_large',
    ],
    [
      'a form body',
      { url: '/v1/organizations', payload: 'name=X', contentType: 'application/x-www-form-urlencoded' },
      415,
      'request.unsupported_media_type',
    ],
    [
      'an invalid id in the path',
      { url: '/v1/members/not-an-id', body: { role: 'admin' } },
      400,
      'request.invalid',
    ],
    [
      'an id of the wrong kind',
      { url: '/v1/members/org_abcdefghijklmnop', method: 'DELETE' },
      400,
      'request.invalid',
    ],
    [
      'an unknown member',
      { url: '/v1/members/usr_abcdefghijklmnopqrst', body: { role: 'admin' } },
      404,
      'member.not_found',
    ],
    ['a limit out of range', { url: '/v1/audit_events?limit=1000', method: 'GET' }, 400, 'request.invalid'],
    [
      'an unknown query parameter',
      { url: '/v1/audit_events?colour=red', method: 'GET' },
      400,
      'request.invalid',
    ],
    ['an unknown route', { url: '/v1/nothing-here', method: 'GET' }, 404, 'route.not_found'],
  ];

  it.each(badRequests)(
    'answers %s with a 4xx envelope and writes nothing',
    async (_name, request, status, code) => {
      const before = await snapshot();
      const headers: Record<string, string> = {
        cookie: owner.cookie,
        'x-csrf-token': owner.csrf,
        'billfold-organization': orgId,
      };
      if (request.payload !== undefined || request.body !== undefined)
        headers['content-type'] = request.contentType ?? 'application/json';
      const response = await api.app.inject({
        method: request.method ?? 'POST',
        url: request.url,
        headers,
        ...(request.payload !== undefined ? { payload: request.payload } : {}),
        ...(request.body !== undefined ? { payload: JSON.stringify(request.body) } : {}),
      });
      expect(response.statusCode).toBe(status);
      const { error } = response.json();
      expect(error).toMatchObject({ code, request_id: response.headers['request-id'] });
      expect(typeof error.message).toBe('string');
      expect(await snapshot()).toEqual(before);
    },
  );

  it('names the offending field', async () => {
    const response = await api.call({
      method: 'POST',
      url: '/v1/organizations',
      as: owner,
      body: { name: 'X', country: 'US', postal_code: '10001', plan: 'free' },
    });
    expect(response.json().error.param).toBe('plan');
  });

  it('answers /health and serves the OpenAPI 3.1 document the SDK was generated from', async () => {
    expect((await api.call({ method: 'GET', url: '/health' })).json()).toEqual({ status: 'ok' });
    const live = (await api.call({ method: 'GET', url: '/v1/openapi.json' })).json();
    expect(live.openapi).toBe('3.1.0');
    const committed = JSON.parse(
      readFileSync(resolve(import.meta.dirname, '../../../sdk/openapi.json'), 'utf8'),
    );
    // The typed client is generated from the committed copy: `npm run sdk:generate` after an API change.
    expect(live.paths).toEqual(committed.paths);
    expect(live.components).toEqual(committed.components);
  });
});
