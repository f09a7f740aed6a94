import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Ctx, silentLogger } from '../context.js';
import * as customers from '../customers/index.js';
import { StatementCounter } from '../db/counting.js';
import { tenantContext } from '../tenant.js';
import { type Person, type TestApi, testApi } from '../testing/api.js';
import {
  type BillingTestCustomer,
  checkoutWithCard,
  customerOnTestClock,
  publishPlans,
} from '../testing/billing.js';
import { engines } from '../testing/databases.js';
import { createFeatures, createMetrics, ingestKeyOf, sanFranciscoCustomer } from '../testing/metering.js';
import { TestClock } from '../time/index.js';
import {
  actOnEntitlement,
  checkEntitlement,
  consumeEntitlement,
  type EntitlementAction,
  releaseEntitlement,
} from './entitlements.js';

/**
 * Entitlements answered from terms kept in memory: a plan change, whoever makes it, holds from the
 * next call on; an event counts in the next check; and while a customer's billing is blocked, the
 * issuer may refuse what only paid plans grant. Free (the default) allows 3 projects; Pro (20.00 a
 * month) 10 projects, 5 API calls a period and 2 GPUs.
 */

const customerDetails = sanFranciscoCustomer('Entitled');

const DECLINES_OFF_SESSION = '4000000000000341';
const SUCCEEDS = '4242424242424242';

describe.each(engines())('entitlements on %s', (engine) => {
  let api: TestApi;
  let operator: Person;
  let ingestKey: { apiKey: string };
  let pro: string;

  const entitlement = (
    action: 'check' | 'consume' | 'release',
    customer: string,
    feature: string,
    quantity = 1,
  ) =>
    api.call({
      method: 'POST',
      url: `/v1/entitlements/${action}`,
      as: ingestKey,
      body: { customer, feature, quantity },
    });
  const allowed = async (action: 'check' | 'consume', customer: string, feature: string, quantity = 1) => {
    const answer = await entitlement(action, customer, feature, quantity);
    expect(answer.statusCode, answer.body).toBe(200);
    return answer.json().allowed as boolean;
  };

  const refusePaidFeatures = async (refuse: boolean) => {
    const set = await api.call({
      method: 'PATCH',
      url: '/v1/operator/billing_settings',
      as: operator,
      body: { refuse_paid_features_when_blocked: refuse },
    });
    expect(set.statusCode, set.body).toBe(200);
    expect(set.json().refuse_paid_features_when_blocked).toBe(refuse);
  };

  beforeAll(async () => {
    api = await testApi(engine);
    operator = await api.signUpOperator();
    await createMetrics(api, operator, [
      { code: 'api_calls', name: 'API calls', unit: 'call', aggregation: 'count' },
      {
        code: 'seats',
        name: 'Seats',
        unit: 'seat',
        aggregation: 'sum',
        property: 'change',
        recurring: true,
      },
    ]);
    await createFeatures(api, operator, [
      ['projects', 'Projects', 'project'],
      ['api_calls', 'API calls', 'call'],
      ['gpus', 'GPUs', 'GPU'],
      ['seats', 'Seats', 'seat'],
    ]);
    ({ pro } = await publishPlans(api, operator, [
      [
        'entitled_free',
        {
          name: 'Free',
          base_price: 0,
          is_default: true,
          limits: [
            { feature: 'projects', mode: 'hard', limit: 3 },
            { feature: 'gpus', mode: 'hard', limit: 0 },
          ],
        },
      ],
      [
        'pro',
        {
          name: 'Pro',
          base_price: 2000,
          limits: [
            { feature: 'projects', mode: 'hard', limit: 10 },
            { feature: 'api_calls', mode: 'hard', limit: 5 },
            { feature: 'gpus', mode: 'hard', limit: 2 },
            { feature: 'seats', mode: 'hard', limit: 5 },
          ],
        },
      ],
    ]));
    ingestKey = await ingestKeyOf(api, operator);
  });
  afterAll(() => api.close());

  it('holds a plan change from the next call on, whoever made it', async () => {
    const who = await customerOnTestClock(api, customerDetails, '2027-01-15T10:00:00Z');
    for (let n = 0; n < 3; n++) expect(await allowed('consume', who.orgId, 'projects')).toBe(true);
    const fourth = await entitlement('consume', who.orgId, 'projects');
    expect(fourth.json()).toMatchObject({ allowed: false, limit: 3, used: 3, reason: 'limit_reached' });

    await checkoutWithCard(api, who, { plan_id: pro });
    const onPro = await entitlement('consume', who.orgId, 'projects');
    expect(onPro.json()).toMatchObject({ allowed: true, limit: 10, used: 4, remaining: 6, reason: null });

    // Cancelled by a statement from elsewhere (another process, a person with psql): nothing in this
    // process is told, and the next call holds the default plan's 3 again.
    await sql`update subscriptions set status = 'cancelled', ended_at = now()
      where org_id = ${who.orgId} and status <> 'cancelled'`.execute(api.database.db);
    const onFree = await entitlement('consume', who.orgId, 'projects');
    expect(onFree.json()).toMatchObject({ allowed: false, limit: 3, used: 4, over_limit: true });
    const counter = await sql<{ used: bigint }>`select used from entitlement_counters
      where org_id = ${who.orgId} and feature = 'projects'`.execute(api.database.db);
    expect(counter.rows[0]?.used).toBe(4n);
  });

  it('counts an event in the next check, with the units consumed, against a hard limit', async () => {
    const who = await customerOnTestClock(api, customerDetails, '2027-01-15T10:00:00Z');
    await checkoutWithCard(api, who, { plan_id: pro });
    const send = (eventId: string) =>
      api.call({
        method: 'POST',
        url: '/v1/events',
        as: ingestKey,
        body: {
          event_id: eventId,
          customer: who.orgId,
          code: 'api_calls',
          timestamp: '2027-01-15T10:30:00Z',
        },
      });
    expect((await entitlement('check', who.orgId, 'api_calls')).json()).toMatchObject({ used: 0 });
    for (const id of ['a', 'b', 'c']) expect((await send(`${who.orgId}-${id}`)).statusCode).toBe(200);
    expect((await entitlement('check', who.orgId, 'api_calls')).json()).toMatchObject({
      allowed: true,
      used: 3,
      remaining: 2,
    });
    expect((await entitlement('consume', who.orgId, 'api_calls', 2)).json()).toMatchObject({
      allowed: true,
      used: 5,
    });
    expect((await entitlement('consume', who.orgId, 'api_calls')).json()).toMatchObject({
      allowed: false,
      used: 5,
      reason: 'limit_reached',
    });
    await send(`${who.orgId}-d`);
    expect((await entitlement('check', who.orgId, 'api_calls')).json()).toMatchObject({
      allowed: false,
      used: 6,
      over_limit: true,
    });
    expect((await entitlement('release', who.orgId, 'api_calls', 2)).json()).toMatchObject({
      allowed: true,
      used: 4,
    });
  });

  it('counts the level of a recurring metric, carried from before the period', async () => {
    const who = await customerOnTestClock(api, customerDetails, '2027-01-15T10:00:00Z');
    await checkoutWithCard(api, who, { plan_id: pro });
    const seats = (id: string, change: number, timestamp: string) =>
      api.call({
        method: 'POST',
        url: '/v1/events',
        as: ingestKey,
        body: {
          event_id: `${who.orgId}-${id}`,
          customer: who.orgId,
          code: 'seats',
          timestamp,
          properties: { change },
        },
      });
    // Three seats taken before the Pro period began (10:00), one more in it.
    expect((await seats('before', 3, '2027-01-15T08:30:00Z')).statusCode).toBe(200);
    expect((await seats('in', 1, '2027-01-15T10:30:00Z')).statusCode).toBe(200);
    expect((await entitlement('check', who.orgId, 'seats')).json()).toMatchObject({ used: 4, remaining: 1 });
    expect((await entitlement('consume', who.orgId, 'seats')).json()).toMatchObject({
      allowed: true,
      used: 5,
    });
    expect((await entitlement('consume', who.orgId, 'seats')).json()).toMatchObject({
      allowed: false,
      reason: 'limit_reached',
    });
  });

  it('counts a consume retried with its Idempotency-Key once, and answers it as the first time', async () => {
    const who = await customerOnTestClock(api, customerDetails, '2027-01-15T10:00:00Z');
    const consume = () =>
      api.call({
        method: 'POST',
        url: '/v1/entitlements/consume',
        as: ingestKey,
        body: { customer: who.orgId, feature: 'projects', quantity: 2 },
        headers: { 'idempotency-key': `consume-${who.orgId}` },
      });
    const [first, second] = await Promise.all([consume(), consume()]);
    const third = await consume();
    for (const answer of [first, second, third]) {
      expect(answer?.statusCode, answer?.body).toBe(200);
      expect(answer?.json()).toMatchObject({ allowed: true, used: 2 });
    }
    expect(third.headers['idempotent-replayed']).toBe('true');
    expect((await entitlement('check', who.orgId, 'projects')).json()).toMatchObject({ used: 2 });
  });

  /** The customer's context as the entitlement route makes it, on `db` and `clock`. */
  async function domainContext(orgId: string, { db, clock }: Pick<Ctx, 'db' | 'clock'>) {
    const ctx = tenantContext(
      { db, clock, log: silentLogger, actor: { type: 'system', id: 'entitlements-test' }, requestId: 'test' },
      orgId,
    );
    return { ctx, customer: await customers.findCustomer(ctx) };
  }

  /** Ends the customer's subscriptions, then sends it one API call of 15 January. */
  const unsubscribedWithOneCall = async (orgId: string, eventId: string) => {
    await sql`update subscriptions set status = 'cancelled', ended_at = now()
      where org_id = ${orgId} and status <> 'cancelled'`.execute(api.database.db);
    const sent = await api.call({
      method: 'POST',
      url: '/v1/events',
      as: ingestKey,
      body: { event_id: eventId, customer: orgId, code: 'api_calls', timestamp: '2027-01-15T10:30:00Z' },
    });
    expect(sent.statusCode, sent.body).toBe(200);
  };

  it("counts metered usage in the calendar month on the context's clock, without a subscription", async () => {
    const who = await customerOnTestClock(api, customerDetails, '2027-01-15T10:00:00Z');
    await unsubscribedWithOneCall(who.orgId, `${who.orgId}-jan`);
    // The customer's zone is UTC: its month ends at midnight UTC, and the terms kept in memory
    // with January's period take February's as the clock passes it.
    const clock = new TestClock('2027-01-31T23:30:00Z');
    const { ctx, customer } = await domainContext(who.orgId, { db: api.database.db, clock });
    expect((await checkEntitlement(ctx, customer, 'api_calls', 1)).used).toBe(1);
    expect((await checkEntitlement(ctx, customer, 'api_calls', 1)).used).toBe(1);
    clock.advance({ minutes: 30 });
    expect((await checkEntitlement(ctx, customer, 'api_calls', 1)).used).toBe(0);
  });

  it('takes one statement a call once the terms are in memory', async () => {
    const who = await customerOnTestClock(api, customerDetails, '2027-01-15T10:00:00Z');
    await checkoutWithCard(api, who, { plan_id: pro });
    const counter = new StatementCounter();
    const { ctx, customer } = await domainContext(who.orgId, {
      db: counter.counting(api.database.db),
      clock: api.clock,
    });
    const counted = async (act: () => Promise<unknown>) => {
      counter.reset();
      await act();
      return counter.statements;
    };
    // The first call loads the terms (queries of their own, fewer when the issuer's metrics and plan
    // versions are in memory already); the next ones are a statement each.
    expect(await counted(() => checkEntitlement(ctx, customer, 'api_calls', 1))).toBeGreaterThan(1);
    expect(await counted(() => checkEntitlement(ctx, customer, 'api_calls', 1))).toBe(1);
    expect(await counted(() => consumeEntitlement(ctx, customer, 'api_calls', 1))).toBe(1);
    expect(await counted(() => consumeEntitlement(ctx, customer, 'projects', 1))).toBe(1);
    expect(await counted(() => releaseEntitlement(ctx, customer, 'projects', 1))).toBe(1);
    // A change of the issuer's settings: the next call finds its stamp changed, loads, and acts.
    await refusePaidFeatures(true);
    expect(await counted(() => consumeEntitlement(ctx, customer, 'projects', 1))).toBeGreaterThan(1);
    expect(await counted(() => consumeEntitlement(ctx, customer, 'projects', 1))).toBe(1);
    await refusePaidFeatures(false);
  });

  it('answers calls sent together, for many customers and features, as it answers them one at a time', async () => {
    const start = '2027-01-15T10:00:00Z';
    const customersOf = async () => {
      const three = [];
      for (let n = 0; n < 3; n++) three.push(await customerOnTestClock(api, customerDetails, start));
      await checkoutWithCard(api, three[0] as BillingTestCustomer, { plan_id: pro });
      return three;
    };
    const [together, alone] = [await customersOf(), await customersOf()];
    const counter = new StatementCounter();
    const ctx = {
      db: counter.counting(api.database.db),
      clock: api.clock,
      log: silentLogger,
      actor: { type: 'system' as const, id: 'entitlements-test' },
      requestId: 'test',
    };
    type Call = [EntitlementAction, number, string, number];
    const call =
      (customers: BillingTestCustomer[]) =>
      ([action, who, feature, quantity]: Call) =>
        actOnEntitlement(
          ctx,
          { name: (customers[who] as BillingTestCustomer).orgId },
          action,
          feature,
          quantity,
        );
    // Each round acts on a counter row at most once: the calls of a round may go in any order.
    // Customer 0 is on Pro (10 projects, 2 GPUs, 5 seats); 1 and 2 on Free (3 projects, no GPU).
    const rounds: Call[][] = [
      [
        ['consume', 0, 'projects', 2],
        ['consume', 1, 'projects', 3],
        ['check', 2, 'gpus', 1],
        ['consume', 0, 'gpus', 2],
        ['consume', 2, 'projects', 4],
        ['release', 1, 'gpus', 1],
        ['check', 0, 'api_calls', 1],
        ['consume', 1, 'seats', 7],
        ['consume', 0, 'seats', 5],
      ],
      [
        ['consume', 0, 'projects', 9],
        ['release', 1, 'projects', 1],
        ['consume', 2, 'projects', 3],
        ['check', 1, 'gpus', 1],
        ['consume', 0, 'gpus', 1],
        ['consume', 2, 'gpus', 1],
        ['consume', 1, 'seats', 1],
        ['release', 0, 'seats', 2],
      ],
      [
        ['check', 0, 'projects', 8],
        ['check', 1, 'projects', 1],
        ['consume', 2, 'projects', 1],
        ['check', 0, 'gpus', 0],
        ['release', 0, 'gpus', 5],
        ['check', 1, 'seats', 1],
      ],
    ];
    // The terms and customers are read first: what follows is a statement per group of calls.
    for (const who of [...together, ...alone]) {
      await actOnEntitlement(ctx, { name: who.orgId }, 'check', 'projects', 1);
    }
    for (const round of rounds) {
      counter.reset();
      const grouped = await Promise.all(round.map(call(together)));
      expect(counter.statements).toBeLessThan(round.length);
      const oneByOne = [];
      for (const each of round) oneByOne.push(await call(alone)(each));
      expect(grouped).toEqual(oneByOne);
    }
    const counters = async (customers: BillingTestCustomer[]) => {
      const { rows } = await sql<{ org_id: string; feature: string; used: bigint }>`
        select org_id, feature, used from entitlement_counters
        where org_id = any(${customers.map((who) => who.orgId)}::text[])`.execute(api.database.db);
      const whose = (orgId: string) => customers.findIndex((who) => who.orgId === orgId);
      return rows.map(({ org_id, feature, used }) => `${whose(org_id)} ${feature} ${used}`).sort();
    };
    expect(await counters(together)).toEqual(await counters(alone));
  });

  it("sees a name given to another customer, or a customer's new time zone, in the next call", async () => {
    const first = await customerOnTestClock(api, customerDetails, '2027-01-15T10:00:00Z');
    const second = await customerOnTestClock(api, customerDetails, '2027-01-15T10:00:00Z');
    const name = `acme-${first.orgId}`;
    await sql`update billing_customers set external_id = ${name} where org_id = ${first.orgId}`.execute(
      api.database.db,
    );
    expect((await entitlement('consume', name, 'projects', 2)).json()).toMatchObject({ used: 2 });
    expect((await entitlement('check', name, 'projects')).json()).toMatchObject({ used: 2 });
    // The name moves to the second customer, from elsewhere: the next call is about the second.
    await sql`update billing_customers set external_id = null where org_id = ${first.orgId}`.execute(
      api.database.db,
    );
    await sql`update billing_customers set external_id = ${name} where org_id = ${second.orgId}`.execute(
      api.database.db,
    );
    expect((await entitlement('check', name, 'projects')).json()).toMatchObject({ used: 0 });
    expect((await entitlement('consume', name, 'projects', 1)).json()).toMatchObject({ used: 1 });
    // Given to nobody: not found, and nothing recorded.
    await sql`update billing_customers set external_id = null where org_id = ${second.orgId}`.execute(
      api.database.db,
    );
    const gone = await entitlement('consume', name, 'projects');
    expect(gone.statusCode).toBe(404);
    expect(gone.json().error.code).toBe('customer.not_found');
    const used = await sql<{ org_id: string; used: bigint }>`select org_id, used from entitlement_counters
      where org_id in (${first.orgId}, ${second.orgId}) and feature = 'projects' order by used`.execute(
      api.database.db,
    );
    expect(used.rows).toEqual([
      { org_id: second.orgId, used: 1n },
      { org_id: first.orgId, used: 2n },
    ]);

    // Without a subscription, metered usage counts in the calendar month of the customer's zone: at
    // 20:00 UTC on 31 January it is February in Tokyo, and January's event no longer counts.
    await unsubscribedWithOneCall(first.orgId, `${first.orgId}-late`);
    const clock = new TestClock('2027-01-31T20:00:00Z');
    const ctx = {
      db: api.database.db,
      clock,
      log: silentLogger,
      actor: { type: 'system' as const, id: 'test' },
      requestId: 'test',
    };
    const usedNow = async () =>
      (await actOnEntitlement(ctx, { name: first.orgId }, 'check', 'api_calls', 1)).used;
    await sql`update billing_customers set time_zone = 'UTC' where org_id = ${first.orgId}`.execute(
      api.database.db,
    );
    expect(await usedNow()).toBe(1);
    await sql`update billing_customers set time_zone = 'Asia/Tokyo' where org_id = ${first.orgId}`.execute(
      api.database.db,
    );
    expect(await usedNow()).toBe(0);
    // The caller's own organization, named by nothing: its zone is verified the same way.
    const own = async () => (await actOnEntitlement(ctx, { own: first.orgId }, 'check', 'api_calls', 1)).used;
    expect(await own()).toBe(0);
    await sql`update billing_customers set time_zone = 'UTC' where org_id = ${first.orgId}`.execute(
      api.database.db,
    );
    expect(await own()).toBe(1);
  });

  /** On Pro from 10 March with a good card, then one that fails off-session: blocked on 8 April. */
  async function blockedCustomer(): Promise<BillingTestCustomer> {
    const who = await customerOnTestClock(api, customerDetails, '2027-03-10T20:00:00Z');
    await checkoutWithCard(api, who, { plan_id: pro });
    await saveCard(who, DECLINES_OFF_SESSION);
    await who.advance('2027-04-08T07:00:00Z');
    expect((await who.call('GET', '/v1/billing/status')).json().status).toBe('blocked');
    return who;
  }

  async function saveCard(who: BillingTestCustomer, card: string) {
    const setup = (await who.call('POST', '/v1/checkout_sessions', { mode: 'setup' })).json();
    await api.payAtTestGateway(setup.url, card);
    await who.call('POST', `/v1/checkout_sessions/${setup.id}/sync`);
  }

  it('refuses what only paid plans grant while billing is blocked, if the issuer says so', async () => {
    const who = await blockedCustomer();
    expect(await allowed('check', who.orgId, 'gpus')).toBe(true);

    await refusePaidFeatures(true);
    const refused = await entitlement('consume', who.orgId, 'gpus');
    expect(refused.json()).toMatchObject({ allowed: false, limit: 2, used: 0, reason: 'billing_blocked' });
    expect((await entitlement('check', who.orgId, 'gpus')).json()).toMatchObject({
      reason: 'billing_blocked',
    });
    const counted = await sql<{ n: bigint }>`select count(*)::int8 as n from entitlement_counters
      where org_id = ${who.orgId} and feature = 'gpus'`.execute(api.database.db);
    expect(counted.rows[0]?.n).toBe(0n);
    // What Free grants too is still answered by the plan: 10 projects.
    const projects = await entitlement('consume', who.orgId, 'projects', 5);
    expect(projects.json()).toMatchObject({ allowed: true, limit: 10, used: 5, reason: null });

    // Paid: what it owes settled in one payment, the plan's features are back at once.
    await saveCard(who, SUCCEEDS);
    const paid = await who.call('POST', '/v1/billing/pay', {});
    expect(paid.statusCode, paid.body).toBe(200);
    expect((await who.call('GET', '/v1/billing/status')).json().status).toBe('active');
    expect((await entitlement('consume', who.orgId, 'gpus')).json()).toMatchObject({
      allowed: true,
      used: 1,
      reason: null,
    });

    // Blocked again, with the setting turned off: nothing is refused for it.
    const again = await blockedCustomer();
    expect(await allowed('consume', again.orgId, 'gpus')).toBe(false);
    await refusePaidFeatures(false);
    expect(await allowed('consume', again.orgId, 'gpus')).toBe(true);
  });
});
