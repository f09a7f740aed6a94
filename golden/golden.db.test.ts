import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { z } from 'zod';
import { type Person, type TestApi, testApi } from '../server/src/testing/api.js';
import {
  type BillingTestCustomer,
  chargesAtTestGateway,
  customerOnTestClock,
} from '../server/src/testing/billing.js';
import { engines } from '../server/src/testing/databases.js';
import { ingestKeyOf } from '../server/src/testing/metering.js';
import { coverageReport, formatReport, label, uncovered } from './coverage.js';
import { dimensions, enumOptions } from './dimensions.js';
import { type Action, coverageOf, loadScenarios, type Scenario } from './scenario.js';

/**
 * The golden scenarios (golden/scenarios/*.yaml), each run through the public API on a test clock in
 * an organization of its own, its invoices, ledger and gateway charges compared with the expected
 * data to the cent; then the coverage of the model's dimensions, printed, with every promised legal
 * combination required to have a scenario.
 *
 * BILLFOLD_GOLDEN_PRINT=1 prints what each scenario produced, in the data's shape: a start for a new
 * scenario's expectations, each amount of which is then worked out by hand.
 */

const scenarios = loadScenarios();

describe('golden coverage', () => {
  it('has a scenario for every promised legal combination of the model’s dimensions', () => {
    for (const dimension of Object.values(dimensions)) {
      const stale = dimension.promised.filter((value) => !dimension.values.includes(value));
      expect(stale, `${dimension.name}: promised values the model no longer has`).toEqual([]);
    }
    const reports = coverageReport(scenarios.map(coverageOf));
    console.log(`\nGolden scenario coverage (${scenarios.length} scenarios)\n${formatReport(reports)}\n`);
    const gaps = uncovered(reports)
      .filter((gap) => gap.promised)
      .map((gap) => `${gap.table}: ${label(gap.combination)}`);
    expect(gaps, 'promised legal combinations without a scenario').toEqual([]);
  });

  it('reports a value the model gains as uncovered, without failing the run for it', () => {
    const grown = {
      ...dimensions,
      interval: { ...dimensions.interval, values: [...dimensions.interval.values, 'fortnight'] },
    };
    const named = (report: ReturnType<typeof coverageReport>) =>
      uncovered(report).map((gap) => `${gap.table}: ${label(gap.combination)}`);
    const before = new Set(named(coverageReport(scenarios.map(coverageOf))));
    const gaps = uncovered(coverageReport(scenarios.map(coverageOf), grown));
    // Whatever else the model holds that no scenario promises yet, the new value adds exactly these.
    expect(
      named(coverageReport(scenarios.map(coverageOf), grown))
        .filter((gap) => !before.has(gap))
        .sort(),
    ).toEqual(
      [
        ...dimensions.feeTiming.values.flatMap((timing) => [
          `recurring fee: fortnight × calendar × ${timing}`,
          `recurring fee: fortnight × anniversary × ${timing}`,
        ]),
        ...dimensions.pricingModel.values.map((model) => `pricing: ${model} × fortnight`),
        'periods in a zone: UTC × fortnight',
        'periods in a zone: America/Los_Angeles × fortnight',
        'periods in a zone: Asia/Kolkata × fortnight',
      ].sort(),
    );
    expect(gaps.filter((gap) => gap.promised)).toEqual([]);
  });

  it('reads fee timing from the plan’s enum once plans have one', () => {
    const withTiming = { fee_timing: z.enum(['advance', 'arrears']).default('advance') };
    expect(enumOptions(withTiming, 'fee_timing')).toEqual(['advance', 'arrears']);
    expect(enumOptions({ fee_timing: z.enum(['advance', 'arrears']).optional() }, 'fee_timing')).toEqual([
      'advance',
      'arrears',
    ]);
    expect(enumOptions({}, 'fee_timing')).toBeUndefined();
  });
});

describe.each(engines())('golden scenarios on %s', (engine) => {
  let api: TestApi;
  let operator: Person;

  beforeAll(async () => {
    api = await testApi(engine);
    operator = await api.signUpOperator();
  });
  afterAll(() => api.close());

  /** The platform's ingest key, made once per engine when a scenario first sends usage. */
  let ingestKeyMade: Promise<{ apiKey: string }> | undefined;
  const ingestKey = () => {
    ingestKeyMade ??= ingestKeyOf(api, operator);
    return ingestKeyMade;
  };

  const asOperator = (method: 'GET' | 'POST' | 'PATCH', url: string, body?: object) =>
    api.call({ method, url, as: operator, ...(body ? { body } : {}) });

  /** Fails with the answer's body when the API refuses a step: a scenario's setup must all apply. */
  async function ok<T = Record<string, unknown>>(
    step: string,
    answer: Promise<{ statusCode: number; body: string; json(): unknown }>,
  ): Promise<T> {
    const response = await answer;
    if (response.statusCode >= 300) throw new Error(`${step}: ${response.statusCode} ${response.body}`);
    return response.json() as T;
  }

  it.each(scenarios.map((scenario, index) => [scenario.name, scenario, index] as const))(
    '%s',
    async (_name, scenario, index) => {
      const previousSettings = await ok(
        'billing settings',
        asOperator('GET', '/v1/operator/billing_settings'),
      );
      try {
        const { money, previews } = await run(scenario, `g${index}`);
        if (process.env.BILLFOLD_GOLDEN_PRINT) console.log(`${scenario.name}:\n${stringify(money)}`);
        expect({ ...money, previews: previews.actual }).toEqual({
          ...scenario.expect,
          previews: previews.expected,
        });
      } finally {
        const restore = Object.fromEntries(
          Object.keys(scenario.setup.billing_settings).map((key) => [key, previousSettings[key]]),
        );
        if (Object.keys(restore).length > 0)
          await asOperator('PATCH', '/v1/operator/billing_settings', restore);
      }
    },
  );

  /** Runs a scenario's setup and timeline, and reads back what it left, in the expected data's shape. */
  async function run(scenario: Scenario, prefix: string) {
    const { setup } = scenario;
    // Codes are global to the operator's catalog: each scenario's are prefixed to stay its own.
    const metricCode = (code: string) => `${prefix}_${code}`;
    for (const metric of setup.metrics) {
      await ok(
        'metric',
        asOperator('POST', '/v1/operator/metrics', { ...metric, code: metricCode(String(metric.code)) }),
      );
    }
    const plans: Record<string, string> = {};
    for (const [code, plan] of Object.entries(setup.plans)) {
      const created = await ok<{ id: string }>(
        `plan ${code}`,
        asOperator('POST', '/v1/operator/plans', {
          code: `${prefix}_${code}`,
          name: plan.name,
          currency: plan.currency,
          interval: plan.interval,
          base_price: plan.base_price,
          trial_days: plan.trial_days,
          charges: plan.charges.map((charge) => ({ ...charge, metric: metricCode(String(charge.metric)) })),
          ...(plan.fee_timing !== undefined ? { fee_timing: plan.fee_timing } : {}),
          ...(plan.minimum_commitment !== undefined ? { minimum_commitment: plan.minimum_commitment } : {}),
          ...plan.extra,
        }),
      );
      plans[code] = created.id;
    }
    for (const rate of setup.tax_rates)
      await ok('tax rate', asOperator('POST', '/v1/operator/tax_rates', rate));
    if (Object.keys(setup.billing_settings).length > 0) {
      await ok(
        'billing settings',
        asOperator('PATCH', '/v1/operator/billing_settings', setup.billing_settings),
      );
    }

    const customer = await customerOnTestClock(api, setup.customer, setup.clock);
    const previews = { actual: [] as unknown[], expected: [] as unknown[] };
    let subscriptionId: string | undefined;
    for (const [position, step] of scenario.timeline.entries()) {
      const where = `step ${position + 1} (${Object.keys(step)[0]})`;
      subscriptionId = await act(customer, step, plans, subscriptionId, where, previews, metricCode);
    }
    if (!subscriptionId) throw new Error('the timeline subscribes to nothing');
    return { money: await moneyOf(customer, subscriptionId), previews };
  }

  async function act(
    customer: BillingTestCustomer,
    step: Action,
    plans: Record<string, string>,
    subscriptionId: string | undefined,
    where: string,
    previews: { actual: unknown[]; expected: unknown[] },
    metricCode: (code: string) => string,
  ): Promise<string | undefined> {
    const { call } = customer;
    const subscription = () => {
      if (!subscriptionId) throw new Error(`${where}: no subscription yet`);
      return `/v1/subscriptions/${subscriptionId}`;
    };
    if ('subscribe' in step) {
      const { plan, billing_mode, billing_day, card } = step.subscribe;
      const body = {
        plan_id: plans[plan],
        ...(billing_mode ? { billing_mode } : {}),
        ...(billing_day !== undefined ? { billing_day } : {}),
      };
      const session = await ok<{ id: string; url: string | null }>(
        where,
        call('POST', '/v1/checkout_sessions', body),
      );
      // A trial (or a free plan) has nothing to pay: the session completes without the gateway's page.
      if (session.url !== null) await api.payAtTestGateway(session.url, card ?? '4242424242424242');
      await ok(where, call('POST', `/v1/checkout_sessions/${session.id}/sync`));
      const list = await ok<{ data: { id: string; plan_id: string }[] }>(
        where,
        call('GET', '/v1/subscriptions'),
      );
      return list.data.find((s) => s.plan_id === plans[plan])?.id ?? subscriptionId;
    }
    if ('save_card' in step) {
      const setupSession = await ok<{ id: string; url: string }>(
        where,
        call('POST', '/v1/checkout_sessions', { mode: 'setup' }),
      );
      await api.payAtTestGateway(setupSession.url, step.save_card);
      await ok(where, call('POST', `/v1/checkout_sessions/${setupSession.id}/sync`));
    } else if ('advance' in step) await ok(where, customer.advance(step.advance));
    else if ('change' in step) {
      await ok(where, call('POST', `${subscription()}/change`, { plan_id: plans[step.change.plan] }));
    } else if ('cancel' in step) await ok(where, call('POST', `${subscription()}/cancel`, step.cancel));
    else if ('keep' in step) await ok(where, call('POST', `${subscription()}/keep`));
    else if ('pause' in step) await ok(where, call('POST', `${subscription()}/pause`));
    else if ('resume' in step) await ok(where, call('POST', `${subscription()}/resume`));
    else if ('pay' in step) await ok(where, call('POST', '/v1/billing/pay', {}));
    else if ('pay_link' in step) {
      const invoices = await invoicesOf(customer);
      const invoice = invoices[step.pay_link.invoice - 1];
      if (!invoice) throw new Error(`${where}: no invoice ${step.pay_link.invoice}`);
      const link = await ok<{ id: string; url: string }>(
        where,
        call('POST', '/v1/payment_links', { invoice_id: invoice.id }),
      );
      await api.payAtTestGateway(link.url, step.pay_link.card);
      await ok(where, call('POST', `/v1/payment_links/${link.id}/sync`));
    } else if ('usage' in step) {
      const events = step.usage.flatMap((event, e) =>
        Array.from({ length: event.repeat }, (_, i) => ({
          // Unique per scenario (its prefix), step, event and repeat.
          event_id: `${metricCode('step')}${where.replace(/\D+/g, '')}-${e}-${i}`,
          customer: customer.orgId,
          code: metricCode(event.metric),
          timestamp: event.at,
          properties: event.properties,
        })),
      );
      for (let start = 0; start < events.length; start += 1000) {
        const sent = await ok<{ accepted: number }>(
          where,
          api.call({
            method: 'POST',
            url: '/v1/events/batch',
            as: await ingestKey(),
            body: { events: events.slice(start, start + 1000) },
          }),
        );
        const batch = Math.min(1000, events.length - start);
        if (sent.accepted !== batch)
          throw new Error(`${where}: ${sent.accepted} of ${batch} events accepted`);
      }
    } else if ('preview' in step) {
      const { plan, usage, expect: expected } = step.preview;
      const preview = await ok<{ lines: { description: string; amount: number }[]; total: number }>(
        where,
        asOperator('POST', `/v1/operator/plans/${plans[plan]}/preview`, {
          usage: usage.map((u) => ({ ...u, metric: metricCode(u.metric) })),
        }),
      );
      previews.actual.push({
        plan,
        lines: preview.lines.map(({ description, amount }) => ({ description, amount })),
        total: preview.total,
      });
      previews.expected.push({ plan, ...expected });
    }
    return subscriptionId;
  }

  interface InvoiceJson {
    id: string;
    number: string | null;
    billing_reason: string;
    status: string;
    period_start: string;
    period_end: string;
    lines: { description: string; amount: number }[];
    subtotal: number;
    tax: number;
    total: number;
    amount_paid: number;
  }

  const invoicesOf = async (customer: BillingTestCustomer) =>
    (await ok<{ data: InvoiceJson[] }>('invoices', customer.call('GET', '/v1/invoices'))).data.reverse();

  /** The money a scenario left: invoices, ledger, statements, gateway charges and the subscription. */
  async function moneyOf(customer: BillingTestCustomer, subscriptionId: string) {
    const invoices = await invoicesOf(customer);
    // Numbers come from one register shared by every scenario: each is shown by its place in the
    // scenario (INV-#1, INV-#2 ...), and the places must follow the register without a gap.
    const numbered = invoices.filter((invoice) => invoice.number !== null);
    const sequence = numbered.map((invoice) => Number(invoice.number?.split('-').at(-1)));
    expect(sequence, 'invoice numbers follow each other without a gap').toEqual(
      sequence.map((_, i) => (sequence[0] ?? 0) + i),
    );
    const renumber = (text: string) =>
      numbered.reduce(
        (out, invoice, i) =>
          out.replaceAll(
            invoice.number as string,
            `${invoice.number?.split('-').slice(0, -1).join('-')}-#${i + 1}`,
          ),
        text,
      );
    const subscriptions = (
      await ok<{ data: { id: string }[] }>('subscriptions', customer.call('GET', '/v1/subscriptions'))
    ).data.reverse();
    const entries: unknown[] = [];
    const statements: unknown[] = [];
    for (const { id } of subscriptions) {
      const ledger = await ok<{ data: { kind: string; amount: number; description: string }[] }>(
        'ledger',
        customer.call('GET', `/v1/ledger_entries?subscription_id=${id}`),
      );
      entries.push(
        ...ledger.data.map(({ kind, amount, description }) => ({
          kind,
          amount,
          description: renumber(description),
        })),
      );
      const months = await ok<{ data: Record<string, unknown>[] }>(
        'statements',
        customer.call('GET', `/v1/statements?subscription_id=${id}`),
      );
      statements.push(
        ...months.data.reverse().map((s) => ({
          month: s.month,
          status: s.status,
          opening_balance: s.opening_balance,
          credits: s.credits,
          license_charges: s.license_charges,
          usage_charges: s.usage_charges,
          other_charges: s.other_charges,
          closing_balance: s.closing_balance,
        })),
      );
    }
    const sub = await ok<{
      status: string;
      history: { from_status: string | null; to_status: string | null }[];
    }>('subscription', customer.call('GET', `/v1/subscriptions/${subscriptionId}`));
    const mine = new Set(invoices.map((invoice) => invoice.id));
    const charges = (await chargesAtTestGateway(api.database.db)).invoices.filter((c) =>
      mine.has(c.invoiceId),
    );
    return {
      subscription: {
        status: sub.status,
        // Every move between statuses, in the order they happened (also two at one instant).
        moves: sub.history
          .filter((event) => event.to_status !== null && event.to_status !== event.from_status)
          .map((event) => event.to_status),
      },
      invoices: invoices.map((invoice) => ({
        number: invoice.number === null ? 'draft' : renumber(invoice.number),
        billing_reason: invoice.billing_reason,
        status: invoice.status,
        period: `${invoice.period_start} – ${invoice.period_end}`,
        lines: invoice.lines.map(({ description, amount }) => ({ description, amount })),
        subtotal: invoice.subtotal,
        tax: invoice.tax,
        total: invoice.total,
        amount_paid: invoice.amount_paid,
      })),
      ledger: { entries, statements },
      charges: {
        succeeded: charges.reduce((n, c) => n + c.succeeded, 0),
        failed: charges.reduce((n, c) => n + c.failed, 0),
      },
    };
  }
});
