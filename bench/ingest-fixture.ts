// What every measurement of the ingest benchmark (bench/ingest.ts) starts from, the same for the
// baselines and for Billfold: customers subscribed to one plan with 20 usage charges and a limit, and
// the events they send. The server process (bench/ingest-server.ts) and the COPY baseline both seed
// their fresh database with `seedMetering`, and both write the rows `benchEvent` describes.
import { sql } from 'kysely';
import { API_KEY_PREFIX } from '../server/src/access/api-keys.js';
import { newSecret, sha256 } from '../server/src/access/secrets.js';
import type { Db } from '../server/src/db/database.js';
import { seedSubscribers } from '../server/src/testing/billing-fixture.js';

export const ISSUER = 'org_platform';

/** The plan's 20 charges: half sum a quantity split by region, half count events. */
export const METRICS = Array.from({ length: 20 }, (_, i) => {
  const sums = i % 2 === 0;
  return {
    code: `bench_metric_${String(i + 1).padStart(2, '0')}`,
    aggregation: sums ? ('sum' as const) : ('count' as const),
    property: sums ? 'quantity' : null,
    dimensions: sums ? ['region'] : [],
  };
});
/** Counted (no property), so each probe event adds exactly 1 to its total. */
export const PROBE_METRIC = METRICS[METRICS.length - 1]?.code ?? 'bench_metric_20';
/**
 * The features the entitlement routes check and consume, with limits out of reach on purpose: one
 * only counted by consumes, one also metered (a metric of the same code: its period's usage counts).
 */
export const FEATURES = ['bench_calls', METRICS[1]?.code ?? 'bench_metric_02'];
export const FEATURE_LIMIT = 1_000_000_000_000;

const REGIONS = ['us-east', 'us-west', 'eu-central', 'ap-south'];

/** Customer n (1-based) of `seedSubscribers` with the prefix `bench`. */
export const customerId = (n: number) => `org_bench${String(n).padStart(6, '0')}`;
/** Customer 1 receives only the visibility probes, customer 2 only the events read back in bulk. */
export const PROBE_CUSTOMER = customerId(1);
export const BULK_CUSTOMER = customerId(2);
export const FIRST_LOAD_CUSTOMER = 3;

/** The calendar month around `now` in UTC: the seeded subscriptions' current period. */
export function currentPeriod(now: Date): { start: Date; end: Date } {
  const start = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  const end = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
  return { start, end };
}

/** `customers` organizations subscribed to one plan whose version prices the 20 metrics. */
export async function seedMetering(db: Db, customers: number, now: Date): Promise<void> {
  const { end } = currentPeriod(now);
  const { versionId } = await seedSubscribers(db, {
    count: customers,
    prefix: 'bench',
    basePrice: 2000,
    timeZone: 'UTC',
    periodEnd: end.toISOString(),
  });
  await db
    .insertInto('metrics')
    .values(
      METRICS.map((metric, i) => ({
        org_id: ISSUER,
        id: `metric_bench${i + 1}`,
        code: metric.code,
        name: `Bench metric ${i + 1}`,
        unit: 'units',
        aggregation: metric.aggregation,
        property: metric.property,
        dimensions: JSON.stringify(metric.dimensions),
        created_at: now,
      })),
    )
    .execute();
  await db
    .insertInto('features')
    .values(FEATURES.map((code) => ({ org_id: ISSUER, code, name: code, unit: 'calls', created_at: now })))
    .execute();
  // The stored shape of a plan version's terms: the API's schemas with their defaults filled in.
  const charges = METRICS.map((metric) => ({
    metric: metric.code,
    price: { model: 'per_unit', unit_price: '0.001' },
    included_quantity: '0',
    dimensions: [],
    rates: [],
  }));
  const limits = FEATURES.map((feature) => ({ feature, mode: 'hard', limit: FEATURE_LIMIT }));
  await sql`update plan_versions set charges = ${JSON.stringify(charges)}::jsonb,
    limits = ${JSON.stringify(limits)}::jsonb where id = ${versionId}`.execute(db);
}

export interface BenchEvent {
  event_id: string;
  customer: string;
  code: string;
  timestamp: string;
  properties: { quantity: number; region: string };
}

/**
 * Event number `n` of a run: the same for the COPY baseline and the HTTP ingest. Ids are 26
 * characters, the length of the ULIDs and UUIDs senders use, so the unique index is as large.
 */
export function benchEvent(n: number, customer: string, occurredAt: Date): BenchEvent {
  return {
    event_id: `evt_${String(n).padStart(22, '0')}`,
    customer,
    code: METRICS[n % METRICS.length]?.code ?? PROBE_METRIC,
    timestamp: occurredAt.toISOString(),
    properties: { quantity: (n % 7) + 1, region: REGIONS[n % REGIONS.length] ?? 'us-east' },
  };
}

/**
 * The load's events: spread over customers 3.. (the probe's and the bulk customer's totals stay
 * their own), occurred within the ten minutes before `now`, as events sent live do.
 */
export function loadEvent(n: number, customers: number, now: Date): BenchEvent {
  const spread = Math.max(1, customers - FIRST_LOAD_CUSTOMER + 1);
  const customer = customerId(FIRST_LOAD_CUSTOMER + ((n * 7919) % spread));
  return benchEvent(n, customer, new Date(now.getTime() - (n % 600) * 1000));
}

/** The rows COPY writes for `events`, in COPY's text format: the dedup keys and the events. */
export function copyText(events: BenchEvent[], receivedAt: Date): { ids: string; events: string } {
  const received = receivedAt.toISOString();
  let ids = '';
  let rows = '';
  for (const event of events) {
    ids += `${ISSUER}\t${event.event_id}\t${received}\n`;
    // JSON of these properties holds no tab, newline or backslash, which COPY's text format escapes.
    rows += `${event.customer}\t${ISSUER}\t${event.event_id}\t${event.code}\t${event.timestamp}\t${JSON.stringify(event.properties)}\t${received}\n`;
  }
  return { ids, events: rows };
}

export const COPY_IDS_COLUMNS = 'usage_event_ids (org_id, event_id, received_at)';
export const COPY_EVENTS_COLUMNS =
  'usage_events (org_id, issuer_id, event_id, code, occurred_at, properties, received_at)';

/**
 * An ingest API key for the platform, inserted the way access/api-keys.ts writes one (the secret kept
 * only as its digest), by a bench user who stands for the operator that would run the CLI.
 */
export async function createIngestKey(db: Db): Promise<string> {
  const secret = newSecret(API_KEY_PREFIX);
  const now = new Date();
  await db
    .insertInto('users')
    .values({
      id: 'user_bench',
      email: 'bench@example.com',
      name: 'Bench',
      password_hash: 'unusable',
      is_operator: true,
      created_at: now,
    })
    .execute();
  await db
    .insertInto('api_keys')
    .values({
      org_id: ISSUER,
      id: 'key_bench',
      name: 'bench ingest',
      mode: 'ingest',
      secret_hash: sha256(secret),
      last4: secret.slice(-4),
      created_by: 'user_bench',
      created_at: now,
      revoked_at: null,
    })
    .execute();
  return secret;
}
