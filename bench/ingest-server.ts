// The ingest benchmark's server process (started by bench/ingest.ts): Billfold as `billfold start`
// runs it (API and job runner) on a fresh database seeded by `seedMetering`, with an ingest API key
// for the platform, and, in the same process and framework, a bare Fastify route that answers a
// JSON POST. Prints one JSON line {billfold, bare, apiKey} once both listen; stops on SIGTERM.
//   BENCH_SERVER_DATABASE: a PostgreSQL URL, or the folder of a new embedded database
//   BENCH_SERVER_CUSTOMERS: how many customers to seed
import Fastify from 'fastify';
import { startBillfold } from '../server/src/server.js';
import { createIngestKey, seedMetering } from './ingest-fixture.js';

const target = process.env.BENCH_SERVER_DATABASE ?? '';
const customers = Number(process.env.BENCH_SERVER_CUSTOMERS ?? 1000);
const database = target.startsWith('postgres')
  ? { kind: 'postgres' as const, url: target, poolSize: 10 }
  : { kind: 'pglite' as const, dataDir: target };

let apiKey = '';
const billfold = await startBillfold(
  {
    database,
    host: '127.0.0.1',
    port: 0,
    publicUrl: 'http://127.0.0.1',
    webDist: undefined,
    trustProxy: false,
    gateways: [],
    stripe: undefined,
    cashfree: undefined,
  },
  {
    log: { info() {}, warn() {}, error: (o) => console.error(o) },
    beforeListen: async ({ db }) => {
      await seedMetering(db, customers, new Date());
      apiKey = await createIngestKey(db);
    },
  },
);

const bare = Fastify({ logger: false });
// What an entitlement check answers, from a body of the same size: the framework's floor for it.
bare.post<{ Body: { customer: string; feature: string; quantity?: number } }>('/echo', async (request) => ({
  object: 'entitlement',
  feature: request.body.feature,
  allowed: true,
  mode: 'hard',
  limit: 1000,
  used: request.body.quantity ?? 1,
  remaining: 999,
  over_limit: false,
}));
const bareUrl = await bare.listen({ host: '127.0.0.1', port: 0 });

process.stdout.write(`${JSON.stringify({ billfold: billfold.url, bare: bareUrl, apiKey })}\n`);
process.once('SIGTERM', async () => {
  await bare.close();
  await billfold.close();
  process.exit(0);
});
