import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Person, type TestApi, testApi } from '../testing/api.js';
import { publishMonthlyPlans } from '../testing/billing.js';
import { engines } from '../testing/databases.js';

/**
 * The property behind "one paid plan, paid once": whatever an owner does with up to five checkouts,
 * plan links and plan changes, opened and paid in any order (some returning at the same moment, some
 * pages the gateway failed to close), once everyone is back at most one paid plan is in force, the
 * money kept at the test gateway is exactly that plan's paid invoices, and every other
 * payment was refunded in full.
 */

type Plan = 'team' | 'pro';
type Step =
  | { kind: 'checkout'; plan: Plan; gatewayFailsToClose: boolean }
  | { kind: 'link'; plan: Plan }
  | { kind: 'pay'; which: number; returnNow: boolean }
  | { kind: 'payTwoAtOnce'; first: number; second: number }
  | { kind: 'change'; plan: Plan };

const plan = fc.constantFrom<Plan>('team', 'pro');
const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant('checkout' as const), plan, gatewayFailsToClose: fc.boolean() }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('link' as const), plan }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('pay' as const), which: fc.nat(4), returnNow: fc.boolean() }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('payTwoAtOnce' as const), first: fc.nat(4), second: fc.nat(4) }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('change' as const), plan }) },
);

describe.each(engines())('any interleaving of checkouts, links and plan changes on %s', (engine) => {
  let api: TestApi;
  let owner: Person;
  const plans: Record<Plan, string> = { team: '', pro: '' };

  beforeAll(async () => {
    api = await testApi(engine);
    const operator = await api.signUpOperator();
    Object.assign(
      plans,
      await publishMonthlyPlans(api, operator, [
        ['team', 'Team', 4900],
        ['pro', 'Pro', 2000],
      ]),
    );
  });
  afterAll(() => api.close());

  /** A new organization of the same owner for each run (sign-ups are rate limited per address). */
  async function customer() {
    owner ??= await api.signUp();
    const orgId = (
      await api.call({
        method: 'POST',
        url: '/v1/organizations',
        as: owner,
        body: { name: 'Many tabs', country: 'US', postal_code: '94105' },
      })
    ).json().id as string;
    const call = (method: 'GET' | 'POST', url: string, body?: object) =>
      api.call({ method, url, as: owner, org: orgId, ...(body ? { body } : {}) });
    const created = await call('POST', '/v1/billing_customer', {
      name: 'Acme Inc.',
      email: 'billing@acme.example',
      address_line1: '1 Market St',
      city: 'San Francisco',
      state: 'CA',
      postal_code: '94105',
      country: 'US',
    });
    if (created.statusCode !== 201) throw new Error(created.body);
    return { orgId, call };
  }

  async function run(steps: Step[]) {
    const gateway = api.app.billfoldGateways.test;
    const who = await customer();
    const payables: { kind: 'checkout_sessions' | 'payment_links'; id: string; url: string }[] = [];
    const back = (p: (typeof payables)[number]) => who.call('POST', `/v1/${p.kind}/${p.id}/sync`);
    const pick = (n: number) => payables[n % Math.max(payables.length, 1)];
    for (const s of steps) {
      if (s.kind === 'checkout' || s.kind === 'link') {
        if (s.kind === 'checkout' && s.gatewayFailsToClose) gateway.setFaults({ next: 'error' });
        const kind = s.kind === 'checkout' ? 'checkout_sessions' : 'payment_links';
        const opened = await who.call('POST', `/v1/${kind}`, { plan_id: plans[s.plan] });
        gateway.setFaults({});
        expect(opened.statusCode, opened.body).toBeLessThan(500);
        if (opened.statusCode === 201) payables.push({ kind, id: opened.json().id, url: opened.json().url });
      } else if (s.kind === 'pay') {
        const target = pick(s.which);
        if (!target) continue;
        await api.payAtTestGateway(target.url, '4242424242424242');
        if (s.returnNow) expect((await back(target)).statusCode).toBe(200);
      } else if (s.kind === 'payTwoAtOnce') {
        const [first, second] = [pick(s.first), pick(s.second)];
        if (!first || !second) continue;
        await api.payAtTestGateway(first.url, '4242424242424242');
        await api.payAtTestGateway(second.url, '4242424242424242');
        const returns = await Promise.all([back(first), back(second)]);
        for (const r of returns) expect(r.statusCode, r.body).toBe(200);
      } else {
        const live = (await who.call('GET', '/v1/subscriptions')).json().data as {
          id: string;
          status: string;
        }[];
        const current = live.find((sub) => sub.status === 'active');
        if (!current) continue;
        const changed = await who.call('POST', `/v1/subscriptions/${current.id}/change`, {
          plan_id: plans[s.plan],
        });
        expect(changed.statusCode, changed.body).toBeLessThan(500);
      }
    }
    // Every page still open in some tab is paid (the gateway refuses the closed ones), then everyone
    // comes back at once.
    for (const p of payables) await api.payAtTestGateway(p.url, '4242424242424242');
    const returns = await Promise.all(payables.map(back));
    for (const r of returns) expect(r.statusCode, r.body).toBe(200);
    return who.orgId;
  }

  async function check(orgId: string) {
    const db = api.database.db;
    const paidPlans = await db
      .selectFrom('subscriptions')
      .innerJoin('plan_versions', (j) =>
        j
          .onRef('plan_versions.org_id', '=', 'subscriptions.plan_issuer_id')
          .onRef('plan_versions.id', '=', 'subscriptions.plan_version_id'),
      )
      .select('subscriptions.id')
      .where('subscriptions.org_id', '=', orgId)
      .where('subscriptions.status', '<>', 'cancelled')
      .where('plan_versions.base_price', '>', 0n)
      .execute();
    expect(paidPlans.length).toBeLessThanOrEqual(1);

    const ref = await db
      .selectFrom('gateway_customers')
      .select('gateway_customer_ref')
      .where('org_id', '=', orgId)
      .executeTakeFirst();
    const taken = ref
      ? await db
          .selectFrom('test_gateway_objects')
          .select(['id', sql<string>`data->>'amount'`.as('amount')])
          .where('kind', '=', 'payment')
          .where(sql<string>`data->>'customer'`, '=', ref.gateway_customer_ref)
          .where(sql<string>`data->>'status'`, '=', 'succeeded')
          .execute()
      : [];
    const refunded = taken.length
      ? await db
          .selectFrom('test_gateway_objects')
          .select(sql<string>`data->>'amount'`.as('amount'))
          .where('kind', '=', 'refund')
          .where(
            sql<string>`data->>'payment'`,
            'in',
            taken.map((p) => p.id),
          )
          .execute()
      : [];
    const sum = (rows: { amount: string }[]) => rows.reduce((total, r) => total + BigInt(r.amount), 0n);
    // The money kept is the paid plan's invoices (its start and any upgrade), and nothing else.
    const inForce = paidPlans[0]?.id ?? '';
    const invoiced = await db
      .selectFrom('invoices')
      .select(sql<string>`coalesce(sum(total), 0)::text`.as('total'))
      .where('org_id', '=', orgId)
      .where('subscription_id', '=', inForce)
      .where('status', '=', 'paid')
      .executeTakeFirstOrThrow();
    expect(sum(taken) - sum(refunded)).toBe(BigInt(invoiced.total));

    // Every payment not kept was owed back and refunded in full, once.
    const owed = await db
      .selectFrom('conflicting_payments')
      .select(['amount', 'refund_id'])
      .where('org_id', '=', orgId)
      .execute();
    expect(owed.every((o) => o.refund_id !== null)).toBe(true);
    expect(refunded.length).toBe(owed.length);
    expect(sum(refunded)).toBe(owed.reduce((total, o) => total + o.amount, 0n));
  }

  it('keeps at most one paid plan, keeps exactly its invoices, and refunds every other payment', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 5 }), async (steps) => {
        await check(await run(steps));
      }),
      { numRuns: Number(process.env.BILLFOLD_PROPERTY_RUNS ?? 30) },
    );
  }, 300_000);
});
