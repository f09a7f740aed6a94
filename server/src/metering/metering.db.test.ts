import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../context.js';
import { openDatabase } from '../db/database.js';
import { type Person, type TestApi, testApi } from '../testing/api.js';
import { publishPlans } from '../testing/billing.js';
import { engines } from '../testing/databases.js';
import { createFeatures, createMetrics, ingestKeyOf, meteredCustomer } from '../testing/metering.js';
import { actOnEntitlement } from './entitlements.js';

/**
 * Metering through the API: events in (one and by the batch, deduplicated, each refused on its own),
 * usage read back per period, hour and group, and limits checked and consumed at the moment of
 * action, with 100 concurrent consumes against a limit of 50.
 */

describe.each(engines())('metering on %s', (engine) => {
  let api: TestApi;
  let operator: Person;
  let ingestKey: { apiKey: string };
  let owner: Person;
  let orgId: string;

  const send = (body: object) => api.call({ method: 'POST', url: '/v1/events/batch', as: ingestKey, body });

  beforeAll(async () => {
    api = await testApi(engine);
    operator = await api.signUpOperator();
    await createMetrics(api, operator, [
      { code: 'computations', name: 'Computations', unit: 'computation', aggregation: 'count' },
      {
        code: 'machine_hours',
        name: 'Machine hours',
        unit: 'hour',
        aggregation: 'sum',
        property: 'hours',
        dimensions: ['region', 'pool'],
      },
      { code: 'storage_peak', name: 'Storage peak', unit: 'GB', aggregation: 'max', property: 'gb' },
      {
        code: 'active_users',
        name: 'Active users',
        unit: 'user',
        aggregation: 'unique_count',
        property: 'user',
      },
    ]);
    await createFeatures(api, operator, [['projects', 'Projects', 'project']]);
    // The default (Free) plan: 50 projects at most, 100 computations a period (soft).
    await publishPlans(api, operator, [
      [
        'metered_free',
        {
          name: 'Free',
          base_price: 0,
          is_default: true,
          limits: [
            { feature: 'projects', mode: 'hard', limit: 50 },
            { feature: 'computations', mode: 'soft', limit: 100 },
          ],
        },
      ],
    ]);
    ingestKey = await ingestKeyOf(api, operator);
    ({ owner, orgId } = await meteredCustomer(api, 'Metered'));
  });
  afterAll(() => api.close());

  it('takes a batch: each event accepted once, duplicates and bad events reported by index', async () => {
    // After the customer's Free subscription began (at sign-up, 10:00): in its current period.
    const at = '2027-01-15T10:30:00Z';
    const events = [
      { event_id: 'e1', customer: orgId, code: 'computations', timestamp: at },
      {
        event_id: 'e2',
        customer: orgId,
        code: 'machine_hours',
        timestamp: at,
        properties: { hours: 1.5, region: 'us', pool: 'a' },
      },
      {
        event_id: 'e3',
        customer: orgId,
        code: 'machine_hours',
        timestamp: at,
        properties: { hours: '2.25', region: 'eu', pool: 'a' },
      },
      { event_id: 'e1', customer: orgId, code: 'computations', timestamp: at },
      { event_id: 'e4', customer: orgId, code: 'nope', timestamp: at },
      { event_id: 'e5', customer: 'org_nobody', code: 'computations', timestamp: at },
      { event_id: 'e6', customer: orgId, code: 'machine_hours', properties: { hours: 'lots' } },
      { customer: orgId, code: 'computations' },
      { event_id: 'e7', customer: orgId, code: 'storage_peak', timestamp: at, properties: { gb: 10 } },
      {
        event_id: 'e8',
        customer: orgId,
        code: 'storage_peak',
        timestamp: '2027-01-15T10:45:00Z',
        properties: { gb: 7 },
      },
      { event_id: 'e9', customer: orgId, code: 'active_users', timestamp: at, properties: { user: 'ann' } },
      { event_id: 'e10', customer: orgId, code: 'active_users', timestamp: at, properties: { user: 'ann' } },
      { event_id: 'e11', customer: orgId, code: 'active_users', timestamp: at, properties: { user: 'bob' } },
    ];
    const first = await send({ events });
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json()).toEqual({
      object: 'event_batch',
      accepted: 8,
      duplicates: [{ index: 3, event_id: 'e1' }],
      errors: [
        { index: 4, event_id: 'e4', code: 'metric.not_found', message: expect.any(String) },
        { index: 5, event_id: 'e5', code: 'customer.not_found', message: expect.any(String) },
        { index: 6, event_id: 'e6', code: 'event.property_not_number', message: expect.any(String) },
        { index: 7, event_id: null, code: 'event.invalid', message: expect.stringMatching(/event_id/) },
      ],
    });
    // Resent: every valid event a duplicate, nothing counted twice.
    const again = await send({ events: events.slice(0, 3) });
    expect(again.json()).toMatchObject({ accepted: 0, duplicates: [0, 1, 2].map((index) => ({ index })) });
    const one = await api.call({
      method: 'POST',
      url: '/v1/events',
      as: ingestKey,
      body: { event_id: 'e2', customer: orgId, code: 'machine_hours', properties: { hours: 1 } },
    });
    expect(one.json()).toEqual({ object: 'event', event_id: 'e2', status: 'duplicate' });
    const counts = await sql<{ events: bigint; rollup_events: bigint }>`
      select (select count(*) from usage_events) as events,
        (select sum(events) from usage_rollups)::int8 as rollup_events`.execute(api.database.db);
    expect(counts.rows[0]).toEqual({ events: 8n, rollup_events: 8n });
  });

  it('reads usage back: totals per aggregation, by group and by hour', async () => {
    const read = (query: string) =>
      api.call({
        method: 'GET',
        url: `/v1/usage?${query}&from=2027-01-01T00:00:00Z&to=2027-02-01T00:00:00Z`,
        as: owner,
        org: orgId,
      });
    const hours = (await read('metric=machine_hours&group_by=region&granularity=hour')).json();
    expect(hours.total).toBe('3.75');
    expect(hours.series).toEqual([{ start: '2027-01-15T10:00:00.000Z', value: '3.75' }]);
    expect(hours.groups.map((g: { values: object; total: string }) => [g.values, g.total])).toEqual(
      expect.arrayContaining([
        [{ region: 'us' }, '1.5'],
        [{ region: 'eu' }, '2.25'],
      ]),
    );
    expect((await read('metric=storage_peak')).json().total).toBe('10');
    expect((await read('metric=active_users')).json().total).toBe('2');
    expect((await read('metric=computations')).json().total).toBe('1');
    const unknownGroup = await read('metric=machine_hours&group_by=colour');
    expect(unknownGroup.statusCode).toBe(400);
    expect(unknownGroup.json().error.code).toBe('usage.group_unknown');
    // Another organization's owner cannot read this one's usage.
    const stranger = await api.signUp();
    const denied = await api.call({
      method: 'GET',
      url: `/v1/usage/summary?customer=${orgId}`,
      as: stranger,
      org: stranger.personalOrgId,
    });
    expect(denied.statusCode).toBe(403);
    const summary = await api.call({
      method: 'GET',
      url: `/v1/usage/summary?customer=${orgId}`,
      as: ingestKey,
    });
    expect(summary.statusCode, summary.body).toBe(200);
    // The plan limits computations (a metric too) and projects (consumed, no metric).
    expect(summary.json().metrics).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ code: 'computations', total: '1', limit: 100, mode: 'soft' }),
      ]),
    );
  });

  it('admits exactly 50 of 100 concurrent consumes against a hard limit of 50, and gives units back', async () => {
    const consume = () =>
      api.call({
        method: 'POST',
        url: '/v1/entitlements/consume',
        as: ingestKey,
        body: { customer: orgId, feature: 'projects', quantity: 1 },
      });
    const answers = await Promise.all(Array.from({ length: 100 }, consume));
    for (const answer of answers) expect(answer.statusCode, answer.body).toBe(200);
    const allowed = answers.filter((a) => a.json().allowed).length;
    expect(allowed).toBe(50);
    const counter = await sql<{ used: bigint }>`select used from entitlement_counters where org_id = ${orgId}
      and feature = 'projects'`.execute(api.database.db);
    expect(counter.rows[0]?.used).toBe(50n);
    const check = await api.call({
      method: 'POST',
      url: '/v1/entitlements/check',
      as: ingestKey,
      body: { customer: orgId, feature: 'projects' },
    });
    expect(check.json()).toEqual({
      object: 'entitlement',
      feature: 'projects',
      allowed: false,
      mode: 'hard',
      limit: 50,
      used: 50,
      remaining: 0,
      over_limit: false,
      reason: 'limit_reached',
    });
    const released = await api.call({
      method: 'POST',
      url: '/v1/entitlements/release',
      as: ingestKey,
      body: { customer: orgId, feature: 'projects', quantity: 3 },
    });
    expect(released.json()).toMatchObject({ used: 47, remaining: 3, allowed: true });
    // A soft limit allows and flags; usage sent as events counts towards it.
    const soft = await api.call({
      method: 'POST',
      url: '/v1/entitlements/check',
      as: ingestKey,
      body: { customer: orgId, feature: 'computations', quantity: 100 },
    });
    expect(soft.json()).toMatchObject({ allowed: true, used: 1, limit: 100, mode: 'soft', remaining: 99 });
  });

  it('admits exactly 50 of 100 concurrent consumes sent through two database handles, as two processes', async () => {
    const { orgId: customer } = await meteredCustomer(api, 'Two handles');
    // On PostgreSQL a pool of its own, as another process has; PGlite has one connection, shared by
    // a second handle with calls grouped apart from the first's.
    const other =
      engine === 'postgres'
        ? await openDatabase({ kind: 'postgres', url: api.database.url as string })
        : { db: api.database.db.withoutPlugins(), close: async () => {} };
    try {
      const ctx = {
        db: other.db,
        clock: api.clock,
        log: silentLogger,
        actor: { type: 'system' as const, id: 'metering-test' },
        requestId: 'test',
      };
      const viaApi = () =>
        api
          .call({
            method: 'POST',
            url: '/v1/entitlements/consume',
            as: ingestKey,
            body: { customer, feature: 'projects', quantity: 1 },
          })
          .then((answer) => {
            expect(answer.statusCode, answer.body).toBe(200);
            return answer.json().allowed as boolean;
          });
      const viaOther = () =>
        actOnEntitlement(ctx, { name: customer }, 'consume', 'projects', 1).then((answer) => answer.allowed);
      const answers = await Promise.all(
        Array.from({ length: 100 }, (_, n) => (n % 2 ? viaApi() : viaOther())),
      );
      expect(answers.filter(Boolean)).toHaveLength(50);
      const counter = await sql<{ used: bigint }>`select used from entitlement_counters
        where org_id = ${customer} and feature = 'projects'`.execute(api.database.db);
      expect(counter.rows[0]?.used).toBe(50n);
    } finally {
      await other.close();
    }
  });

  it('takes events for a customer by the external id the operator gave it, unique among customers', async () => {
    const named = await api.call({
      method: 'POST',
      url: `/v1/operator/organizations/${orgId}/external_id`,
      as: operator,
      body: { external_id: 'acct-42' },
    });
    expect(named.statusCode, named.body).toBe(200);
    expect(named.json().external_id).toBe('acct-42');
    const sent = await send({
      events: [
        {
          event_id: 'by-name-1',
          customer: 'acct-42',
          code: 'computations',
          timestamp: '2027-01-15T10:40:00Z',
        },
      ],
    });
    expect(sent.json()).toMatchObject({ accepted: 1, errors: [] });
    const other = await api.signUp();
    const otherOrg = (
      await api.call({
        method: 'POST',
        url: '/v1/organizations',
        as: other,
        body: { name: 'Other', country: 'US', postal_code: '94105' },
      })
    ).json().id;
    await api.call({
      method: 'POST',
      url: '/v1/billing_customer',
      as: other,
      org: otherOrg,
      body: {
        name: 'Other Inc.',
        email: 'billing@other.example',
        address_line1: '1 Main St',
        city: 'Austin',
        state: 'TX',
        postal_code: '73301',
        country: 'US',
      },
    });
    const taken = await api.call({
      method: 'POST',
      url: `/v1/operator/organizations/${otherOrg}/external_id`,
      as: operator,
      body: { external_id: 'acct-42' },
    });
    expect(taken.statusCode).toBe(409);
    expect(taken.json().error.code).toBe('billing_customer.external_id_taken');
  });

  it('refuses usage from an organization that issues nothing, and keys that are not for usage', async () => {
    const key = await api.call({
      method: 'POST',
      url: '/v1/api_keys',
      as: owner,
      org: orgId,
      body: { name: 'Own', mode: 'full' },
    });
    const own = { apiKey: key.json().secret as string };
    const refused = await api.call({
      method: 'POST',
      url: '/v1/events',
      as: own,
      body: { event_id: 'x1', customer: orgId, code: 'computations' },
    });
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error.code).toBe('usage.not_issuer');
    const ingestElsewhere = await api.call({
      method: 'GET',
      url: '/v1/invoices',
      as: ingestKey,
    });
    expect(ingestElsewhere.statusCode).toBe(403);
    const noIngestForCustomers = await api.call({
      method: 'POST',
      url: '/v1/api_keys',
      as: owner,
      org: orgId,
      body: { name: 'Ingest', mode: 'ingest' },
    });
    expect(noIngestForCustomers.statusCode).toBe(400);
  });
  it('takes a full batch of 1,000 ordinary events, twice the default body limit', async () => {
    const events = Array.from({ length: 1000 }, (_, n) => ({
      event_id: `batch-${String(n).padStart(20, '0')}`,
      customer: orgId,
      code: 'machine_hours',
      timestamp: '2027-03-15T10:30:00Z',
      properties: { hours: 1, region: 'ap-south-1', pool: 'general-purpose' },
    }));
    const body = { events };
    expect(JSON.stringify(body).length).toBeGreaterThan(150 * 1024);
    const sent = await send(body);
    expect(sent.statusCode, sent.body).toBe(200);
    expect(sent.json()).toMatchObject({ accepted: 1000, duplicates: [], errors: [] });
  });
});
