import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Ctx, silentLogger } from '../context.js';
import { usageInAdvanceJob } from '../jobs/usage-billing.js';
import type { TestApi } from '../testing/api.js';
import { checkoutWithCard, customerOnTestClock } from '../testing/billing.js';
import { engines } from '../testing/databases.js';
import { losAngelesCustomer, meteredIssuer } from '../testing/metering.js';
import { systemClock } from '../time/index.js';

/**
 * Usage billed outside the period's closing invoice, worked out by hand (R30, R31): a charge paid in
 * advance, in graduated tiers, invoiced batch by batch for what each adds to the month so far; the
 * renewal bills nothing more of it; usage of a month already invoiced is adjusted on the next one.
 * The same events sent at once, and again, bill once: invoices, lines and ledger entries counted.
 */

interface Line {
  kind: string;
  description: string;
  amount: number;
  period_start: string;
}
interface Invoice {
  id: string;
  billing_reason: string;
  status: string;
  subtotal: number;
  lines: Line[];
}

describe.each(engines())('usage billed in advance and late on %s', (engine) => {
  let api: TestApi;
  let ingestKey: { apiKey: string };
  let planId: string;

  beforeAll(async () => {
    ({ api, ingestKey, planId } = await meteredIssuer(
      engine,
      [
        { code: 'api_calls', name: 'API calls', unit: 'call', aggregation: 'sum', property: 'calls' },
        { code: 'runs', name: 'Runs', unit: 'run', aggregation: 'count' },
      ],
      {
        name: 'Advance',
        base_price: 1000,
        charges: [
          {
            metric: 'api_calls',
            pay_in_advance: true,
            price: {
              model: 'graduated',
              tiers: [
                { up_to: '100', unit_price: '0.10' },
                { up_to: '500', unit_price: '0.05' },
                { up_to: null, unit_price: '0.02' },
              ],
            },
          },
          { metric: 'runs', price: { model: 'per_unit', unit_price: '0.1' } },
        ],
      },
    ));
  });
  afterAll(() => api.close());

  const send = async (events: object[]) => {
    const sent = await api.call({ method: 'POST', url: '/v1/events/batch', as: ingestKey, body: { events } });
    expect(sent.statusCode, sent.body).toBe(200);
    return sent.json() as { accepted: number; duplicates: unknown[]; errors: unknown[] };
  };
  const jobCtx = (): Ctx => ({
    db: api.database.db,
    clock: systemClock,
    log: silentLogger,
    actor: { type: 'system', id: 'test' },
    requestId: 'req_test',
  });
  /** What the job enqueued by the ingest does, run as the job runner would. */
  const runJob = (orgId: string, subscriptionId: string) =>
    usageInAdvanceJob.handler({
      ctx: jobCtx(),
      data: { org_id: orgId, subscription_id: subscriptionId },
      jobId: 'job_test',
    });

  async function subscribed(email: string) {
    const customer = await customerOnTestClock(api, { ...losAngelesCustomer, email }, '2027-03-01T17:00:00Z');
    await checkoutWithCard(api, customer, { plan_id: planId });
    const sub = (await customer.call('GET', '/v1/subscriptions')).json().data[0];
    const invoices = async (): Promise<Invoice[]> => {
      const listed = await customer.call('GET', '/v1/invoices');
      expect(listed.statusCode, listed.body).toBe(200);
      return listed.json().data;
    };
    const event = (id: string, code: string, timestamp: string, properties: object = {}) => ({
      event_id: `${customer.orgId}:${id}`,
      customer: customer.orgId,
      code,
      timestamp,
      properties,
    });
    return { ...customer, sub, invoices, event };
  }

  const inAdvance = (all: Invoice[]) => all.filter((i) => i.billing_reason === 'usage_in_advance');
  const amounts = (lines: Line[], kind: string) =>
    lines.filter((l) => l.kind === kind).map((l) => [l.description, l.amount]);

  it('R30: each batch is billed in advance by tiers, and not again at the renewal; R31: late usage is adjusted once on the next invoice', async () => {
    const { orgId, sub, call, advance, invoices, event } = await subscribed('one@advance.example');

    // 60 calls, none billed before: 60 × 0.10 = 6.00. Billed by the billing run's sweep.
    await send([event('a1', 'api_calls', '2027-03-02T10:00:00Z', { calls: 60 })]);
    await advance('2027-03-02T11:00:00Z');
    // 80 more on top of 60: 40 × 0.10 + 40 × 0.05 = 6.00. Billed by the ingest's job.
    await send([event('a2', 'api_calls', '2027-03-05T10:00:00Z', { calls: 80 })]);
    await runJob(orgId, sub.id);
    // 400 + 100 in one batch on top of 140: 360 × 0.05 + 140 × 0.02 = 18.00 + 2.80 = 20.80.
    // With them, 15 runs in arrears.
    await send([
      event('a3', 'api_calls', '2027-03-10T10:00:00Z', { calls: 400 }),
      event('a4', 'api_calls', '2027-03-10T10:30:00Z', { calls: 100 }),
      ...Array.from({ length: 15 }, (_, i) => event(`r${i}`, 'runs', '2027-03-10T12:00:00Z')),
    ]);
    await advance('2027-03-10T13:00:00Z');

    let advanced = inAdvance(await invoices());
    expect(advanced.map((i) => i.subtotal).sort((a, b) => a - b)).toEqual([600, 600, 2080]);
    // The three add up to the month's 640 calls priced whole: 10.00 + 20.00 + 2.80 = 32.80.
    expect(advanced.reduce((sum, i) => sum + i.subtotal, 0)).toBe(3280);
    for (const invoice of advanced) {
      expect(amounts(invoice.lines, 'usage')).toEqual([['API calls', invoice.subtotal]]);
      expect(invoice.status).toBe('paid');
    }

    // The renewal: April's fee and March's 15 runs (1.50); nothing more for the calls.
    await advance('2027-04-01T12:00:00Z');
    const april = (await invoices()).find(
      (i) => i.billing_reason === 'subscription_cycle' && i.lines.some((l) => l.kind === 'license'),
    ) as Invoice;
    expect(amounts(april.lines, 'usage')).toEqual([['Runs', 150]]);
    expect(amounts(april.lines, 'license')).toEqual([['Advance (Apr 1, 2027 – Apr 30, 2027)', 1000]]);
    expect(april.subtotal).toBe(1150);

    // Late: 10 calls and 5 runs of 20 March, after March's invoice; 3 runs of April with them.
    await send([
      event('a5', 'api_calls', '2027-03-20T10:00:00Z', { calls: 10 }),
      ...Array.from({ length: 5 }, (_, i) => event(`late${i}`, 'runs', '2027-03-20T10:00:00Z')),
      ...Array.from({ length: 3 }, (_, i) => event(`apr${i}`, 'runs', '2027-04-05T10:00:00Z')),
    ]);
    await advance('2027-04-02T12:00:00Z');
    // The calls are paid in advance: billed at once, for March, on top of its 640: 10 × 0.02 = 0.20.
    advanced = inAdvance(await invoices());
    expect(advanced).toHaveLength(4);
    const lateCalls = advanced.find((i) => i.subtotal === 20) as Invoice;
    expect(lateCalls.lines.map((l) => l.period_start)).toEqual(['2027-03-01T17:00:00.000Z']);

    // March now holds 20 runs: the usage read says so.
    const march = await api.call({
      method: 'GET',
      url: `/v1/usage?customer=${orgId}&metric=runs&from=2027-03-01T17:00:00Z&to=2027-04-01T07:00:00Z`,
      as: ingestKey,
    });
    expect(march.statusCode, march.body).toBe(200);
    expect(march.json().total).toBe('20');

    // May's invoice: its fee, April's 3 runs (0.30), and March's 5 late runs: 20 × 0.10 − 1.50 = 0.50.
    // The upcoming invoice shows the adjustment before it is made; the calls are not on it.
    const upcoming = await call('GET', `/v1/invoices/upcoming?subscription=${sub.id}`);
    expect(upcoming.statusCode, upcoming.body).toBe(200);
    expect(amounts(upcoming.json().lines, 'adjustment')).toEqual([
      ['Usage counted late for the period from 2027-03-01: Runs', 50],
    ]);
    expect(amounts(upcoming.json().lines, 'usage')).toEqual([['Runs', 30]]);
    expect(upcoming.json().subtotal).toBe(1000 + 30 + 50);
    await advance('2027-05-01T12:00:00Z');
    const may = (await invoices()).find(
      (i) => i.billing_reason === 'subscription_cycle' && i.lines.some((l) => l.kind === 'adjustment'),
    ) as Invoice;
    expect(amounts(may.lines, 'adjustment')).toEqual([
      ['Usage counted late for the period from 2027-03-01: Runs', 50],
    ]);
    expect(amounts(may.lines, 'usage')).toEqual([['Runs', 30]]);
    expect(may.subtotal).toBe(1000 + 30 + 50);
    // April's invoice is as it was issued.
    const aprilAgain = (await invoices()).find((i) => i.id === april.id) as Invoice;
    expect(aprilAgain.subtotal).toBe(1150);

    // June: nothing late any more, nothing adjusted again.
    await advance('2027-06-01T12:00:00Z');
    const adjustments = await api.database.db
      .selectFrom('invoice_lines as l')
      .innerJoin('invoices as i', (j) =>
        j.onRef('i.org_id', '=', 'l.org_id').onRef('i.id', '=', 'l.invoice_id'),
      )
      .select(['l.amount'])
      .where('i.subscription_id', '=', sub.id)
      .where('l.kind', '=', 'adjustment')
      .execute();
    expect(adjustments.map((a) => a.amount)).toEqual([50n]);
  });

  it('R30: the same events sent at once, and again, are billed once; R31: and adjusted once when late', async () => {
    const { orgId, sub, advance, invoices, event } = await subscribed('two@advance.example');
    const batch = [
      event('c1', 'api_calls', '2027-03-03T10:00:00Z', { calls: 150 }),
      event('c2', 'api_calls', '2027-03-03T11:00:00Z', { calls: 50 }),
    ];
    // Six copies at once, then jobs and the billing run racing to bill them.
    const sent = await Promise.all(Array.from({ length: 6 }, () => send(batch)));
    expect(sent.reduce((sum, s) => sum + s.accepted, 0)).toBe(2);
    await Promise.all([
      ...Array.from({ length: 4 }, () => runJob(orgId, sub.id)),
      advance('2027-03-04T00:00:00Z'),
    ]);
    expect((await send(batch)).accepted).toBe(0);
    await runJob(orgId, sub.id);
    await advance('2027-03-05T00:00:00Z');

    // 200 calls: 100 × 0.10 + 100 × 0.05 = 15.00, on one invoice, with one usage entry in the ledger.
    const advanced = inAdvance(await invoices());
    expect(advanced.map((i) => i.subtotal)).toEqual([1500]);
    const [only] = advanced;
    const entries = await api.database.db
      .selectFrom('ledger_entries')
      .select(['kind', 'amount'])
      .where('org_id', '=', orgId)
      .where('invoice_id', '=', only?.id as string)
      .orderBy('kind')
      .execute();
    expect(entries).toEqual([
      { kind: 'payment', amount: 1500n },
      { kind: 'usage', amount: -1500n },
    ]);

    // March's last runs race its renewal: billed on March's invoice, or adjusted after it. Then a
    // late batch for March, sent six times at once after March's invoice. Either way March's 7 runs
    // are billed once in all: 7 × 0.10 = 0.70.
    const lastRuns = Array.from({ length: 3 }, (_, i) => event(`last${i}`, 'runs', '2027-03-31T20:00:00Z'));
    await Promise.all([send(lastRuns), advance('2027-04-01T12:00:00Z')]);
    const late = Array.from({ length: 4 }, (_, i) => event(`late${i}`, 'runs', '2027-03-15T10:00:00Z'));
    const lateSent = await Promise.all(Array.from({ length: 6 }, () => send(late)));
    expect(lateSent.reduce((sum, s) => sum + s.accepted, 0)).toBe(4);
    await advance('2027-05-01T12:00:00Z');
    await advance('2027-06-01T12:00:00Z');
    const marchRuns = (await invoices())
      .flatMap((i) => i.lines)
      .filter((l) => l.kind === 'adjustment' || (l.description === 'Runs' && l.period_start < '2027-04'));
    expect(marchRuns.reduce((sum, l) => sum + l.amount, 0)).toBe(70);
    expect(marchRuns.length).toBeLessThanOrEqual(2);
    expect(inAdvance(await invoices())).toHaveLength(1);

    // Invoices in advance take their numbers from the issuer's register as every invoice does: gapless.
    const numbers = (
      await api.database.db.selectFrom('invoices').select('number').where('number', 'is not', null).execute()
    )
      .map((row) => Number(/(\d+)$/.exec(row.number ?? '')?.[1]))
      .sort((a, b) => a - b);
    expect(numbers.length).toBeGreaterThan(3);
    expect(numbers.every(Number.isInteger)).toBe(true);
    expect(numbers).toEqual(Array.from({ length: numbers.length }, (_, i) => (numbers[0] ?? 0) + i));
  });
});
