// The benchmark's server process: Billfold (built, embedded database, one organization and an API
// key) and, in the same process and framework, a bare Fastify route returning constant JSON.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { seedDemo } from '../server/dist/cli/demo.js';
import { startBillfold } from '../server/dist/server.js';
import { systemClock } from '../server/dist/time/index.js';

const dataDir = process.argv[2] ?? mkdtempSync(join(tmpdir(), 'billfold-bench-'));
const billfold = await startBillfold(
  {
    database: { kind: 'pglite', dataDir },
    host: '127.0.0.1',
    port: 0,
    publicUrl: 'http://127.0.0.1',
    webDist: undefined,
  },
  {
    log: { info() {}, warn() {}, error: (o) => console.error(o) },
    beforeListen: ({ db }) => seedDemo(db, systemClock),
  },
);

// A full API key for the demo organization, created the way an owner would.
const owner = await billfold.app.inject({
  method: 'POST',
  url: '/v1/session',
  payload: { email: 'demo@example.com', password: 'billfold-demo' },
});
const session = owner.json();
const org = session.organizations.find((o) => o.name === 'Acme Cloud');
const key = await billfold.app.inject({
  method: 'POST',
  url: '/v1/api_keys',
  headers: {
    cookie: `billfold_session=${owner.cookies.find((c) => c.name === 'billfold_session').value}`,
    'x-csrf-token': session.csrf_token,
    'billfold-organization': org.id,
  },
  payload: { name: 'bench', mode: 'full' },
});

const bare = Fastify({ logger: false });
bare.get('/constant', async () => ({ id: 'org_constant', object: 'organization', name: 'Constant' }));
const bareUrl = await bare.listen({ host: '127.0.0.1', port: 0 });

process.stdout.write(
  `${JSON.stringify({ billfold: billfold.url, bare: bareUrl, apiKey: key.json().secret, dataDir })}\n`,
);
process.once('SIGTERM', async () => {
  await bare.close();
  await billfold.close();
  process.exit(0);
});
