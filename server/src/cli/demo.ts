import * as access from '../access/index.js';
import * as catalog from '../catalog/index.js';
import type { Ctx } from '../context.js';
import { silentLogger } from '../context.js';
import * as customers from '../customers/index.js';
import type { Db } from '../db/database.js';
import type { GatewayName } from '../db/schema.js';
import { createBillingCustomer } from '../flows/billing-customer.js';
import { startPlanCheckout, syncCheckout } from '../flows/checkout.js';
import { createPaymentLink } from '../flows/payment-links.js';
import * as metering from '../metering/index.js';
import { TestGateway } from '../payments/index.js';
import { platformContext, scoped, tenantContext } from '../tenant.js';
import type { Clock } from '../time/index.js';

export const DEMO_PASSWORD = 'billfold-demo';

/**
 * Demo data for a first look: an operator, an organization with an owner, an admin and a member,
 * a client organization under it, an API key, a catalog of plans in USD and INR, and a billing
 * customer for the organization (its client has none yet, to show the first step). Added only to an empty database, through the same
 * services the API uses, so the audit log tells how it came about.
 */
export async function seedDemo(db: Db, clock: Clock, publicUrl = 'http://localhost:4000') {
  const anyone = await db.selectFrom('users').select('id').limit(1).executeTakeFirst();
  if (anyone) return null;
  const seeded = await db.transaction().execute(async (tx) => {
    const ctx: Ctx = {
      db: tx,
      clock,
      log: silentLogger,
      actor: { type: 'system', id: 'demo' },
      requestId: 'req_demo',
    };
    const person = async (email: string, name: string) =>
      (
        await access.signUp(ctx, {
          email,
          name,
          password: DEMO_PASSWORD,
          country: 'US',
          postal_code: '94107',
        })
      ).user;
    await person('operator@example.com', 'Olivia Operator');
    await access.grantOperator(ctx, 'operator@example.com');
    const owner = await person('demo@example.com', 'Dana Demo');
    const admin = await person('admin@example.com', 'Avery Admin');
    const member = await person('member@example.com', 'Morgan Member');
    const asOwner: Ctx = { ...ctx, actor: { type: 'user', id: owner.id } };
    const org = await access.createOrganization(asOwner, owner.id, {
      name: 'Acme Cloud',
      country: 'US',
      postal_code: '94107',
    });
    await access.createOrganization(asOwner, owner.id, {
      name: 'Globex (client of Acme)',
      country: 'IN',
      postal_code: '560001',
      parent_org_id: org.id,
    });
    for (const [user, role] of [
      [admin, 'admin'],
      [member, 'member'],
    ] as const) {
      const invitation = await access.createInvitation(
        tenantContext(asOwner, org.id),
        { email: user.email, role },
        (t) => t,
      );
      if (!invitation.url) throw new Error('invitation without token');
      await access.acceptInvitation({ ...ctx, actor: { type: 'user', id: user.id } }, user, invitation.url);
    }
    await access.createApiKey(tenantContext(asOwner, org.id), {
      name: 'Demo integration',
      mode: 'read_only',
    });
    await seedCatalog({ ...ctx, actor: { type: 'user', id: (await operatorId(ctx)) ?? 'demo' } });
    await createBillingCustomer(
      // The day Acme Cloud became a customer: its Free plan began then, its paid plan the same day.
      { ...tenantContext(asOwner, org.id), clock: demoSubscriptionClock(clock) },
      customers.createCustomerBody.parse({
        name: 'Acme Cloud Inc.',
        email: 'billing@acme.example',
        address_line1: '500 Howard St',
        city: 'San Francisco',
        state: 'CA',
        postal_code: '94105',
        country: 'US',
        phone: '+14155550100',
        time_zone: 'America/Los_Angeles',
      }),
      { configuredGateways: new Set() },
    );
    return { orgId: org.id, ownerId: owner.id };
  });
  // Gateways are called outside transactions (on the embedded database, one inside would wait forever).
  await seedDemoBilling(db, clock, publicUrl, seeded);
  await seedDemoUsage(db, clock, seeded.orgId);
  return seeded;
}

/**
 * The last 30 days of Acme Cloud's usage, sent the way its backend would (events in batches, units
 * consumed): computations started and their runs through the working day, machines running by type,
 * region and pool (a reading each hour), and storage growing. Drawn from a fixed seed, so every
 * first start shows the same charts.
 */
async function seedDemoUsage(db: Db, clock: Clock, orgId: string) {
  const ctx: Ctx = {
    db,
    clock,
    log: silentLogger,
    actor: { type: 'system', id: 'demo' },
    requestId: 'req_demo',
  };
  const issuer = platformContext(ctx);
  let seed = 20271;
  const random = () => {
    seed = (seed * 48271) % 2147483647;
    return seed / 2147483647;
  };
  const now = clock.now().epochMilliseconds;
  const hour = 3_600_000;
  const events: object[] = [];
  const event = (code: string, at: number, properties: object = {}) =>
    events.push({
      event_id: `demo_${code}_${events.length}`,
      customer: orgId,
      code,
      timestamp: new Date(at).toISOString(),
      properties,
    });
  const fleet = [
    { machine_type: 'standard', region: 'us-west', pool: 'batch', base: 6 },
    { machine_type: 'standard', region: 'eu-central', pool: 'batch', base: 3 },
    { machine_type: 'gpu', region: 'us-west', pool: 'training', base: 2 },
  ];
  for (let at = now - 30 * 24 * hour; at < now; at += hour) {
    const local = new Date(at - 8 * hour).getUTCHours();
    const working = local >= 8 && local < 19;
    for (let n = Math.floor(random() * (working ? 14 : 3)); n > 0; n--) {
      event('computation_runs', at + Math.floor(random() * hour));
    }
    if (working && random() < 0.15) event('computations', at + Math.floor(random() * hour));
    for (const { base, ...group } of fleet) {
      const machines = Math.max(0, Math.round(base * (working ? 1.4 : 0.6) + (random() - 0.5) * base));
      event('machine_hours', at, { ...group, machines });
    }
    if (local === 0)
      event('storage_gb', at, { gb: Math.round(40 + ((now - at) / hour < 360 ? 25 : 0) + random() * 10) });
  }
  for (let start = 0; start < events.length; start += metering.MAX_BATCH) {
    await metering.ingestEvents(issuer, events.slice(start, start + metering.MAX_BATCH));
  }
  const acme = tenantContext(ctx, orgId);
  const customer = await customers.findCustomer(acme);
  await metering.consumeEntitlement(acme, customer, 'computations', 37);
  await metering.consumeEntitlement(acme, customer, 'members', 3);
}

/**
 * Acme Cloud pays for Team at the built-in test gateway with 4242 4242 4242 4242, so a first look
 * shows a paid plan, a saved card and a payment, and it has a payment link waiting to be paid.
 */
async function seedDemoBilling(
  db: Db,
  clock: Clock,
  publicUrl: string,
  seeded: { orgId: string; ownerId: string },
) {
  const then = demoSubscriptionClock(clock);
  const ctx = tenantContext(
    {
      db,
      clock: then,
      log: silentLogger,
      actor: { type: 'user', id: seeded.ownerId },
      requestId: 'req_demo',
    },
    seeded.orgId,
  );
  const gateway = new TestGateway({ db, clock: then, publicUrl: () => publicUrl });
  const deps = {
    gateways: { configured: new Set<GatewayName>(), has: () => true, get: () => gateway },
    publicUrl: (path: string) => new URL(path, publicUrl).toString(),
  };
  const team = await scoped(ctx, 'issuer')
    .selectFrom('plans')
    .select('id')
    .where('code', '=', 'team')
    .executeTakeFirstOrThrow();
  const checkout = await startPlanCheckout(ctx, team.id, deps, '/billing', { billingMode: 'anniversary' });
  await gateway.submitCard(checkout.gateway_session_ref ?? '', {
    number: '4242424242424242',
    expiry: '12 / 30',
    cvc: '123',
  });
  await syncCheckout(ctx, checkout.id, deps);
  await createPaymentLink(
    { ...ctx, clock },
    { amount: 25000, description: 'Onboarding workshop', expires_in_days: 30 },
    deps,
  );
}

/**
 * Acme Cloud became a customer and subscribed 20 days ago, its periods running from that day of the
 * month: a first look finds two thirds of a period of usage (seedDemoUsage) on the Usage page.
 */
function demoSubscriptionClock(clock: Clock): Clock {
  const subscribedAt = clock.now().subtract({ hours: 20 * 24 });
  return { now: () => subscribedAt };
}

async function operatorId(ctx: Ctx) {
  const row = await ctx.db
    .selectFrom('users')
    .select('id')
    .where('email', '=', 'operator@example.com')
    .executeTakeFirst();
  return row?.id;
}

/** Metrics and plans like those of a confidential-computing SaaS and an HPC cloud. */
async function seedCatalog(operator: Ctx) {
  // The operator's catalog is the platform's own.
  const ctx = platformContext(operator);
  for (const metric of [
    { code: 'computations', name: 'Computations', unit: 'computation', aggregation: 'count' },
    { code: 'computation_runs', name: 'Computation runs', unit: 'run', aggregation: 'count' },
    {
      code: 'machine_hours',
      name: 'Machine hours',
      unit: 'hour',
      aggregation: 'time_weighted_sum',
      property: 'machines',
      dimensions: ['machine_type', 'region', 'pool'],
    },
    { code: 'storage_gb', name: 'Storage', unit: 'GB', aggregation: 'max', property: 'gb' },
  ]) {
    await catalog.createMetric(ctx, catalog.createMetricBody.parse(metric));
  }
  const limits = (
    computations: number | null,
    members: number | null,
    runs: number | null,
    storage: number | null,
  ) => [
    { feature: 'computations', mode: 'hard', limit: computations },
    { feature: 'members', mode: 'hard', limit: members },
    { feature: 'computation_runs', mode: 'soft', limit: runs },
    { feature: 'storage_gb', mode: 'soft', limit: storage },
  ];
  const runsOverage = (included: string, price: string) => ({
    metric: 'computation_runs',
    included_quantity: included,
    price: { model: 'per_unit', unit_price: price },
  });
  const machineHours = (standard: string, gpu: string) => ({
    metric: 'machine_hours',
    price: { model: 'per_unit', unit_price: standard },
    dimensions: ['machine_type'],
    rates: [{ dimensions: { machine_type: 'gpu' }, price: { model: 'per_unit', unit_price: gpu } }],
  });
  const plans = [
    {
      code: 'starter',
      name: 'Starter',
      description: 'For a project getting started with confidential computing.',
      currency: 'USD',
      interval: 'month',
      base_price: 1900,
      trial_days: 14,
      limits: limits(25, 5, 1000, 10),
      charges: [runsOverage('1000', '0.02')],
    },
    {
      code: 'team',
      name: 'Team',
      description: 'For teams running computations every day.',
      currency: 'USD',
      interval: 'month',
      base_price: 4900,
      limits: limits(100, 20, 10000, 100),
      charges: [
        {
          metric: 'computation_runs',
          included_quantity: '10000',
          price: {
            model: 'graduated',
            tiers: [
              { up_to: '50000', unit_price: '0.01' },
              { up_to: null, unit_price: '0.005' },
            ],
          },
        },
        machineHours('0.0125', '1.75'),
      ],
    },
    {
      code: 'business',
      name: 'Business',
      description: 'Unlimited computations with volume pricing on machine hours.',
      currency: 'USD',
      interval: 'month',
      base_price: 19900,
      limits: limits(null, null, null, 1000),
      charges: [
        {
          metric: 'machine_hours',
          price: {
            model: 'volume',
            tiers: [
              { up_to: '1000', unit_price: '0.012' },
              { up_to: null, unit_price: '0.010', flat_price: '2' },
            ],
          },
        },
        {
          metric: 'storage_gb',
          included_quantity: '100',
          price: { model: 'graduated', tiers: [{ up_to: null, unit_price: '0.08' }] },
        },
      ],
    },
    {
      code: 'starter_in',
      name: 'Starter India',
      description: 'Starter, billed in rupees.',
      currency: 'INR',
      interval: 'month',
      base_price: 149900,
      limits: limits(25, 5, 1000, 10),
      charges: [runsOverage('1000', '1.5')],
    },
    {
      code: 'team_in',
      name: 'Team India',
      description: 'Team, billed in rupees.',
      currency: 'INR',
      interval: 'month',
      base_price: 399900,
      limits: limits(100, 20, 10000, 100),
      charges: [machineHours('1', '140')],
    },
  ];
  for (const plan of plans) await catalog.createPlan(ctx, catalog.createPlanBody.parse(plan));
}
