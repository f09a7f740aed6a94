import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Ctx } from '../context.js';
import { evaluateWaiting, thresholdStandings } from '../flows/usage-alerts.js';
import { tenantContext } from '../tenant.js';
import { type Person, type TestApi, testApi } from '../testing/api.js';
import { checkoutWithCard, customerOnTestClock, publishPlans } from '../testing/billing.js';
import { engines } from '../testing/databases.js';
import { createFeatures, createMetrics, ingestKeyOf, meteredCustomer } from '../testing/metering.js';
import * as metering from './index.js';

/**
 * Usage alerts through the API: the plan's 80% and 100% of each limit and a customer's own
 * thresholds (units of a metric, the upcoming invoice's amount), each told once per period as a
 * webhook event soon after the usage that crossed it commits, resolved once when units are given
 * back; concurrent batches, consumes and evaluations crossing one threshold tell it once; a change whose
 * evaluation never ran (a crash after the commit) is found by the minutely job.
 */

const sanFrancisco = {
  name: 'Custom Inc.',
  email: 'billing@custom.example',
  address_line1: '1 Market St',
  city: 'San Francisco',
  state: 'CA',
  postal_code: '94105',
  country: 'US',
};

interface Told {
  type: string;
  object: {
    metric: string | null;
    percent: number | null;
    alert_id: string | null;
    threshold: number;
    reached_value: number;
    resolved_value: number | null;
    currency: string | null;
  };
}

describe.each(engines())('usage alerts on %s', (engine) => {
  let api: TestApi;
  let operator: Person;
  let ingestKey: { apiKey: string };
  let counter = 0;
  let hourlyPlan: string;

  const jobCtx = (): Ctx => ({
    db: api.database.db,
    clock: api.clock,
    log: { info() {}, warn() {}, error: (obj, msg) => console.error(msg, obj) },
    actor: { type: 'system', id: 'test' },
    requestId: 'test',
  });

  /** The usage events told to `orgId`: reached before resolved, by metric and share of the limit. */
  const told = async (orgId: string): Promise<Told[]> => {
    const rows = await api.database.db
      .selectFrom('events')
      .select(['type', 'data'])
      .where('org_id', '=', orgId)
      .where('type', 'like', 'usage.%')
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    // The test clock stands still, so events of one test share their time: put in a stable order.
    const key = (e: Told) =>
      `${e.type} ${e.object.metric ?? ''} ${String(e.object.percent ?? 0).padStart(3)}`;
    return rows
      .map((row) => ({ type: row.type, object: (row.data as { object: Told['object'] }).object }))
      .sort((a, b) => key(a).localeCompare(key(b)));
  };

  const sendRuns = async (orgId: string, count: number) => {
    const events = Array.from({ length: count }, () => ({
      event_id: `run-${++counter}`,
      customer: orgId,
      code: 'computations',
      timestamp: '2027-01-15T10:30:00Z',
    }));
    const sent = await api.call({ method: 'POST', url: '/v1/events/batch', as: ingestKey, body: { events } });
    expect(sent.json().accepted, sent.body).toBe(count);
  };

  const entitlement = (action: 'consume' | 'release', orgId: string, quantity = 1) =>
    api.call({
      method: 'POST',
      url: `/v1/entitlements/${action}`,
      as: ingestKey,
      body: { customer: orgId, feature: 'projects', quantity },
    });

  beforeAll(async () => {
    api = await testApi(engine);
    operator = await api.signUpOperator();
    await createMetrics(api, operator, [
      { code: 'computations', name: 'Computations', unit: 'computation', aggregation: 'count' },
      { code: 'machine_hours', name: 'Machine hours', unit: 'hour', aggregation: 'sum', property: 'hours' },
    ]);
    await createFeatures(api, operator, [['projects', 'Projects']]);
    ({ hourly: hourlyPlan } = await publishPlans(api, operator, [
      [
        'alerted_free',
        {
          name: 'Free',
          base_price: 0,
          is_default: true,
          limits: [
            { feature: 'projects', mode: 'hard', limit: 50 },
            { feature: 'computations', mode: 'soft', limit: 100 },
            // Unlimited: no threshold.
            { feature: 'members', mode: 'hard', limit: null },
          ],
        },
      ],
      [
        'hourly',
        {
          name: 'Hourly',
          base_price: 1000,
          charges: [{ metric: 'machine_hours', price: { model: 'per_unit', unit_price: '1' } }],
        },
      ],
    ]));
    ingestKey = await ingestKeyOf(api, operator);
  });
  afterAll(() => api.close());

  it('tells 80% and then 100% of a limit once each, within 2 s of the batch that crossed it', async () => {
    const { orgId } = await meteredCustomer(api, 'Crossing');
    await sendRuns(orgId, 79);
    await api.app.usageAlerts.idle();
    expect(await told(orgId)).toEqual([]);

    const sentAt = performance.now();
    await sendRuns(orgId, 1);
    // The evaluator runs after the batch commits, in this process, without being asked.
    let events = await told(orgId);
    while (events.length === 0 && performance.now() - sentAt < 2_000) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      events = await told(orgId);
    }
    const latency = performance.now() - sentAt;
    expect(latency).toBeLessThan(2_000);
    expect(events).toMatchObject([
      {
        type: 'usage.threshold_reached',
        object: { metric: 'computations', percent: 80, threshold: 80, reached_value: 80, alert_id: null },
      },
    ]);

    // More of the same period: nothing new until 100%.
    await sendRuns(orgId, 5);
    await api.app.usageAlerts.idle();
    expect(await told(orgId)).toHaveLength(1);
    await sendRuns(orgId, 30);
    await api.app.usageAlerts.idle();
    expect((await told(orgId)).map((e) => [e.type, e.object.percent, e.object.reached_value])).toEqual([
      ['usage.threshold_reached', 80, 80],
      ['usage.threshold_reached', 100, 115],
    ]);
    // The customer reads the same from the API: this period's crossings.
    const listed = await api.call({
      method: 'GET',
      url: `/v1/usage/thresholds?customer=${orgId}`,
      as: ingestKey,
    });
    expect(
      listed
        .json()
        .data.map((t: { percent: number }) => t.percent)
        .sort(),
    ).toEqual([100, 80]);
    // Evaluating again, with or without a change, tells nothing twice.
    await metering.noteUsageChanged(tenantContext(jobCtx(), orgId));
    await evaluateWaiting(jobCtx());
    expect(await told(orgId)).toHaveLength(2);
  });

  it('tells a threshold once when 60 concurrent consumes and 10 concurrent evaluations cross it', async () => {
    const { orgId } = await meteredCustomer(api, 'Concurrent');
    const consumes = await Promise.all(Array.from({ length: 60 }, () => entitlement('consume', orgId)));
    expect(consumes.filter((r) => r.json().allowed).length).toBe(50);
    // Evaluations racing the process's own evaluator, each claiming the same crossings.
    const tenant = tenantContext(jobCtx(), orgId);
    const standings = await thresholdStandings(tenant);
    await Promise.all([
      ...Array.from({ length: 10 }, () => metering.settleThresholds(tenant, standings)),
      ...Array.from({ length: 5 }, () => evaluateWaiting(jobCtx())),
    ]);
    await api.app.usageAlerts.idle();
    const projects = (await told(orgId)).filter((e) => e.object.metric === 'projects');
    expect(projects.map((e) => [e.type, e.object.percent, e.object.threshold])).toEqual([
      ['usage.threshold_reached', 80, 40],
      ['usage.threshold_reached', 100, 50],
    ]);
    const { rows } = await sql<{ crossings: string }>`
      select count(*)::text as crossings from usage_threshold_crossings where org_id = ${orgId}`.execute(
      api.database.db,
    );
    expect(rows[0]?.crossings).toBe('2');

    // Released below 80%: both resolved, once, even when released again.
    await entitlement('release', orgId, 15);
    await api.app.usageAlerts.idle();
    await entitlement('release', orgId, 5);
    await api.app.usageAlerts.idle();
    const resolved = (await told(orgId)).filter((e) => e.type === 'usage.threshold_resolved');
    expect(resolved.map((e) => [e.object.percent, e.object.resolved_value])).toEqual([
      [80, 35],
      [100, 35],
    ]);
    // Back above in the same period: each threshold is told once a period, so nothing new.
    await entitlement('consume', orgId, 15);
    await api.app.usageAlerts.idle();
    expect(await told(orgId)).toHaveLength(4);
  });

  it('tells each threshold once when 20 concurrent batches cross 80% and 100% together', async () => {
    const { orgId } = await meteredCustomer(api, 'Batches');
    // The process's evaluator wakes after each batch; the minutely job's evaluations race it.
    await Promise.all([
      ...Array.from({ length: 20 }, () => sendRuns(orgId, 6)),
      ...Array.from({ length: 5 }, () => evaluateWaiting(jobCtx())),
    ]);
    await api.app.usageAlerts.idle();
    await evaluateWaiting(jobCtx());
    expect((await told(orgId)).map((e) => [e.type, e.object.percent])).toEqual([
      ['usage.threshold_reached', 80],
      ['usage.threshold_reached', 100],
    ]);
  });

  it("takes a customer's own thresholds: units of a metric and the upcoming invoice's amount", async () => {
    const { owner, orgId, call } = await customerOnTestClock(api, sanFrancisco, '2027-03-01T17:00:00Z');
    await checkoutWithCard(api, { call }, { plan_id: hourlyPlan });
    const sub = (await call('GET', '/v1/subscriptions'))
      .json()
      .data.find((s: { plan_id: string }) => s.plan_id === hourlyPlan);
    const alerts = `/v1/subscriptions/${sub.id}/alerts`;
    const create = (body: object) => api.call({ method: 'POST', url: alerts, as: owner, org: orgId, body });

    const hours = await create({ type: 'usage', metric: 'machine_hours', threshold: 10 });
    expect(hours.statusCode, hours.body).toBe(201);
    // The next invoice: the $10.00 fee in advance and the hours so far at $1.
    const amount = await create({ type: 'invoice_amount', threshold: 1500 });
    expect(amount.statusCode, amount.body).toBe(201);
    // Refused, changing nothing: a duplicate, an unknown metric, a threshold of 0, a stranger's subscription.
    expect((await create({ type: 'usage', metric: 'machine_hours', threshold: 10 })).json().error.code).toBe(
      'usage_alert.exists',
    );
    expect((await create({ type: 'usage', metric: 'nope', threshold: 10 })).json().error.code).toBe(
      'metric.not_found',
    );
    expect((await create({ type: 'invoice_amount', threshold: 0 })).statusCode).toBe(400);
    const stranger = await meteredCustomer(api, 'Stranger');
    const foreign = await api.call({
      method: 'POST',
      url: alerts,
      as: stranger.owner,
      org: stranger.orgId,
      body: { type: 'invoice_amount', threshold: 100 },
    });
    expect(foreign.json().error.code).toBe('subscription.not_found');
    const listed = await api.call({ method: 'GET', url: alerts, as: owner, org: orgId });
    const shown = listed.json().data.map((a: { type: string; threshold: number }) => [a.type, a.threshold]);
    expect(shown.sort()).toEqual([
      ['invoice_amount', 1500],
      ['usage', 10],
    ]);

    // 6 hours: $16.00 on the upcoming invoice passes $15.00; 12 hours pass 10 hours.
    const hoursSent = (id: string, value: number) =>
      api.call({
        method: 'POST',
        url: '/v1/events',
        as: ingestKey,
        body: {
          event_id: id,
          customer: orgId,
          code: 'machine_hours',
          timestamp: '2027-03-02T10:00:00Z',
          properties: { hours: value },
        },
      });
    await hoursSent('h1', 6);
    await api.app.usageAlerts.idle();
    expect(
      (await told(orgId)).map((e) => [e.object.alert_id, e.object.reached_value, e.object.currency]),
    ).toEqual([[amount.json().id, 1600, 'USD']]);
    await hoursSent('h2', 6);
    await api.app.usageAlerts.idle();
    expect(
      (await told(orgId)).map((e) => [e.object.alert_id, e.object.metric, e.object.reached_value]),
    ).toEqual([
      [amount.json().id, null, 1600],
      [hours.json().id, 'machine_hours', 12],
    ]);

    const deleted = await api.call({
      method: 'DELETE',
      url: `${alerts}/${hours.json().id}`,
      as: owner,
      org: orgId,
    });
    expect(deleted.json()).toMatchObject({ id: hours.json().id, deleted: true });
    const again = await api.call({
      method: 'DELETE',
      url: `${alerts}/${hours.json().id}`,
      as: owner,
      org: orgId,
    });
    expect(again.json().error.code).toBe('usage_alert.not_found');
  });

  it('evaluates in the minutely job what a crash left between the commit and the evaluation', async () => {
    const { orgId } = await meteredCustomer(api, 'Crashed');
    // Ingested as a process would before dying: committed, but its evaluator never woke.
    const issuer = tenantContext(jobCtx(), 'org_platform');
    const events = Array.from({ length: 85 }, (_, i) => ({
      event_id: `crash-${i}`,
      customer: orgId,
      code: 'computations',
      timestamp: '2027-01-15T10:30:00Z',
    }));
    expect((await metering.ingestEvents(issuer, events)).accepted).toBe(85);
    expect(await told(orgId)).toEqual([]);
    const waiting = await api.database.db
      .selectFrom('usage_alert_checks')
      .select('org_id')
      .where('org_id', '=', orgId)
      .execute();
    expect(waiting).toHaveLength(1);

    await evaluateWaiting(jobCtx());
    expect((await told(orgId)).map((e) => [e.type, e.object.percent])).toEqual([
      ['usage.threshold_reached', 80],
    ]);
    const left = await api.database.db.selectFrom('usage_alert_checks').select('org_id').execute();
    expect(left).toEqual([]);
  });

  it('lets webhook endpoints ask for usage events', async () => {
    const { owner, orgId } = await meteredCustomer(api, 'Hooked');
    const endpoint = await api.call({
      method: 'POST',
      url: '/v1/webhook_endpoints',
      as: owner,
      org: orgId,
      body: { url: 'https://hooks.example/usage', events: ['usage.*'] },
    });
    expect(endpoint.statusCode, endpoint.body).toBe(201);
    await sendRuns(orgId, 80);
    await api.app.usageAlerts.idle();
    const deliveries = await api.database.db
      .selectFrom('webhook_deliveries')
      .select('status')
      .where('org_id', '=', orgId)
      .execute();
    expect(deliveries).toHaveLength(1);
  });

  it('notes for evaluation only the customers whose thresholds a batch can move', async () => {
    // On the default plan: a limit on computations, none on machine hours.
    const free = await meteredCustomer(api, 'Free, noted');
    // On a paid plan without limits: the default plan's limits no longer apply.
    const paid = await customerOnTestClock(api, sanFrancisco, '2027-03-01T17:00:00Z');
    await checkoutWithCard(api, { call: paid.call }, { plan_id: hourlyPlan });
    // On the same plan, with an alert of its own on machine hours.
    const watched = await customerOnTestClock(api, sanFrancisco, '2027-03-01T17:00:00Z');
    await checkoutWithCard(api, { call: watched.call }, { plan_id: hourlyPlan });
    const sub = (await watched.call('GET', '/v1/subscriptions')).json().data[0];
    const alert = await watched.call('POST', `/v1/subscriptions/${sub.id}/alerts`, {
      type: 'usage',
      metric: 'machine_hours',
      threshold: 1000,
    });
    expect(alert.statusCode, alert.body).toBe(201);
    await api.database.db.deleteFrom('usage_alert_checks').execute();

    const noted = async (code: string, orgIds: string[]) => {
      const issuer = tenantContext(jobCtx(), 'org_platform');
      const events = orgIds.map((customer) => ({
        event_id: `noted-${++counter}`,
        customer,
        code,
        timestamp: '2027-03-02T10:00:00Z',
        properties: { hours: 1 },
      }));
      expect((await metering.ingestEvents(issuer, events)).accepted).toBe(orgIds.length);
      const rows = await api.database.db.deleteFrom('usage_alert_checks').returning('org_id').execute();
      return rows.map((row) => row.org_id).sort();
    };
    const everyone = [free.orgId, paid.orgId, watched.orgId];
    expect(await noted('computations', everyone)).toEqual([free.orgId]);
    expect(await noted('machine_hours', everyone)).toEqual([watched.orgId]);
  });
});
