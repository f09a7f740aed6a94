import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import type { CoveredFacets, ScenarioCoverage } from './coverage.js';

/**
 * A golden scenario as data: the operator's setup, a customer, a timeline of actions on the
 * customer's test clock, and the money expected afterwards, to the cent.
 */

const instant = z
  .string()
  .regex(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, 'An instant in UTC, e.g. 2027-03-10T20:00:00Z');
const card = z.string().regex(/^\d{16}$/);

const plan = z.strictObject({
  name: z.string(),
  currency: z.string().default('USD'),
  interval: z.string(),
  base_price: z.number().int(),
  trial_days: z.number().int().default(0),
  charges: z.array(z.record(z.string(), z.unknown())).default([]),
  /** When the fee is billed (R15): at the start of each period (the API's default) or at its end. */
  fee_timing: z.enum(['advance', 'arrears']).optional(),
  /** The least a period bills, topped up when it ends (R16); minor units. */
  minimum_commitment: z.number().int().optional(),
  /** Passed through to the plan as the API takes it (fields added to plans later). */
  extra: z.record(z.string(), z.unknown()).default({}),
});

const action = z.union([
  z.strictObject({
    subscribe: z.strictObject({
      plan: z.string(),
      billing_mode: z.string().optional(),
      /** The day periods start on (R14): a day of month, or for a weekly plan the ISO weekday. */
      billing_day: z.number().int().optional(),
      card: card.optional(),
    }),
  }),
  z.strictObject({ save_card: card }),
  z.strictObject({ advance: instant }),
  z.strictObject({ change: z.strictObject({ plan: z.string() }) }),
  z.strictObject({ cancel: z.strictObject({ at_period_end: z.boolean() }) }),
  z.strictObject({ keep: z.null() }),
  z.strictObject({ pause: z.null() }),
  z.strictObject({ resume: z.null() }),
  z.strictObject({ pay: z.null() }),
  z.strictObject({ pay_link: z.strictObject({ invoice: z.number().int().min(1), card }) }),
  /** Usage events sent through POST /v1/events/batch with the platform's ingest key. */
  z.strictObject({
    usage: z.array(
      z.strictObject({
        metric: z.string(),
        at: instant,
        properties: z.record(z.string(), z.union([z.string(), z.number()])).default({}),
        /** The same event this many times (each with its own id). */
        repeat: z.number().int().min(1).default(1),
      }),
    ),
  }),
  z.strictObject({
    preview: z.strictObject({
      plan: z.string(),
      usage: z.array(
        z.strictObject({
          metric: z.string(),
          quantity: z.string().optional(),
          events: z.array(z.string()).optional(),
        }),
      ),
      expect: z.strictObject({
        lines: z.array(z.strictObject({ description: z.string(), amount: z.number().int() })),
        total: z.number().int(),
      }),
    }),
  }),
]);
export type Action = z.infer<typeof action>;

const money = z.number().int();

export const expectedInvoice = z.strictObject({
  number: z.string(),
  billing_reason: z.string(),
  status: z.string(),
  period: z.string(),
  lines: z.array(z.strictObject({ description: z.string(), amount: money })),
  subtotal: money,
  tax: money,
  total: money,
  amount_paid: money,
});

export const expectedStatement = z.strictObject({
  month: z.string(),
  status: z.string(),
  opening_balance: money,
  credits: money,
  license_charges: money,
  usage_charges: money,
  other_charges: money,
  closing_balance: money,
});

export const scenarioSchema = z.strictObject({
  description: z.string(),
  setup: z.strictObject({
    metrics: z.array(z.record(z.string(), z.unknown())).default([]),
    plans: z.record(z.string(), plan),
    tax_rates: z.array(z.record(z.string(), z.unknown())).default([]),
    billing_settings: z.record(z.string(), z.unknown()).default({}),
    customer: z.record(z.string(), z.string()),
    clock: instant,
  }),
  timeline: z.array(action).min(1),
  expect: z.strictObject({
    subscription: z.strictObject({ status: z.string(), moves: z.array(z.string()) }),
    invoices: z.array(expectedInvoice),
    ledger: z.strictObject({
      entries: z.array(z.strictObject({ kind: z.string(), amount: money, description: z.string() })),
      statements: z.array(expectedStatement),
    }),
    charges: z.strictObject({ succeeded: z.number().int(), failed: z.number().int() }),
  }),
});

export type Scenario = z.infer<typeof scenarioSchema> & { name: string };

export const scenariosDir = join(import.meta.dirname, 'scenarios');

export function loadScenarios(): Scenario[] {
  return readdirSync(scenariosDir)
    .filter((file) => file.endsWith('.yaml'))
    .sort()
    .map((file) => {
      const parsed = scenarioSchema.safeParse(parse(readFileSync(join(scenariosDir, file), 'utf8')));
      if (!parsed.success) throw new Error(`${file}: ${z.prettifyError(parsed.error)}`);
      return { ...parsed.data, name: basename(file, '.yaml') };
    });
}

/**
 * What a scenario covers, read from its data: the zone, the interval and alignment of each plan it
 * subscribes to or changes to, the fee timing and pricing of that plan, the aggregation and price
 * model of each of its charges that events are sent for, the price models it previews, and the statuses its expected subscription history enters (checked against the real history).
 */
export function coverageOf(scenario: Scenario): CoveredFacets {
  const zone = scenario.setup.customer.time_zone ?? 'UTC';
  const feeTimingOf = (code: string) => {
    const plan = scenario.setup.plans[code];
    const timing = plan?.fee_timing ?? plan?.extra.fee_timing;
    return typeof timing === 'string' ? timing : 'advance';
  };
  let alignment = 'calendar';
  const facets: ScenarioCoverage[] = [];
  // A charge is covered by invoicing when its metric gets events: the pair of its metric's
  // aggregation and its price model, over the plan's interval.
  const metered = new Set(
    scenario.timeline.flatMap((step) => ('usage' in step ? step.usage : [])).map((e) => e.metric),
  );
  const aggregationOf = (code: unknown) => scenario.setup.metrics.find((m) => m.code === code)?.aggregation;
  for (const step of scenario.timeline) {
    let code: string | undefined;
    if ('subscribe' in step) {
      code = step.subscribe.plan;
      alignment = step.subscribe.billing_mode ?? 'calendar';
    } else if ('change' in step) code = step.change.plan;
    if (code !== undefined) {
      const plan = scenario.setup.plans[code];
      if (!plan) continue;
      facets.push({
        interval: [plan.interval],
        alignment: [alignment],
        feeTiming: [feeTimingOf(code)],
        timeZone: [zone],
        pricingModel: plan.base_price > 0 ? ['base_price'] : [],
      });
      for (const charge of plan.charges) {
        const model = (charge.price as { model?: unknown } | undefined)?.model;
        const aggregation = aggregationOf(charge.metric);
        if (
          !metered.has(String(charge.metric)) ||
          typeof model !== 'string' ||
          typeof aggregation !== 'string'
        )
          continue;
        facets.push({ interval: [plan.interval], pricingModel: [model], aggregation: [aggregation] });
      }
    }
    if ('preview' in step) {
      const plan = scenario.setup.plans[step.preview.plan];
      if (!plan) continue;
      const models = plan.charges
        .map((charge) => (charge.price as { model?: unknown } | undefined)?.model)
        .filter((model): model is string => typeof model === 'string');
      facets.push({ interval: [plan.interval], pricingModel: models });
    }
  }
  facets.push({ lifecycleEvent: [...new Set(scenario.expect.subscription.moves)], timeZone: [zone] });
  return { scenario: scenario.name, facets };
}
