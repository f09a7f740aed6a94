import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../server/src/http/app.js';
import { engines, freshDatabase, type TestDatabase } from '../../server/src/testing/databases.js';
import { systemClock } from '../../server/src/time/index.js';
import { type BillfoldClient, createBillfoldClient, isApiError } from './index.js';

/** The typed client against a real Billfold over HTTP, as an integrator uses it. */
describe.each(engines())('the SDK on %s', (engine) => {
  let database: TestDatabase;
  let close: () => Promise<void>;
  let baseUrl: string;

  beforeAll(async () => {
    database = await freshDatabase(engine);
    const app = await buildApp({
      db: database.db,
      clock: systemClock,
      config: { publicUrl: 'http://127.0.0.1' },
    });
    baseUrl = await app.listen({ host: '127.0.0.1', port: 0 });
    close = async () => {
      await app.close();
      await database.close();
    };
  });
  afterAll(() => close());

  /** A browser-like session: the cookie jar is this one cookie. */
  function sessionClient(state: {
    cookie?: string;
    csrfToken?: string;
    organizationId?: string;
  }): BillfoldClient {
    return createBillfoldClient({
      baseUrl,
      session: () => state,
      fetch: async (input: Request | URL | string, init?: RequestInit) => {
        const request = new Request(input, init);
        if (state.cookie) request.headers.set('cookie', state.cookie);
        const response = await fetch(request);
        const setCookie = response.headers.get('set-cookie');
        if (setCookie) state.cookie = setCookie.split(';')[0];
        return response;
      },
    });
  }

  it('signs up, creates an organization and an API key, then works with the key alone', async () => {
    const state: { cookie?: string; csrfToken?: string; organizationId?: string } = {};
    const client = sessionClient(state);
    const signUp = await client.POST('/v1/users', {
      body: {
        email: `sdk.${Date.now()}@example.com`,
        password: 'correct horse battery',
        name: 'SDK',
        country: 'US',
        postal_code: '10001',
      },
    });
    expect(signUp.response.status).toBe(201);
    state.csrfToken = signUp.data?.csrf_token;

    const org = await client.POST('/v1/organizations', {
      body: { name: 'SDK Co', country: 'IN', postal_code: '560001' },
    });
    expect(org.data?.role).toBe('owner');
    state.organizationId = org.data?.id;

    const key = await client.POST('/v1/api_keys', { body: { name: 'integration', mode: 'full' } });
    const secret = key.data?.secret;
    expect(secret).toMatch(/^bfk_/);

    const integration = createBillfoldClient({ baseUrl, apiKey: secret ?? '' });
    const members = await integration.GET('/v1/members');
    expect(members.data?.data.map((m) => m.role)).toEqual(['owner']);
    const renamed = await integration.POST('/v1/organization', { body: { name: 'SDK Company' } });
    expect(renamed.data?.name).toBe('SDK Company');

    // Writes carry an Idempotency-Key without the caller thinking of it.
    const audit = await integration.GET('/v1/audit_events', {
      params: { query: { action: 'organization.updated' } },
    });
    expect(audit.data?.data[0]?.actor_type).toBe('api_key');

    const revoked = await client.DELETE('/v1/api_keys/{api_key_id}', {
      params: { path: { api_key_id: key.data?.id ?? '' } },
    });
    expect(revoked.data?.revoked_at).not.toBeNull();
    const refused = await integration.GET('/v1/organization');
    expect(refused.response.status).toBe(401);
    expect(isApiError(refused.error) && refused.error.error.code).toBe('api_key.invalid');
  });
});
