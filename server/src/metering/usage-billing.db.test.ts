import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Person, type TestApi, testApi } from '../testing/api.js';
import { checkoutWithCard, customerOnTestClock, publishPlans } from '../testing/billing.js';
import { engines } from '../testing/databases.js';
import { createMetrics, ingestKeyOf, losAngelesCustomer as losAngeles } from '../testing/metering.js';

/**
 * Usage on invoices (C24), worked out by hand: events sent through the API during a month on a test
 * clock, shown on the upcoming invoice as they arrive, then billed in arrears on the renewal invoice
 * by the plan's charges (a rate card by region, included units, graduated tiers on a peak).
 */

describe.each(engines())('usage billed on %s', (engine) => {
  let api: TestApi;
  let operator: Person;
  let ingestKey: { apiKey: string };
  let planId: string;

  beforeAll(async () => {
    api = await testApi(engine);
    operator = await api.signUpOperator();
    await createMetrics(api, operator, [
      {
        code: 'machine_hours',
        name: 'Machine hours',
        unit: 'hour',
        aggregation: 'sum',
        property: 'hours',
        dimensions: ['region'],
      },
      { code: 'runs', name: 'Runs', unit: 'run', aggregation: 'count' },
      { code: 'storage_gb', name: 'Storage', unit: 'GB', aggregation: 'max', property: 'gb' },
    ]);
    ({ metered: planId } = await publishPlans(api, operator, [
      [
        'metered',
        {
          name: 'Metered',
          base_price: 1000,
          charges: [
            {
              metric: 'machine_hours',
              price: { model: 'per_unit', unit_price: '0.5' },
              dimensions: ['region'],
              rates: [{ dimensions: { region: 'eu' }, price: { model: 'per_unit', unit_price: '0.75' } }],
            },
            { metric: 'runs', price: { model: 'per_unit', unit_price: '0.1' }, included_quantity: '10' },
            {
              metric: 'storage_gb',
              price: {
                model: 'graduated',
                tiers: [
                  { up_to: '100', unit_price: '0' },
                  { up_to: null, unit_price: '0.05' },
                ],
              },
            },
          ],
        },
      ],
    ]));
    ingestKey = await ingestKeyOf(api, operator);
  });
  afterAll(() => api.close());

  it('prices the period’s usage on the upcoming invoice and bills it at the renewal', async () => {
    const { call, advance, orgId } = await customerOnTestClock(api, losAngeles, '2027-03-01T17:00:00Z');
    await checkoutWithCard(api, { call }, { plan_id: planId });
    const sub = (await call('GET', '/v1/subscriptions')).json().data[0];
    const event = (id: string, code: string, timestamp: string, properties: object = {}) => ({
      event_id: id,
      customer: orgId,
      code,
      timestamp,
      properties,
    });
    const sent = await api.call({
      method: 'POST',
      url: '/v1/events/batch',
      as: ingestKey,
      body: {
        events: [
          event('h1', 'machine_hours', '2027-03-02T10:00:00Z', { hours: 6, region: 'us' }),
          event('h2', 'machine_hours', '2027-03-20T10:00:00Z', { hours: '4.5', region: 'us' }),
          event('h3', 'machine_hours', '2027-03-21T10:00:00Z', { hours: 4, region: 'eu' }),
          ...Array.from({ length: 15 }, (_, i) => event(`r${i}`, 'runs', '2027-03-10T12:00:00Z')),
          event('s1', 'storage_gb', '2027-03-05T00:00:00Z', { gb: 150 }),
          event('s2', 'storage_gb', '2027-03-25T00:00:00Z', { gb: 230 }),
          // April's: not March's invoice.
          event('h4', 'machine_hours', '2027-04-02T10:00:00Z', { hours: 100, region: 'us' }),
        ],
      },
    });
    expect(sent.json().accepted).toBe(21);

    // By hand: us 10.5 h × 0.50 = 5.25; eu 4 h × 0.75 = 3.00; runs (15 − 10) × 0.10 = 0.50;
    // storage peak 230 GB, the first 100 free, 130 × 0.05 = 6.50. Usage 15.25, and April's fee 10.00.
    const expectedUsage = [
      ['Machine hours · eu', 300],
      ['Machine hours · us', 525],
      ['Runs', 50],
      ['Storage', 650],
    ];
    const upcoming = await call('GET', `/v1/invoices/upcoming?subscription=${sub.id}`);
    expect(upcoming.statusCode, upcoming.body).toBe(200);
    const usageOf = (lines: { kind: string; description: string; amount: number }[]) =>
      lines.filter((l) => l.kind === 'usage').map((l) => [l.description, l.amount]);
    expect(usageOf(upcoming.json().lines)).toEqual(expectedUsage);
    // The subscription's next payment says the same: its fee and the usage so far.
    const detail = (await call('GET', `/v1/subscriptions/${sub.id}`)).json();
    expect(detail.next_invoice.total).toBe(upcoming.json().total);
    expect(upcoming.json().subtotal).toBe(1000 + 1525);

    await advance('2027-04-01T12:00:00Z');
    const invoices = (await call('GET', '/v1/invoices')).json().data;
    const april = invoices.find((i: { billing_reason: string }) => i.billing_reason === 'subscription_cycle');
    expect(usageOf(april.lines)).toEqual(expectedUsage);
    const fee = april.lines.filter((l: { kind: string }) => l.kind === 'license');
    expect(fee.map((l: { amount: number }) => l.amount)).toEqual([1000]);
    expect(april.subtotal).toBe(1000 + 1525);
  });
});
