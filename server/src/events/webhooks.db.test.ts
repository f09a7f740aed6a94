import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Ctx, silentLogger, withTransaction } from '../context.js';
import { tenantContext } from '../tenant.js';
import { type Person, type TestApi, testApi } from '../testing/api.js';
import { engines } from '../testing/databases.js';
import { deliverWebhook, emit, SIGNATURE_HEADER } from './index.js';

/**
 * Outbound webhooks (C36): events written with the change that causes them, one delivery per
 * endpoint queued in the same transaction, sent signed, and a refused delivery recorded and retried.
 */

interface Received {
  body: string;
  signature: string;
}

describe.each(engines())('outbound webhooks on %s', (engine) => {
  let api: TestApi;
  let server: Server;
  let url: string;
  const received: Received[] = [];
  let answer = 200;

  beforeAll(async () => {
    api = await testApi(engine);
    server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => {
        body += chunk;
      });
      request.on('end', () => {
        received.push({ body, signature: String(request.headers[SIGNATURE_HEADER]) });
        response.writeHead(answer).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
  });
  afterAll(async () => {
    server.close();
    await api.close();
  });

  const ctx = (): Ctx => ({
    db: api.database.db,
    clock: api.clock,
    log: silentLogger,
    actor: { type: 'system', id: 'test' },
    requestId: 'req_test',
  });

  async function organizationWithEndpoint(events: string[] = ['*']) {
    const owner: Person = await api.signUp();
    const orgId = (
      await api.call({
        method: 'POST',
        url: '/v1/organizations',
        as: owner,
        body: { name: 'Hooks', country: 'US', postal_code: '94105' },
      })
    ).json().id as string;
    const endpoint = await api.call({
      method: 'POST',
      url: '/v1/webhook_endpoints',
      as: owner,
      org: orgId,
      body: { url, events, description: 'Our billing listener' },
    });
    expect(endpoint.statusCode, endpoint.body).toBe(201);
    return { owner, orgId, endpoint: endpoint.json() };
  }

  const deliveries = (orgId: string) =>
    api.database.db
      .selectFrom('webhook_deliveries')
      .selectAll()
      .where('org_id', '=', orgId)
      .orderBy('created_at')
      .execute();

  it('writes an event with each change, queues its delivery in the same transaction, and sends it signed', async () => {
    const { owner, orgId, endpoint } = await organizationWithEndpoint(['subscription.*']);
    // A billing customer starts on Free: subscription.created.
    await api.call({
      method: 'POST',
      url: '/v1/billing_customer',
      as: owner,
      org: orgId,
      body: {
        name: 'Hooks Inc.',
        email: 'billing@hooks.example',
        address_line1: '1 Market St',
        city: 'San Francisco',
        state: 'CA',
        postal_code: '94105',
        country: 'US',
        time_zone: 'America/Los_Angeles',
      },
    });
    const pending = await deliveries(orgId);
    expect(pending).toHaveLength(1);
    const queued = await sql<{ n: bigint }>`
      select count(*) as n from pgboss.job where name = 'webhooks.deliver' and data->>'delivery_id' = ${pending[0]?.id}`.execute(
      api.database.db,
    );
    expect(queued.rows[0]?.n).toBe(1n);

    received.length = 0;
    await deliverWebhook(tenantContext(ctx(), orgId), pending[0]?.id ?? '');
    const [message] = received;
    if (!message) throw new Error('nothing was delivered');
    const event = JSON.parse(message.body);
    expect(event).toMatchObject({
      object: 'event',
      type: 'subscription.created',
      data: { object: { object: 'subscription', status: 'active' } },
    });
    // The receiver checks the signature as the README says: HMAC-SHA256 of "t.body" with the secret.
    const [, t, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(message.signature) ?? [];
    const expected = createHmac('sha256', endpoint.secret).update(`${t}.${message.body}`).digest('hex');
    expect(timingSafeEqual(Buffer.from(v1 ?? ''), Buffer.from(expected))).toBe(true);
    expect(Number(t)).toBe(Math.floor(api.clock.now().epochMilliseconds / 1000));

    const log = await api.call({
      method: 'GET',
      url: `/v1/webhook_endpoints/${endpoint.id}/deliveries`,
      as: owner,
      org: orgId,
    });
    expect(log.json().data).toMatchObject([
      { event_type: 'subscription.created', status: 'succeeded', attempts: 1, response_status: 200 },
    ]);
  });

  it('records a refused delivery and throws, so the job retries it; a later attempt succeeds once', async () => {
    const { orgId } = await organizationWithEndpoint();
    await emit(tenantContext(ctx(), orgId), 'invoice.paid', { id: 'in_example' });
    const [delivery] = await deliveries(orgId);
    if (!delivery) throw new Error('no delivery');
    answer = 500;
    await expect(deliverWebhook(tenantContext(ctx(), orgId), delivery.id)).rejects.toThrow(/HTTP 500/);
    expect((await deliveries(orgId))[0]).toMatchObject({
      status: 'failed',
      attempts: 1,
      response_status: 500,
    });
    answer = 200;
    received.length = 0;
    await deliverWebhook(tenantContext(ctx(), orgId), delivery.id);
    await deliverWebhook(tenantContext(ctx(), orgId), delivery.id);
    expect(received).toHaveLength(1);
    expect((await deliveries(orgId))[0]).toMatchObject({ status: 'succeeded', attempts: 2 });
  });

  it('writes no event when the change it belongs to rolls back', async () => {
    const { orgId } = await organizationWithEndpoint();
    await expect(
      withTransaction(ctx(), async (tx) => {
        await emit(tenantContext(tx, orgId), 'invoice.voided', { id: 'in_example' });
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    expect(await deliveries(orgId)).toEqual([]);
    const stored = await api.database.db
      .selectFrom('events')
      .select('id')
      .where('org_id', '=', orgId)
      .execute();
    expect(stored).toEqual([]);
  });

  it('sends only the events an endpoint asked for, and nothing to a disabled one', async () => {
    const { owner, orgId, endpoint } = await organizationWithEndpoint(['invoice.paid']);
    await emit(tenantContext(ctx(), orgId), 'invoice.finalized', { id: 'in_a' });
    await emit(tenantContext(ctx(), orgId), 'invoice.paid', { id: 'in_a' });
    expect(await deliveries(orgId)).toHaveLength(1);
    await api.call({ method: 'DELETE', url: `/v1/webhook_endpoints/${endpoint.id}`, as: owner, org: orgId });
    await emit(tenantContext(ctx(), orgId), 'invoice.paid', { id: 'in_b' });
    expect(await deliveries(orgId)).toHaveLength(1);
  });
});
