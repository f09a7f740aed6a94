import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Person, type TestApi, testApi } from '../testing/api.js';
import { countRows, engines } from '../testing/databases.js';

/** The catalog through the API: metrics, plans with limits and usage prices, versions, previews. */

const catalogTables = ['features', 'metrics', 'plans', 'plan_versions', 'plan_audiences', 'audit_events'];

const graduatedPlan = {
  code: 'team',
  name: 'Team',
  description: 'For growing teams',
  currency: 'USD',
  interval: 'month',
  base_price: 4900,
  trial_days: 14,
  limits: [
    { feature: 'computations', mode: 'hard', limit: 50 },
    { feature: 'members', mode: 'soft', limit: 10 },
    { feature: 'storage_gb', mode: 'hard', limit: null },
  ],
  charges: [
    {
      metric: 'computations',
      included_quantity: '100',
      price: {
        model: 'graduated',
        tiers: [
          { up_to: '1000', unit_price: '0.05' },
          { up_to: null, unit_price: '0.0125', flat_price: '2' },
        ],
      },
    },
    {
      metric: 'machine_hours',
      price: { model: 'per_unit', unit_price: '0.0125' },
      dimensions: ['machine_type'],
      rates: [{ dimensions: { machine_type: 'gpu' }, price: { model: 'per_unit', unit_price: '1.75' } }],
    },
  ],
};

describe.each(engines())('catalog on %s', (engine) => {
  let api: TestApi;
  let operator: Person;

  beforeAll(async () => {
    api = await testApi(engine);
    operator = await api.signUpOperator();
    for (const metric of [
      { code: 'computations', name: 'Computations', unit: 'computation', aggregation: 'count' },
      {
        code: 'machine_hours',
        name: 'Machine hours',
        unit: 'hour',
        aggregation: 'time_weighted_sum',
        property: 'machines',
        dimensions: ['machine_type', 'region'],
      },
      { code: 'peak_storage', name: 'Peak storage', unit: 'GB', aggregation: 'max', property: 'gb' },
      { code: 'payments', name: 'Payments', unit: 'USD', aggregation: 'sum', property: 'amount' },
      { code: 'seats', name: 'Seats', unit: 'seat', aggregation: 'sum', property: 'change', recurring: true },
    ]) {
      const created = await api.call({
        method: 'POST',
        url: '/v1/operator/metrics',
        as: operator,
        body: metric,
      });
      expect(created.statusCode, created.body).toBe(201);
    }
  });
  afterAll(() => api.close());

  const createPlan = (body: object) =>
    api.call({ method: 'POST', url: '/v1/operator/plans', as: operator, body });
  const snapshot = async () =>
    Object.fromEntries(
      await Promise.all(catalogTables.map(async (t) => [t, await countRows(api.database, t)])),
    );

  it('ships a Free default plan and an Unbilled plan', async () => {
    const list = await api.call({ method: 'GET', url: '/v1/operator/plans?limit=100', as: operator });
    const codes = list.json().data.map((p: { code: string }) => p.code);
    expect(codes).toEqual(expect.arrayContaining(['free', 'unbilled']));
    const free = list.json().data.find((p: { code: string }) => p.code === 'free');
    expect(free).toMatchObject({ is_default: true, version: { version: 1, base_price: 0 } });
  });

  it('publishes a graduated plan with limits and a rate card, and previews its price', async () => {
    const created = await createPlan(graduatedPlan);
    expect(created.statusCode, created.body).toBe(201);
    const plan = created.json();
    expect(plan).toMatchObject({
      code: 'team',
      currency: 'USD',
      interval: 'month',
      version: { version: 1, base_price: 4900, trial_days: 14, fee_timing: 'advance', minimum_commitment: 0 },
    });
    expect(plan.version.limits).toContainEqual({
      feature: 'members',
      name: 'Workspace members',
      unit: 'members',
      mode: 'soft',
      limit: 10,
    });

    // 1,250 computations, 100 included: 1,150 billable = 1,000 × 0.05 + (150 × 0.0125 + 2 flat)
    // = 50 + 3.875 = 53.875 → $53.88.
    // 300 machine hours: 280 standard × 0.0125 = 3.50; 20 gpu × 1.75 = 35.00.
    const preview = await api.call({
      method: 'POST',
      url: `/v1/operator/plans/${plan.id}/preview`,
      as: operator,
      body: {
        usage: [
          { metric: 'computations', quantity: '1250' },
          { metric: 'machine_hours', quantity: '280', dimensions: { machine_type: 'standard' } },
          { metric: 'machine_hours', quantity: '20', dimensions: { machine_type: 'gpu' } },
        ],
      },
    });
    expect(preview.statusCode, preview.body).toBe(200);
    const lines = preview
      .json()
      .lines.map((l: { description: string; amount: number }) => [l.description, l.amount]);
    expect(lines).toEqual([
      ['Team (monthly fee)', 4900],
      ['Computations', 5388],
      ['Machine hours · gpu', 3500],
      ['Machine hours · standard', 350],
    ]);
    expect(preview.json().total).toBe(4900 + 5388 + 3500 + 350);
  });

  it('previews terms being edited before they are saved, a line per tier, and checks them as a plan’s', async () => {
    const before = await snapshot();
    const { name, currency, interval, base_price, limits, charges } = graduatedPlan;
    const terms = { name, currency, interval, base_price, limits, charges };
    const draft = await api.call({
      method: 'POST',
      url: '/v1/operator/price_previews',
      as: operator,
      body: { ...terms, usage: [{ metric: 'computations', quantity: '1250' }] },
    });
    expect(draft.statusCode, draft.body).toBe(200);
    expect(draft.json()).toMatchObject({ plan_id: null, version: null, total: 4900 + 5388 });
    // 1,150 billable: 1,000 at 0.05 in the first tier, 150 at 0.0125 plus 2.00 flat in the second.
    expect(draft.json().lines[1].tiers).toEqual([
      { from: '0', to: '1000', quantity: '1000', unit_price: '0.05', flat_price: '0', subtotal: '50' },
      { from: '1000', to: null, quantity: '150', unit_price: '0.0125', flat_price: '2', subtotal: '3.875' },
    ]);
    const unknown = await api.call({
      method: 'POST',
      url: '/v1/operator/price_previews',
      as: operator,
      body: { ...terms, charges: [{ metric: 'nope', price: { model: 'per_unit', unit_price: '1' } }] },
    });
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().error.param).toBe('charges.0.metric');
    expect(await snapshot()).toEqual(before);
  });

  it('accepts volume tiers whose total falls at a boundary, and previews both sides of it', async () => {
    // Stripe's published volume example: 1–5 units at 7.00, 6–10 at 6.50, 11 and more at 6.00.
    const created = await createPlan({
      ...graduatedPlan,
      code: 'volume_steps',
      base_price: 0,
      limits: [],
      charges: [
        {
          metric: 'computations',
          price: {
            model: 'volume',
            tiers: [
              { up_to: '5', unit_price: '7' },
              { up_to: '10', unit_price: '6.5' },
              { up_to: null, unit_price: '6' },
            ],
          },
        },
      ],
    });
    expect(created.statusCode, created.body).toBe(201);
    const preview = async (quantity: string) =>
      (
        await api.call({
          method: 'POST',
          url: `/v1/operator/plans/${created.json().id}/preview`,
          as: operator,
          body: { usage: [{ metric: 'computations', quantity }] },
        })
      ).json().total;
    // 5 × 7.00 = 35.00; 6 × 6.50 = 39.00; 10 × 6.50 = 65.00; 11 × 6.00 = 66.00.
    expect(await Promise.all(['5', '6', '10', '11'].map(preview))).toEqual([3500, 3900, 6500, 6600]);
  });

  it('filters the plan list', async () => {
    await createPlan({
      ...graduatedPlan,
      code: 'team_inr',
      name: 'Team India',
      currency: 'INR',
      base_price: 399900,
    });
    const inr = await api.call({ method: 'GET', url: '/v1/operator/plans?currency=INR', as: operator });
    expect(inr.json().data.map((p: { code: string }) => p.code)).toEqual(['team_inr']);
    const search = await api.call({ method: 'GET', url: '/v1/operator/plans?q=india', as: operator });
    expect(search.json().data.map((p: { code: string }) => p.code)).toEqual(['team_inr']);
    const page = await api.call({ method: 'GET', url: '/v1/operator/plans?limit=1', as: operator });
    expect(page.json()).toMatchObject({ has_more: true });
    const next = await api.call({
      method: 'GET',
      url: `/v1/operator/plans?limit=100&starting_after=${page.json().data[0].id}`,
      as: operator,
    });
    expect(next.json().data.map((p: { id: string }) => p.id)).not.toContain(page.json().data[0].id);
  });

  it.each([
    ['a negative base price', { base_price: -100 }, 'request.invalid', 'base_price'],
    ['a fractional base price', { base_price: 10.5 }, 'request.invalid', 'base_price'],
    [
      'a negative unit price',
      { charges: [{ metric: 'computations', price: { model: 'per_unit', unit_price: '-0.01' } }] },
      'request.invalid',
      'charges.0.price.unit_price',
    ],
    [
      'unordered tiers',
      {
        charges: [
          {
            metric: 'computations',
            price: {
              model: 'graduated',
              tiers: [
                { up_to: '1000', unit_price: '0.05' },
                { up_to: '500', unit_price: '0.04' },
                { up_to: null, unit_price: '0.03' },
              ],
            },
          },
        ],
      },
      'price.tiers_unordered',
      'charges.0.price.tiers.1.up_to',
    ],
    [
      'overlapping tiers',
      {
        charges: [
          {
            metric: 'computations',
            price: {
              model: 'volume',
              tiers: [
                { up_to: '100', unit_price: '1' },
                { up_to: '100', unit_price: '1' },
                { up_to: null, unit_price: '1' },
              ],
            },
          },
        ],
      },
      'price.tiers_unordered',
      'charges.0.price.tiers.1.up_to',
    ],
    ['an unknown currency', { currency: 'XYZ' }, 'request.invalid', 'currency'],
    [
      'a limit on an unknown feature',
      { limits: [{ feature: 'gpus', mode: 'hard', limit: 4 }] },
      'limit.unknown_feature',
      'limits.0.feature',
    ],
    [
      'a package price on a max aggregation',
      {
        charges: [
          { metric: 'peak_storage', price: { model: 'package', package_size: '100', package_price: '5' } },
        ],
      },
      'charge.aggregation_unfit',
      'charges.0.price.model',
    ],
    [
      'rates by a dimension the metric does not have',
      {
        charges: [
          { metric: 'machine_hours', price: { model: 'per_unit', unit_price: '1' }, dimensions: ['pool'] },
        ],
      },
      'charge.unknown_dimension',
      'charges.0.dimensions',
    ],
    [
      'a charge on an unknown metric',
      { charges: [{ metric: 'api_calls', price: { model: 'per_unit', unit_price: '1' } }] },
      'charge.unknown_metric',
      'charges.0.metric',
    ],
    [
      'a default plan with a price',
      { is_default: true, base_price: 100 },
      'plan.default_priced',
      'base_price',
    ],
    [
      'a default plan with a minimum commitment',
      { is_default: true, base_price: 0, minimum_commitment: 500 },
      'plan.default_priced',
      'minimum_commitment',
    ],
    [
      'a percentage rate above 100',
      { charges: [{ metric: 'payments', price: { model: 'percentage', rate: '100.5' } }] },
      'price.rate',
      'charges.0.price.rate',
    ],
    [
      'a percentage rate with 5 decimals',
      { charges: [{ metric: 'payments', price: { model: 'percentage', rate: '2.90001' } }] },
      'price.rate',
      'charges.0.price.rate',
    ],
    [
      'a negative fixed amount per transaction',
      {
        charges: [{ metric: 'payments', price: { model: 'percentage', rate: '2.9', fixed_amount: '-0.30' } }],
      },
      'request.invalid',
      'charges.0.price.fixed_amount',
    ],
    [
      'a minimum fee per transaction above the maximum',
      {
        charges: [
          {
            metric: 'payments',
            price: {
              model: 'percentage',
              rate: '2.9',
              per_transaction_min_amount: '5',
              per_transaction_max_amount: '1',
            },
          },
        ],
      },
      'price.min_above_max',
      'charges.0.price.per_transaction_min_amount',
    ],
    [
      'a percentage with an included quantity',
      {
        charges: [
          { metric: 'payments', included_quantity: '100', price: { model: 'percentage', rate: '1' } },
        ],
      },
      'price.percentage_included',
      'charges.0.included_quantity',
    ],
    [
      'a percentage of a recurring metric',
      { charges: [{ metric: 'seats', price: { model: 'percentage', rate: '1' } }] },
      'charge.aggregation_unfit',
      'charges.0.price.model',
    ],
    [
      'a percentage of a count',
      { charges: [{ metric: 'computations', price: { model: 'percentage', rate: '1' } }] },
      'charge.aggregation_unfit',
      'charges.0.price.model',
    ],
    [
      'a peak billed in advance',
      {
        charges: [
          { metric: 'peak_storage', pay_in_advance: true, price: { model: 'per_unit', unit_price: '1' } },
        ],
      },
      'charge.advance_unfit',
      'charges.0.pay_in_advance',
    ],
    ['an unknown fee timing', { fee_timing: 'monthly' }, 'request.invalid', 'fee_timing'],
    ['a negative minimum', { minimum_commitment: -1 }, 'request.invalid', 'minimum_commitment'],
  ])('refuses %s with a 400 and writes nothing', async (_name, change, code, param) => {
    const before = await snapshot();
    const response = await createPlan({
      ...graduatedPlan,
      code: 'bad_plan',
      charges: [],
      limits: [],
      ...change,
    });
    expect(response.statusCode, response.body).toBe(400);
    expect(response.json().error).toMatchObject({ code, param });
    expect(await snapshot()).toEqual(before);
  });

  it('shows which metrics are recurring, and refuses the flag where nothing is held', async () => {
    const list = await api.call({ method: 'GET', url: '/v1/operator/metrics', as: operator });
    const recurring = list
      .json()
      .data.map((m: { code: string; recurring: boolean }) => [m.code, m.recurring]);
    expect(recurring).toEqual(
      expect.arrayContaining([
        ['seats', true],
        ['payments', false],
      ]),
    );
    for (const aggregation of ['count', 'max', 'unique_count', 'time_weighted_sum']) {
      const before = await snapshot();
      const refused = await api.call({
        method: 'POST',
        url: '/v1/operator/metrics',
        as: operator,
        body: {
          code: `held_${aggregation}`,
          name: 'Held',
          unit: 'unit',
          aggregation,
          ...(aggregation === 'count' ? {} : { property: 'value' }),
          recurring: true,
        },
      });
      expect(refused.statusCode, refused.body).toBe(400);
      expect(refused.json().error).toMatchObject({
        code: 'metric.recurring_aggregation',
        param: 'recurring',
      });
      expect(await snapshot()).toEqual(before);
    }
  });

  it('refuses a second plan with the same code', async () => {
    const response = await createPlan({ ...graduatedPlan, charges: [], limits: [] });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.code).toBe('plan.code_taken');
  });

  it('refuses an unfit edit without publishing a version', async () => {
    const plan = (await createPlan({ ...graduatedPlan, code: 'edit_me', charges: [] })).json();
    const before = await snapshot();
    const response = await api.call({
      method: 'POST',
      url: `/v1/operator/plans/${plan.id}`,
      as: operator,
      body: { limits: [{ feature: 'nope', mode: 'hard', limit: 1 }] },
    });
    expect(response.json().error.code).toBe('limit.unknown_feature');
    expect(await snapshot()).toEqual(before);
  });

  it('publishes a new version when the fee timing or the minimum changes, keeping the old terms', async () => {
    const plan = (await createPlan({ ...graduatedPlan, code: 'terms', charges: [] })).json();
    const edited = await api.call({
      method: 'POST',
      url: `/v1/operator/plans/${plan.id}`,
      as: operator,
      body: { fee_timing: 'arrears', minimum_commitment: 10_000 },
    });
    expect(edited.statusCode, edited.body).toBe(200);
    expect(edited.json().version).toMatchObject({
      version: 2,
      fee_timing: 'arrears',
      minimum_commitment: 10_000,
      base_price: 4900,
    });
    const versions = await api.call({
      method: 'GET',
      url: `/v1/operator/plans/${plan.id}/versions`,
      as: operator,
    });
    const first = versions.json().data.find((v: { version: number }) => v.version === 1);
    expect(first).toMatchObject({ fee_timing: 'advance', minimum_commitment: 0 });
  });

  it('disables and enables a plan, but never the default one', async () => {
    const plan = (await createPlan({ ...graduatedPlan, code: 'seasonal', charges: [] })).json();
    const disabled = await api.call({
      method: 'POST',
      url: `/v1/operator/plans/${plan.id}/disable`,
      as: operator,
    });
    expect(disabled.json()).toMatchObject({ disabled: true });
    const active = await api.call({ method: 'GET', url: '/v1/operator/plans?limit=100', as: operator });
    expect(active.json().data.map((p: { id: string }) => p.id)).not.toContain(plan.id);
    const enabled = await api.call({
      method: 'POST',
      url: `/v1/operator/plans/${plan.id}/enable`,
      as: operator,
    });
    expect(enabled.json()).toMatchObject({ disabled: false, disabled_at: null });

    const free = (await api.call({ method: 'GET', url: '/v1/operator/plans?q=free', as: operator })).json()
      .data[0];
    const refused = await api.call({
      method: 'POST',
      url: `/v1/operator/plans/${free.id}/disable`,
      as: operator,
    });
    expect(refused.json().error.code).toBe('plan.default_disabled');
  });

  it('names new features plans can then limit', async () => {
    const created = await api.call({
      method: 'POST',
      url: '/v1/operator/features',
      as: operator,
      body: { code: 'gpus', name: 'GPUs', unit: 'GPUs' },
    });
    expect(created.statusCode).toBe(201);
    const plan = await createPlan({
      ...graduatedPlan,
      code: 'gpu_plan',
      charges: [],
      limits: [{ feature: 'gpus', mode: 'hard', limit: 4 }],
    });
    expect(plan.statusCode, plan.body).toBe(201);
  });
});
