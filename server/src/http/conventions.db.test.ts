import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type Ctx, withTransaction } from '../context.js';
import { type Person, type TestApi, testApi } from '../testing/api.js';
import { checkoutWithCard, customerOnTestClock } from '../testing/billing.js';
import { countRows, engines } from '../testing/databases.js';
import { TestClock } from '../time/index.js';
import { buildApp } from './app.js';
import { defineRoute } from './route.js';

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
    ['a wrong method on a known path', { url: '/v1/invoices', method: 'DELETE' }, 405, 'method.not_allowed'],
    [
      'a wrong method on a path with a parameter',
      { url: '/v1/members/usr_abcdefghijklmnopqrst', method: 'GET' },
      405,
      'method.not_allowed',
    ],
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

  it('answers a wrong method on a known path with 405 and the methods it takes, an unknown path with 404', async () => {
    const allowOf = async (method: 'GET' | 'POST' | 'DELETE' | 'PUT' | 'OPTIONS', url: string) => {
      const response = await api.app.inject({ method, url, headers: { cookie: owner.cookie } });
      return { status: response.statusCode, allow: response.headers.allow, error: response.json().error };
    };
    expect(await allowOf('DELETE', '/v1/invoices')).toMatchObject({
      status: 405,
      allow: 'GET, HEAD',
      error: {
        type: 'method_not_allowed',
        code: 'method.not_allowed',
        message: expect.stringContaining('GET'),
      },
    });
    // A path with parameters, a query string, and a method no route has.
    expect(await allowOf('PUT', '/v1/members/usr_abcdefghijklmnopqrst?x=1')).toMatchObject({
      status: 405,
      allow: 'DELETE, POST',
    });
    expect(await allowOf('GET', '/v1/invoices/in_abc/pay')).toMatchObject({ status: 405, allow: 'POST' });
    expect(await allowOf('OPTIONS', '/v1/session')).toMatchObject({
      status: 405,
      allow: 'DELETE, GET, HEAD, POST',
    });
    // Routes outside the table too: inbound webhooks, the health check.
    expect(await allowOf('GET', '/v1/webhooks/stripe')).toMatchObject({ status: 405, allow: 'POST' });
    expect(await allowOf('POST', '/health')).toMatchObject({ status: 405, allow: 'GET, HEAD' });
    // Unknown paths stay 404, whatever the method.
    expect(await allowOf('DELETE', '/v1/nothing-here')).toMatchObject({ status: 404, allow: undefined });
    expect(await allowOf('GET', '/v1/invoices/in_abc/nothing')).toMatchObject({
      status: 404,
      error: { code: 'route.not_found' },
    });
  });

  it('answers a body over the limit on a real socket with 413 and the envelope, not a reset', async () => {
    const address = await api.app.listen({ port: 0, host: '127.0.0.1' });
    const signedIn = { cookie: owner.cookie, 'x-csrf-token': owner.csrf, 'billfold-organization': orgId };
    // Over the limit by a little and by a lot (the server answers before the upload ends).
    for (const size of [200_000, 20_000_000]) {
      for (const [url, headers, status] of [
        ['/v1/api_keys', signedIn, 413],
        ['/v1/users', {}, 413],
        // Without a session the request is refused before its body is read.
        ['/v1/api_keys', {}, 401],
      ] as const) {
        const response = await fetch(`${address}${url}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body: JSON.stringify({ name: 'x'.repeat(size) }),
        });
        expect(response.status).toBe(status);
        const { error } = (await response.json()) as { error: { code: string; request_id: string } };
        expect(error.request_id).toBe(response.headers.get('request-id'));
        if (status === 413) expect(error.code).toBe('request.too_large');
      }
    }
  });

  it('requires an audit entry for a write that changed rows, and none for one that changed nothing', async () => {
    // Routes of this test's own: each touches the organization's name, or only reads it.
    const touchName = async (db: typeof api.database.db, change: boolean) => {
      const query = db.updateTable('organizations').set({ name: 'Renamed' }).where('id', '=', orgId);
      if (change) await query.execute();
      return { ok: true };
    };
    const route = (path: string, handler: (input: { ctx: Ctx }) => Promise<{ ok: boolean }>, own = false) =>
      defineRoute({
        method: 'POST',
        path,
        operationId: path.replaceAll('/', '_'),
        summary: path,
        tag: 'Test',
        permission: 'signed_in',
        response: z.object({ ok: z.boolean() }),
        ...(own ? { transaction: 'own' as const } : {}),
        handler,
      });
    const app = await buildApp({
      db: api.database.db,
      clock: new TestClock('2027-01-15T10:00:00Z'),
      log: { info() {}, warn() {}, error() {} },
      config: { publicUrl: 'http://billfold.test' },
      routes: [
        route('/v1/unaudited_change', ({ ctx }) => touchName(ctx.db as never, true)),
        route('/v1/no_change', ({ ctx }) => touchName(ctx.db as never, false)),
        route(
          '/v1/own/unaudited_change',
          ({ ctx }) => withTransaction(ctx, (tx) => touchName(tx.db as never, true)),
          true,
        ),
        route(
          '/v1/own/no_change',
          ({ ctx }) => withTransaction(ctx, (tx) => touchName(tx.db as never, false)),
          true,
        ),
      ],
    });
    try {
      const post = (url: string) =>
        app.inject({ method: 'POST', url, headers: { cookie: owner.cookie, 'x-csrf-token': owner.csrf } });
      expect((await post('/v1/unaudited_change')).statusCode).toBe(500);
      expect((await post('/v1/no_change')).statusCode).toBe(200);
      expect((await post('/v1/own/unaudited_change')).statusCode).toBe(500);
      expect((await post('/v1/own/no_change')).statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });

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

describe.each(engines())('odd input and repeated writes on %s', (engine) => {
  let api: TestApi;
  let operator: Person;
  let planId: string;
  let customer: Awaited<ReturnType<typeof customerOnTestClock>>;

  beforeAll(async () => {
    api = await testApi(engine);
    operator = await api.signUpOperator();
    planId = (
      await api.call({
        method: 'POST',
        url: '/v1/operator/plans',
        as: operator,
        body: { code: 'pro', name: 'Pro', currency: 'USD', interval: 'month', base_price: 2000 },
      })
    ).json().id;
    customer = await customerOnTestClock(
      api,
      {
        name: 'Acme Inc.',
        email: 'billing@acme.example',
        address_line1: '1 Market St',
        city: 'San Francisco',
        state: 'CA',
        postal_code: '94105',
        country: 'US',
        time_zone: 'America/Los_Angeles',
      },
      '2027-03-10T21:00:00Z',
    );
    await checkoutWithCard(api, customer, { plan_id: planId });
  });
  afterAll(() => api.close());

  const audits = () => countRows(api.database, 'audit_events');
  const paidSubscription = async () =>
    (await customer.call('GET', '/v1/subscriptions'))
      .json()
      .data.find((s: { plan_name: string }) => s.plan_name === 'Pro') as { id: string };

  it('answers a write that changes nothing with the unchanged object, and audits only the change', async () => {
    const sub = await paidSubscription();
    const paused = await customer.call('POST', `/v1/subscriptions/${sub.id}/pause`);
    expect(paused.statusCode, paused.body).toBe(200);
    const afterPause = await audits();
    const again = await customer.call('POST', `/v1/subscriptions/${sub.id}/pause`);
    expect(again.statusCode, again.body).toBe(200);
    expect(again.json()).toEqual(paused.json());
    expect(await audits()).toBe(afterPause);

    // Where the state forbids the action, a conflict with a code, not a 500.
    const keep = await customer.call('POST', `/v1/subscriptions/${sub.id}/keep`);
    expect(keep.statusCode).toBe(409);
    expect(keep.json().error.code).toBe('subscription.not_cancelling');
    expect((await customer.call('POST', `/v1/subscriptions/${sub.id}/resume`)).statusCode).toBe(200);

    const [card] = (await customer.call('GET', '/v1/payment_methods')).json().data as Array<{ id: string }>;
    const before = await audits();
    const defaultAgain = await customer.call('POST', `/v1/payment_methods/${card?.id}/default`);
    expect(defaultAgain.statusCode, defaultAgain.body).toBe(200);
    expect(await audits()).toBe(before);

    const enabled = await api.call({
      method: 'POST',
      url: `/v1/operator/plans/${planId}/enable`,
      as: operator,
    });
    expect(enabled.statusCode, enabled.body).toBe(200);
    expect(enabled.json()).toMatchObject({ id: planId, disabled: false });
    expect(await audits()).toBe(before);
  });

  it.each([
    [
      'a NUL in a body field',
      'POST',
      '/v1/organizations',
      { name: 'a\u0000b', country: 'US', postal_code: '1' },
      'name',
    ],
    ['a lone surrogate in a body field', 'PATCH', '/v1/billing_customer', { city: 'a\ud800' }, 'city'],
    [
      'a NUL in a nested field',
      'POST',
      '/v1/webhook_endpoints',
      { url: 'https://a.example', events: ['\u0000'] },
      'events.0',
    ],
    ['a NUL in the query', 'GET', '/v1/operator/customers?q=%00', undefined, 'q'],
    ['a NUL in the path', 'GET', '/v1/invoices/in_%00', undefined, 'invoice_id'],
  ] as const)('refuses %s with a 400 naming the field', async (_name, method, url, body, param) => {
    const before = await audits();
    const as = url.includes('/operator/') ? operator : customer.owner;
    const response = await api.call({ method, url, as, org: customer.orgId, ...(body ? { body } : {}) });
    expect(response.statusCode, response.body).toBe(400);
    expect(response.json().error).toMatchObject({ code: 'request.invalid_text', param });
    expect(await audits()).toBe(before);
  });

  it('bounds amounts at 10^12 minor units', async () => {
    const over = await customer.call('POST', '/v1/payment_links', {
      amount: 1e12 + 1,
      description: 'Too much',
    });
    expect(over.statusCode).toBe(400);
    expect(over.json().error).toMatchObject({ code: 'request.invalid', param: 'amount' });
    const plan = await api.call({
      method: 'POST',
      url: '/v1/operator/plans',
      as: operator,
      body: { code: 'huge', name: 'Huge', currency: 'JPY', interval: 'month', base_price: 1e12 + 1 },
    });
    expect(plan.json().error).toMatchObject({ code: 'request.invalid', param: 'base_price' });
    const atBound = await customer.call('POST', '/v1/payment_links', { amount: 1e12, description: 'A lot' });
    expect(atBound.statusCode, atBound.body).toBe(201);
  });

  /** The policy allows exactly the page's own inline elements, by hash, and nothing inline else. */
  const expectStrictPolicy = (response: { headers: Record<string, unknown>; body: string }) => {
    const policy = String(response.headers['content-security-policy']);
    expect(policy).toContain("default-src 'none'");
    expect(policy).toContain("frame-ancestors 'none'");
    expect(policy).not.toContain('unsafe-inline');
    const inline = [...response.body.matchAll(/<(style|script)>([\s\S]*?)<\/\1>/g)];
    for (const [, , text = ''] of inline) {
      expect(policy).toContain(`'sha256-${createHash('sha256').update(text).digest('base64')}'`);
    }
    expect(response.body).not.toMatch(/\sstyle=|\son[a-z]+=/);
    return policy;
  };

  it('serves invoices and pay pages under a strict Content-Security-Policy', async () => {
    const [invoice] = (await customer.call('GET', '/v1/invoices')).json().data as Array<{ id: string }>;
    const html = await customer.call('GET', `/v1/invoices/${invoice?.id}/html`);
    expect(html.statusCode).toBe(200);
    expect(expectStrictPolicy(html)).toContain("script-src 'none'");

    const link = (
      await customer.call('POST', '/v1/payment_links', { amount: 700, description: 'Setup' })
    ).json();
    const payPage = await api.app.inject({ method: 'GET', url: new URL(link.url).pathname });
    expect(payPage.statusCode).toBe(200);
    expect(expectStrictPolicy(payPage)).toContain("form-action 'self'");
    const missing = await api.app.inject({ method: 'GET', url: '/pay/test/tcs_nothing' });
    expect(missing.statusCode).toBe(404);
    expectStrictPolicy(missing);

    const cashfree = await testApi(engine, {
      gateways: ['cashfree'],
      cashfree: {
        clientId: 'cf_test_client',
        clientSecret: 'cf_test_secret_0123456789',
        environment: 'sandbox',
      },
    });
    try {
      const handOver = await cashfree.app.inject({ method: 'GET', url: '/pay/cashfree/session_abc123XYZ' });
      expect(handOver.statusCode).toBe(200);
      const policy = expectStrictPolicy(handOver);
      expect(policy).toMatch(/script-src 'sha256-[^']+' https:\/\/sdk\.cashfree\.com;/);
    } finally {
      await cashfree.close();
    }
  });

  it('answers a malformed or overlong URL with the error envelope', async () => {
    for (const url of ['/v1/invoices/in_%ED%A0%80', `/v1/invoices/in_${'A'.repeat(500)}`]) {
      const response = await customer.call('GET', url);
      expect(response.statusCode).toBe(400);
      expect(response.json().error).toMatchObject({
        type: 'invalid_request',
        request_id: response.headers['request-id'],
      });
    }
  });

  it('refuses a body on a write that takes none, and a query on a route that takes none', async () => {
    const sub = await paidSubscription();
    const body = await customer.call('POST', `/v1/subscriptions/${sub.id}/pause`, { at: 'now' });
    expect(body.statusCode).toBe(400);
    expect(body.json().error).toMatchObject({ code: 'request.invalid', param: 'at' });
    const query = await customer.call('GET', `/v1/subscriptions/${sub.id}?limit=5`);
    expect(query.statusCode).toBe(400);
    expect(query.json().error).toMatchObject({ code: 'request.invalid', param: 'limit' });
    expect((await customer.call('GET', `/v1/subscriptions/${sub.id}`)).json().status).toBe('active');
  });

  it('refuses a malformed Idempotency-Key on a write that opens its own transactions', async () => {
    const sub = await paidSubscription();
    const response = await api.call({
      method: 'POST',
      url: `/v1/subscriptions/${sub.id}/pause`,
      as: customer.owner,
      org: customer.orgId,
      headers: { 'idempotency-key': 'two words' },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.code).toBe('idempotency.invalid_key');
  });
});
