/**
 * A billing run in a process of its own, for the crash test: the real runBilling on PostgreSQL with
 * the built-in test gateway, at a fixed moment. The test kills it with SIGKILL at random points.
 */
import { Temporal } from 'temporal-polyfill';
import { silentLogger } from '../context.js';
import { openDatabase } from '../db/database.js';
import { runBilling } from '../flows/billing-run.js';
import { createGatewayRegistry } from '../payments/index.js';

const [url, at] = process.argv.slice(2);
if (!url || !at) throw new Error('usage: billing-crash-worker <postgres url> <instant>');
const now = Temporal.Instant.from(at);
const clock = { now: () => now };
const database = await openDatabase({ kind: 'postgres', url, poolSize: 4 });
const gateways = createGatewayRegistry({
  db: database.db,
  clock,
  publicUrl: () => 'http://127.0.0.1:9',
  configured: [],
});
console.log('run-started');
const report = await runBilling(
  {
    db: database.db,
    clock,
    log: silentLogger,
    actor: { type: 'system', id: 'billing-run' },
    requestId: 'crash',
  },
  { gateways },
);
console.log(`run-finished ${JSON.stringify(report)}`);
await database.close();
process.exit(0);
