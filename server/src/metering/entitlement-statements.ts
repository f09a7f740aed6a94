import { type RawBuilder, sql } from 'kysely';
import type { Ctx } from '../context.js';
import type { MetricRow } from '../db/schema.js';
import type { TenantCtx } from '../tenant.js';
import { toDate } from '../time/index.js';
import { type NameColumns, stillNamed } from './entitlement-customers.js';
import type { EntitlementTerms } from './entitlement-terms.js';
import { periodTotalExpression } from './totals.js';

/**
 * The one statement of an entitlement request, shared by the requests that arrive together (group
 * commit). A request is a round trip of a few hundred microseconds of work in the database and
 * about as much in sending and receiving it; while one statement runs, the requests that arrive
 * wait and then go together in the next, each as a row of it. Nothing waits on a timer: a request
 * that finds no statement running goes at once, alone.
 *
 * Each request's row carries what it must find for its action to hold (its terms' stamps, that its
 * customer's name still leads to that customer) and its own result, so each is answered, verified
 * and retried as if it had run alone. The writes of a statement are one conditional upsert of the
 * counter rows, in the order of their keys, so that statements of this process and of others never
 * wait on each other's rows in opposite orders; and a key is written at most once per statement
 * (PostgreSQL affects a row once in a statement), so a second consume of a key waits for the next.
 * Each consume still queues on its counter row's lock and sees what committed before it: a limit
 * of 50 admits exactly 50 of 100 concurrent consumes, however they are grouped, in however many
 * processes.
 */

/** Units added (consume) or given back (release); a check only reads. */
export type Change =
  | { kind: 'consume'; quantity: number; hard: number | null }
  | { kind: 'release'; quantity: number };

export interface StandingRequest {
  ctx: TenantCtx;
  terms: EntitlementTerms;
  feature: string;
  /** How the request named its customer, to verify the name still leads to it. */
  name: NameColumns;
  change: Change | undefined;
}

export interface Standing {
  /** The customer's and the issuer's stamps were those the terms were loaded under. */
  termsHold: boolean;
  /** The customer's name still led to it. */
  customerHolds: boolean;
  /** Units consumed and not released, before the statement. */
  consumed: bigint;
  /** This period's metered usage of the metric named like the feature, in whole units. */
  metered: bigint;
  /** The counter after the change, if one was made (a consume within the limit, a release). */
  written: bigint | null;
}

interface StandingRow {
  i: number;
  terms_hold: boolean;
  customer_holds: boolean;
  consumed: string | bigint;
  metered: string | bigint;
  written: string | bigint | null;
}

/** Requests in one statement at most. */
const MOST_PER_STATEMENT = 200;
/**
 * Statements of one database handle running at once: one, so that the calls arriving while it runs
 * make the next group (measured with 8 clients on two cores, a second one running at once halved
 * the groups and cost more CPU per call, here and in the database, than it saved in waiting). But a
 * statement can wait long (on a counter row another process's transaction holds, or reading a month
 * of raw events for a time-weighted sum), and it must not hold up every other customer's call: once
 * every running statement has run `SLOW_MS`, another may start, up to `MOST_RUNNING`.
 */
const SLOW_MS = 25;
const MOST_RUNNING = 4;

/** A database error (it has a SQLSTATE): the statement was rolled back, none of its changes made. */
const rolledBack = (error: unknown) =>
  typeof (error as { code?: unknown })?.code === 'string' &&
  /^[0-9A-Z]{5}$/.test((error as { code: string }).code);

/**
 * A request as a row of the statement's input: the values it reads by. `metric` is the place of
 * the metric named like its feature among the statement's distinct metrics (`MetricsOfStatement`).
 */
function requestRow(request: StandingRequest, i: number, metric: number | null) {
  const { ctx, terms, feature, change } = request;
  const { period } = terms.allowance;
  return {
    i,
    org_id: ctx.tenant.orgId,
    issuer_id: ctx.tenant.issuerId,
    feature,
    change: change === undefined ? null : change.kind === 'consume' ? change.quantity : -change.quantity,
    hard: change?.kind === 'consume' ? change.hard : null,
    at: toDate(ctx.clock.now()).toISOString(),
    customer_stamp: terms.stamps.customer,
    issuer_stamp: terms.stamps.issuer,
    ...request.name,
    metric,
    period_from: period.from.toISOString(),
    period_to: period.to.toISOString(),
  };
}

/**
 * The standing of the requests in `rows`, one row each, their values in one parameter: the
 * statement's text and plan are the same however many requests it carries. `metered` reads the
 * usage of the metric named like the feature, from the row `r`.
 */
function standingRowsQuery(
  rows: ReturnType<typeof requestRow>[],
  metered: RawBuilder<unknown>,
): RawBuilder<unknown> {
  return sql`
    select r.i, r.org_id, r.feature, r.change, r.hard, r.at,
      (select stamp::text from entitlement_stamps where org_id = r.org_id) is not distinct from r.customer_stamp
        and (select stamp::text from entitlement_stamps where org_id = r.issuer_id) is not distinct from r.issuer_stamp
        as terms_hold,
      ${stillNamed} as customer_holds,
      coalesce((select used from entitlement_counters c where c.org_id = r.org_id and c.feature = r.feature), 0)
        as consumed,
      -- Limits are whole units: a fraction used counts as a unit begun.
      ceil(coalesce((${metered})::numeric, 0))::int8 as metered
    from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as r(i int4, org_id text, issuer_id text,
      feature text, change int8, hard int8, at timestamptz, customer_stamp text, issuer_stamp text,
      named text, name text, named_zone text, metric int4, period_from timestamptz, period_to timestamptz)`;
}

/**
 * The distinct metrics of a statement's requests, each read by one expression of the statement
 * however many requests name it: terms loaded apart hold equal metrics in objects of their own, so
 * they are told apart by content.
 */
class MetricsOfStatement {
  readonly metrics: MetricRow[] = [];
  readonly #places = new Map<string, number>();

  placeOf(metric: MetricRow | undefined): number | null {
    if (!metric) return null;
    const key = JSON.stringify(metric, (_, value) => (typeof value === 'bigint' ? value.toString() : value));
    let place = this.#places.get(key);
    if (place === undefined) {
      place = this.metrics.push(metric) - 1;
      this.#places.set(key, place);
    }
    return place;
  }
}

/**
 * Every request's standing, one row each. A request's metered usage is the period total of its
 * metric, chosen by its place: one total expression per distinct metric, reading the row's
 * organization, period and time, so the statement grows with the metrics named, not the requests.
 */
function standingsQuery(requests: readonly StandingRequest[]): RawBuilder<unknown> {
  const distinct = new MetricsOfStatement();
  const rows = requests.map((request, i) =>
    requestRow(request, i, distinct.placeOf(request.terms.metrics.get(request.feature))),
  );
  const [first] = requests;
  if (!first || distinct.metrics.length === 0) return standingRowsQuery(rows, sql`null`);
  const span = { from: sql<Date>`r.period_from`, to: sql<Date>`r.period_to`, now: sql<Date>`r.at` };
  const totals = distinct.metrics.map(
    (metric, place) =>
      sql`when ${sql.lit(place)} then (${periodTotalExpression(first.ctx, sql<string>`r.org_id`, metric, span)})`,
  );
  return standingRowsQuery(rows, sql`case r.metric ${sql.join(totals, sql` `)} end`);
}

/**
 * The statement for `requests`, at most one change per counter row. A change is made only where its
 * terms and customer hold; a consume only if the counter, as it is once this statement holds its
 * row's lock, stays within the hard limit. Each change notes the organization for the alerts
 * (alerts.ts) in the same statement, so a unit counted is never left without its note.
 */
function statementFor(requests: readonly StandingRequest[]): RawBuilder<StandingRow> {
  const standing = standingsQuery(requests);
  if (requests.every((request) => request.change === undefined)) {
    return sql<StandingRow>`select i, terms_hold, customer_holds, consumed, metered, null::int8 as written
      from (${standing}) standing`;
  }
  return sql<StandingRow>`
    with standing as (${standing}),
    changes as (
      select * from standing where change is not null and terms_hold and customer_holds
    ),
    written as (
      insert into entitlement_counters as counter (org_id, feature, used, updated_at)
      select org_id, feature, greatest(change, 0), at from changes
      where (hard is null or change + metered <= hard)
        -- A release reaches its row through the conflict; one of units never consumed makes none.
        and (change > 0 or exists (select from entitlement_counters held
          where held.org_id = changes.org_id and held.feature = changes.feature))
      order by org_id, feature
      on conflict (org_id, feature) do update
        set used = greatest(counter.used + (select change from changes
            where changes.org_id = counter.org_id and changes.feature = counter.feature), 0),
          updated_at = excluded.updated_at
        where (select hard is null or counter.used + change + metered <= hard from changes
            where changes.org_id = counter.org_id and changes.feature = counter.feature)
      returning org_id, feature, used, updated_at
    ),
    noted as (
      insert into usage_alert_checks (org_id, noted_at) select org_id, updated_at from written
    )
    select standing.i, standing.terms_hold, standing.customer_holds, standing.consumed, standing.metered,
      written.used as written
    from standing left join written on standing.change is not null
      and written.org_id = standing.org_id and written.feature = standing.feature`;
}

/**
 * The standings of `requests` in one statement, on `db` as it is (a transaction's, or the pool):
 * what an alerts' round reads for all its organizations at once, or a group of calls.
 */
export async function standingsTogether(
  db: Ctx['db'],
  requests: readonly StandingRequest[],
): Promise<Standing[]> {
  return requests.length === 0 ? [] : runStatement(db, requests);
}

async function runStatement(db: Ctx['db'], requests: readonly StandingRequest[]): Promise<Standing[]> {
  const { rows } = await statementFor(requests).execute(db);
  const standings: Standing[] = new Array(requests.length);
  for (const row of rows) {
    standings[row.i] = {
      termsHold: row.terms_hold,
      customerHolds: row.customer_holds,
      consumed: BigInt(row.consumed),
      metered: BigInt(row.metered),
      written: row.written === null ? null : BigInt(row.written),
    };
  }
  return standings;
}

interface Waiting {
  request: StandingRequest;
  resolve: (standing: Standing) => void;
  reject: (error: unknown) => void;
}

const counterKeyOf = (request: StandingRequest) => `${request.ctx.tenant.orgId}\u0000${request.feature}`;

/** The requests of one database handle: those waiting for a statement, and how many are running. */
class GroupCommit {
  private waiting: Waiting[] = [];
  /** The running statements, by when each started. */
  private readonly running = new Set<{ started: number }>();

  constructor(private readonly db: Ctx['db']) {}

  submit(request: StandingRequest): Promise<Standing> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ request, resolve, reject });
      this.send();
    });
  }

  private send(): void {
    while (this.waiting.length > 0 && this.mayStart()) {
      const group = this.nextGroup();
      const statement = { started: performance.now() };
      this.running.add(statement);
      this.run(group).finally(() => {
        this.running.delete(statement);
        this.send();
      });
    }
  }

  private mayStart(): boolean {
    if (this.running.size === 0) return true;
    if (this.running.size >= MOST_RUNNING) return false;
    const now = performance.now();
    return [...this.running].every(({ started }) => now - started >= SLOW_MS);
  }

  /** The first requests waiting, in order, skipping a second change of one counter row. */
  private nextGroup(): Waiting[] {
    const group: Waiting[] = [];
    const left: Waiting[] = [];
    const changed = new Set<string>();
    for (const waiting of this.waiting) {
      const { request } = waiting;
      const key = request.change ? counterKeyOf(request) : undefined;
      if (group.length >= MOST_PER_STATEMENT || (key !== undefined && changed.has(key))) {
        left.push(waiting);
        continue;
      }
      if (key !== undefined) changed.add(key);
      group.push(waiting);
    }
    this.waiting = left;
    return group;
  }

  private async run(group: Waiting[]): Promise<void> {
    try {
      const standings = await runStatement(
        this.db,
        group.map((waiting) => waiting.request),
      );
      for (const [i, waiting] of group.entries()) waiting.resolve(standings[i] as Standing);
    } catch (error) {
      // Run again only what certainly changed nothing: after a lost connection the statement may
      // have committed, and a consume run twice would count its units twice.
      if (group.length === 1 || !rolledBack(error)) {
        for (const waiting of group) waiting.reject(error);
        return;
      }
      group[0]?.request.ctx.log.warn(
        { err: error, requests: group.length },
        'an entitlement statement failed: its requests run again one by one',
      );
      // Whose request failed the statement is not said: each runs again alone, for its own answer.
      await Promise.all(
        group.map((waiting) =>
          runStatement(this.db, [waiting.request]).then(
            ([standing]) => waiting.resolve(standing as Standing),
            waiting.reject,
          ),
        ),
      );
    }
  }
}

const groups = new WeakMap<Ctx['db'], GroupCommit>();

/**
 * The request's standing, and its change made if it holds: in a statement shared with the requests
 * of the same database handle that wait with it; in a transaction, alone (its statements are the
 * transaction's own).
 */
export async function standingOf(request: StandingRequest): Promise<Standing> {
  const { db } = request.ctx;
  if (db.isTransaction) return (await runStatement(db, [request]))[0] as Standing;
  let group = groups.get(db);
  if (!group) {
    group = new GroupCommit(db);
    groups.set(db, group);
  }
  return group.submit(request);
}
