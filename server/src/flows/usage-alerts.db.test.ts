import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Ctx } from '../context.js';
import * as customers from '../customers/index.js';
import { StatementCounter } from '../db/counting.js';
import * as metering from '../metering/index.js';
import { tenantContext } from '../tenant.js';
import { type Person, type TestApi, testApi } from '../testing/api.js';
import { checkoutWithCard, customerOnTestClock, publishPlans } from '../testing/billing.js';
import { engines } from '../testing/databases.js';
import {
  createFeatures,
  createMetrics,
  ingestKeyOf,
  meteredCustomer,
  sanFranciscoCustomer,
} from '../testing/metering.js';
import {
  evaluateRound,
  evaluateUsageAlerts,
  evaluateWaiting,
  roundStandings,
  thresholdStandings,
} from './usage-alerts.js';

/**
 * Usage alerts evaluated a round of organizations at a time: the same standings, crossings and
 * events as evaluating each organization alone, on plans read afresh, including an organization
 * whose plan changed since its terms were kept in memory; in a number of statements that does not
 * grow with the organizations; and concurrent rounds claiming the same crossings tell each once.
 */

class RolledBack extends Error {}

describe.each(engines())('usage alerts by the round on %s', (engine) => {
  let api: TestApi;
  let owner: Person;
  let proPlan: string;
  let solePlan: string;
  let counter = 0;

  const jobCtx = (db = api.database.db): Ctx => ({
    db,
    clock: api.clock,
    log: { info() {}, warn() {}, error: (obj, msg) => console.error(msg, obj) },
    actor: { type: 'system', id: 'test' },
    requestId: 'test',
  });
  const issuer = () => tenantContext(jobCtx(), 'org_platform');

  const sendRuns = async (orgId: string, count: number) => {
    const events = Array.from({ length: count }, () => ({
      event_id: `run-${++counter}`,
      customer: orgId,
      code: 'computations',
      timestamp: '2027-01-15T10:30:00Z',
    }));
    // Straight into the ingest: the process's evaluator is not woken, the checks wait for the test.
    expect((await metering.ingestEvents(issuer(), events)).accepted).toBe(count);
  };
  const send = async (orgId: string, code: string, properties: object) => {
    const event = {
      event_id: `${code}-${++counter}`,
      customer: orgId,
      code,
      timestamp: '2027-01-15T10:30:00Z',
      properties,
    };
    expect((await metering.ingestEvents(issuer(), [event])).accepted).toBe(1);
  };
  const entitlement = async (action: 'consume' | 'release', orgId: string, quantity: number) => {
    const tenant = tenantContext(jobCtx(), orgId);
    const customer = await customers.findCustomer(tenant);
    const act = action === 'consume' ? metering.consumeEntitlement : metering.releaseEntitlement;
    await act(tenant, customer, 'projects', quantity);
  };
  const noteAll = async (orgIds: readonly string[]) => {
    for (const orgId of orgIds) await metering.noteUsageChanged(tenantContext(jobCtx(), orgId));
  };

  /** What the evaluations told the organizations: crossings and events, without their ids. */
  const toldTo = async (ctx: Ctx, orgIds: readonly string[]) => {
    const crossings = await ctx.db
      .selectFrom('usage_threshold_crossings')
      .select([
        'org_id',
        'threshold_key',
        'period_start',
        'period_end',
        'subscription_id',
        'alert_id',
        'metric',
        'percent',
        'threshold',
        'currency',
        'reached_value',
        'resolved_value',
        'resolved_at',
      ])
      .where(sql<boolean>`org_id = any(${[...orgIds]}::text[])`)
      .orderBy('org_id')
      .orderBy('threshold_key')
      .execute();
    const { rows: events } = await sql<{ org_id: string; type: string; object: string }>`
      select org_id, type, (data->'object') - 'id' as object from events
      where org_id = any(${[...orgIds]}::text[]) and type like 'usage.%'
      order by org_id, type, ((data->'object') - 'id')::text`.execute(ctx.db);
    return { crossings, events };
  };

  /** What `act` tells, in a transaction rolled back after: the database is left as it was. */
  const toldRolledBack = async (orgIds: readonly string[], act: (ctx: Ctx) => Promise<unknown>) => {
    let told: Awaited<ReturnType<typeof toldTo>> | undefined;
    await api.database.db
      .transaction()
      .execute(async (tx) => {
        await act(jobCtx(tx));
        told = await toldTo(jobCtx(tx), orgIds);
        throw new RolledBack();
      })
      .catch((error) => {
        if (!(error instanceof RolledBack)) throw error;
      });
    return told;
  };

  /** Evaluated as one round and, from the same state, one organization at a time: the same told. */
  const expectRoundAsOneByOne = async (orgIds: readonly string[]) => {
    await noteAll(orgIds);
    const round = await toldRolledBack(orgIds, async (ctx) => {
      expect((await evaluateRound(ctx, orgIds)).evaluated.sort()).toEqual([...orgIds].sort());
    });
    for (const orgId of orgIds) {
      expect((await evaluateUsageAlerts(tenantContext(jobCtx(), orgId))).evaluated).toBe(true);
    }
    const oneByOne = await toldTo(jobCtx(), orgIds);
    expect(round).toEqual(oneByOne);
    return oneByOne;
  };

  beforeAll(async () => {
    api = await testApi(engine);
    const operator = await api.signUpOperator();
    owner = await api.signUp();
    await createMetrics(api, operator, [
      { code: 'computations', name: 'Computations', unit: 'computation', aggregation: 'count' },
      { code: 'machine_hours', name: 'Machine hours', unit: 'hour', aggregation: 'sum', property: 'hours' },
      // Each way a total is read: from the readings, the distinct values, a level carried over.
      {
        code: 'gpu_hours',
        name: 'GPU hours',
        unit: 'hour',
        aggregation: 'time_weighted_sum',
        property: 'gpus',
      },
      {
        code: 'visitors',
        name: 'Visitors',
        unit: 'visitor',
        aggregation: 'unique_count',
        property: 'visitor',
      },
      { code: 'seats', name: 'Seats', unit: 'seat', aggregation: 'sum', property: 'change', recurring: true },
    ]);
    await createFeatures(api, operator, [['projects', 'Projects']]);
    ({ pro: proPlan, sole: solePlan } = await publishPlans(api, operator, [
      [
        'round_free',
        {
          name: 'Free',
          base_price: 0,
          is_default: true,
          limits: [
            { feature: 'projects', mode: 'hard', limit: 10 },
            { feature: 'computations', mode: 'soft', limit: 20 },
          ],
        },
      ],
      [
        'pro',
        {
          name: 'Pro',
          base_price: 1000,
          limits: [
            { feature: 'projects', mode: 'hard', limit: 100 },
            { feature: 'computations', mode: 'soft', limit: 200 },
          ],
          charges: [{ metric: 'machine_hours', price: { model: 'per_unit', unit_price: '1' } }],
        },
      ],
      // One customer's own: its limits are spoiled to make that customer's evaluation fail.
      ['sole', { name: 'Sole', base_price: 500, limits: [{ feature: 'projects', mode: 'hard', limit: 10 }] }],
    ]));
    await ingestKeyOf(api, operator);
  });
  afterAll(() => api.close());

  it('tells 30 organizations in one round what it tells each alone, one of them on a plan changed since', async () => {
    // 24 on the free plan (the default plan's subscription); 5 on Pro with alerts of their own
    // (units of a metric, the invoice's amount); one on the free plan until it subscribes to Pro
    // between the evaluations.
    const free = [];
    for (let i = 0; i < 24; i++) free.push((await meteredCustomer(api, `Round ${i}`, owner)).orgId);
    const subscribed = [];
    for (let i = 0; i < 5; i++) {
      const who = await customerOnTestClock(
        api,
        sanFranciscoCustomer(`Pro ${i}`),
        '2027-01-15T10:00:00Z',
        owner,
      );
      await checkoutWithCard(api, who, { plan_id: proPlan });
      const sub = (await who.call('GET', '/v1/subscriptions'))
        .json()
        .data.find((s: { status: string }) => s.status === 'active');
      const alerts = `/v1/subscriptions/${sub.id}/alerts`;
      for (const body of [
        { type: 'usage', metric: 'machine_hours', threshold: 5 + i },
        { type: 'usage', metric: 'computations', threshold: 3 },
        { type: 'usage', metric: 'gpu_hours', threshold: 6 },
        { type: 'usage', metric: 'visitors', threshold: 3 },
        { type: 'usage', metric: 'seats', threshold: 3 },
        ...(i < 2 ? [{ type: 'invoice_amount', threshold: 1500 }] : []),
      ]) {
        const made = await api.call({ method: 'POST', url: alerts, as: owner, org: who.orgId, body });
        expect(made.statusCode, made.body).toBe(201);
      }
      subscribed.push(who.orgId);
    }
    const upgrading = await customerOnTestClock(
      api,
      sanFranciscoCustomer('Upgrading'),
      '2027-01-15T10:00:00Z',
      owner,
    );
    const orgIds = [...free, ...subscribed, upgrading.orgId];
    await api.app.usageAlerts.idle();

    // Each a different way along its thresholds: below, past 80%, past 100%, on units and events.
    // Three hours on: GPUs read at 10:30 have run 2.5 hours.
    api.clock.advance({ hours: 3 });
    for (const [i, orgId] of orgIds.entries()) {
      if (i % 3 > 0) await sendRuns(orgId, (i * 7) % 25);
      if (i % 2 === 0) await entitlement('consume', orgId, i % 11);
      if (!subscribed.includes(orgId)) continue;
      await send(orgId, 'machine_hours', { hours: 4 + (i % 4) * 1.5 });
      await send(orgId, 'gpu_hours', { gpus: 1 + (i % 3) });
      for (let v = 0; v < i % 5; v++) await send(orgId, 'visitors', { visitor: `v${v}` });
      await send(orgId, 'seats', { change: i % 4 });
    }
    await entitlement('consume', upgrading.orgId, 9);
    const first = await expectRoundAsOneByOne(orgIds);
    expect(first.events).toHaveLength(23);
    expect(new Set(first.crossings.map((c) => c.metric))).toEqual(
      new Set(['projects', 'computations', 'machine_hours', 'gpu_hours', 'visitors', 'seats', null]),
    );
    expect(
      first.events.some((e) => (e.object as unknown as { currency: string | null }).currency === 'USD'),
    ).toBe(true);
    const upgradingKeys = (told: typeof first) =>
      told.crossings.filter((c) => c.org_id === upgrading.orgId).map((c) => c.threshold_key);
    expect(upgradingKeys(first)).toEqual(['limit/projects/80%/10']);

    // The terms of all are in memory now. One subscribes to Pro: its terms there are stale (the
    // process's evaluator, closed, does not look at it first), and the round reads it again on
    // Pro's limits. Others give units back, below their thresholds.
    await api.app.usageAlerts.close();
    const tenant = tenantContext(jobCtx(), upgrading.orgId);
    await checkoutWithCard(api, upgrading, { plan_id: proPlan });
    const kept = await metering.entitlementTerms(tenant, await customers.findCustomer(tenant), false);
    expect(kept.allowance.limits.find((l) => l.feature === 'computations')?.limit).toBe(20);
    // Past 80% of Pro's 200 computations, and far past the free plan's 20.
    await sendRuns(upgrading.orgId, 170);
    for (const [i, orgId] of free.entries()) {
      if (i % 2 === 0) await entitlement('release', orgId, 3);
      else await sendRuns(orgId, 4);
    }
    const second = await expectRoundAsOneByOne(orgIds);
    expect(upgradingKeys(second)).toEqual(['limit/computations/80%/200', 'limit/projects/80%/10']);
    expect(second.events.filter((e) => e.type === 'usage.threshold_resolved').length).toBeGreaterThan(0);

    // The standings themselves, organization by organization, as the one-at-a-time path reads them.
    const round = await roundStandings(jobCtx(), orgIds);
    for (const { orgId, standings } of round) {
      expect(standings).toEqual(await thresholdStandings(tenantContext(jobCtx(), orgId)));
    }
  });

  it('evaluates a round in statements that do not grow with its organizations', async () => {
    const orgIds = [];
    for (let i = 0; i < 25; i++) orgIds.push((await meteredCustomer(api, `Counted ${i}`, owner)).orgId);
    await api.app.usageAlerts.idle();
    const counter = new StatementCounter();
    const counted = async (round: readonly string[]) => {
      await noteAll(round);
      counter.reset();
      const { evaluated, reached } = await evaluateRound(jobCtx(counter.counting(api.database.db)), round);
      expect(evaluated).toHaveLength(round.length);
      return { statements: counter.statements, reached };
    };
    // Terms not in memory yet: loaded together (stamps, subscriptions, plan versions, metrics).
    const cold = await counted(orgIds.slice(0, 1));
    expect(cold.statements).toBeGreaterThan(5);
    expect(await counted(orgIds.slice(1))).toEqual(cold);
    // Nothing crossed: the checks, the customers, the alerts, the stamps and use, the crossings known.
    expect(await counted(orgIds.slice(0, 1))).toEqual({ statements: 5, reached: 0 });
    expect(await counted(orgIds.slice(0, 5))).toEqual({ statements: 5, reached: 0 });
    expect(await counted(orgIds)).toEqual({ statements: 5, reached: 0 });
    // Each past 80% of its projects: the crossings claimed in one statement and told in another.
    for (const orgId of orgIds) await entitlement('consume', orgId, 8);
    expect(await counted(orgIds.slice(0, 1))).toEqual({ statements: 7, reached: 1 });
    expect(await counted(orgIds)).toEqual({ statements: 7, reached: 24 });
    // Each back below: the resolutions in one statement.
    for (const orgId of orgIds) await entitlement('release', orgId, 8);
    expect(await counted(orgIds)).toEqual({ statements: 7, reached: 0 });
    const resolved = await toldTo(jobCtx(), orgIds);
    expect(resolved.crossings.filter((c) => c.resolved_at !== null)).toHaveLength(25);
  });

  it('tells each crossing once when concurrent rounds settle the same organizations', async () => {
    const orgIds = [];
    for (let i = 0; i < 12; i++) orgIds.push((await meteredCustomer(api, `Raced ${i}`, owner)).orgId);
    await api.app.usageAlerts.idle();
    for (const orgId of orgIds) await entitlement('consume', orgId, 10);
    const standings = await roundStandings(jobCtx(), orgIds);
    // Rounds with the organizations in different orders, and the evaluations of the waiting checks.
    await Promise.all([
      ...Array.from({ length: 6 }, (_, n) =>
        metering.settleRound(jobCtx(), n % 2 === 0 ? standings : [...standings].reverse()),
      ),
      evaluateRound(jobCtx(), orgIds),
      evaluateRound(jobCtx(), [...orgIds].reverse()),
    ]);
    const told = await toldTo(jobCtx(), orgIds);
    expect(told.crossings).toHaveLength(24);
    expect(told.events.map((e) => e.type)).toEqual(Array(24).fill('usage.threshold_reached'));
  });

  it('evaluates one at a time the organizations of a round that failed: one that fails holds up none', async () => {
    const orgIds = [];
    for (let i = 0; i < 4; i++) orgIds.push((await meteredCustomer(api, `Isolated ${i}`, owner)).orgId);
    const spoiled = await customerOnTestClock(
      api,
      sanFranciscoCustomer('Spoiled'),
      api.clock.now().toString(),
      owner,
    );
    await checkoutWithCard(api, spoiled, { plan_id: solePlan });
    for (const orgId of [...orgIds, spoiled.orgId]) await entitlement('consume', orgId, 8);
    // Limits that are not a list: the customer's plan cannot be read, by a round or alone.
    await sql`update plan_versions set limits = '7'::jsonb where plan_id = ${solePlan}`.execute(
      api.database.db,
    );

    const errors: string[] = [];
    const ctx: Ctx = {
      ...jobCtx(),
      log: { info() {}, warn() {}, error: (_obj, msg) => errors.push(msg ?? '') },
    };
    expect(await evaluateWaiting(ctx)).toBe(4);
    expect(errors).toEqual([
      'usage alerts could not be evaluated together',
      'usage alerts could not be evaluated',
    ]);
    const told = await toldTo(jobCtx(), orgIds);
    expect(told.crossings.map((c) => [c.org_id, c.threshold_key])).toEqual(
      [...orgIds].sort().map((orgId) => [orgId, 'limit/projects/80%/10']),
    );
    // The failed one's checks wait for the next evaluation.
    const waiting = await api.database.db
      .selectFrom('usage_alert_checks')
      .select('org_id')
      .where('org_id', '=', spoiled.orgId)
      .execute();
    expect(waiting.length).toBeGreaterThan(0);
  });
});
