import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Person, type TestApi, testApi } from '../testing/api.js';
import {
  type BillingTestCustomer,
  checkoutWithCard,
  customerOnTestClock,
  publishPlans,
} from '../testing/billing.js';
import { engines } from '../testing/databases.js';
import { createMetrics, ingestKeyOf } from '../testing/metering.js';

/**
 * Usage on invoices (C24), worked out by hand: events sent through the API during a month on a test
 * clock, shown on the upcoming invoice as they arrive, then billed in arrears on the renewal invoice
 * by the plan's charges (a rate card by region, included units, graduated tiers on a peak; a
 * percentage of each payment, bounded per payment; seats and licences held by the day, carried
 * into the next month without new events).
 */

const losAngeles = {
  name: 'Usage Inc.',
  email: 'billing@usage.example',
  address_line1: '1 Market St',
  city: 'San Francisco',
  state: 'CA',
  postal_code: '94105',
  country: 'US',
  time_zone: 'America/Los_Angeles',
};

describe.each(engines())('usage billed on %s', (engine) => {
  let api: TestApi;
  let operator: Person;
  let ingestKey: { apiKey: string };
  let planId: string;
  let paymentsPlanId: string;
  let teamPlanId: string;

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
      {
        code: 'payments',
        name: 'Payments',
        unit: 'USD',
        aggregation: 'sum',
        property: 'amount',
        dimensions: ['method'],
      },
      { code: 'seats', name: 'Seats', unit: 'seat', aggregation: 'sum', property: 'change', recurring: true },
      {
        code: 'licences',
        name: 'Licences',
        unit: 'licence',
        aggregation: 'latest',
        property: 'count',
        recurring: true,
      },
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
    ({ payments: paymentsPlanId, team: teamPlanId } = await publishPlans(api, operator, [
      [
        'payments',
        {
          name: 'Payments',
          base_price: 1000,
          charges: [
            {
              metric: 'payments',
              price: {
                model: 'percentage',
                rate: '2.9',
                fixed_amount: '0.30',
                per_transaction_min_amount: '0.50',
                per_transaction_max_amount: '5.00',
              },
              dimensions: ['method'],
              rates: [
                {
                  dimensions: { method: 'bank' },
                  price: { model: 'percentage', rate: '0.8', per_transaction_max_amount: '5.00' },
                },
              ],
            },
          ],
        },
      ],
      [
        'team',
        {
          name: 'Team',
          base_price: 1000,
          charges: [
            { metric: 'seats', price: { model: 'per_unit', unit_price: '4.00' } },
            {
              metric: 'licences',
              price: {
                model: 'graduated',
                tiers: [
                  { up_to: '5', unit_price: '0' },
                  { up_to: null, unit_price: '2.00' },
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

  const event = (customer: string, id: string, code: string, timestamp: string, properties: object = {}) => ({
    // Event ids are the issuer's: one per customer here.
    event_id: `${customer}:${id}`,
    customer,
    code,
    timestamp,
    properties,
  });
  const send = async (events: object[]) => {
    const sent = await api.call({ method: 'POST', url: '/v1/events/batch', as: ingestKey, body: { events } });
    expect(sent.json().accepted, sent.body).toBe(events.length);
  };
  const usageOf = (lines: { kind: string; description: string; amount: number }[]) =>
    lines.filter((l) => l.kind === 'usage').map((l) => [l.description, l.amount]);
  type Line = { kind: string; description: string; amount: number; quantity: string };
  const cycleInvoices = async (call: BillingTestCustomer['call']) =>
    (await call('GET', '/v1/invoices'))
      .json()
      .data.filter((i: { billing_reason: string }) => i.billing_reason === 'subscription_cycle') as {
      subtotal: number;
      lines: Line[];
    }[];

  it('takes a percentage of each payment, with each payment’s minimum and maximum', async () => {
    const { call, advance, orgId } = await customerOnTestClock(api, losAngeles, '2027-03-01T17:00:00Z');
    await checkoutWithCard(api, { call }, { plan_id: paymentsPlanId });
    const sub = (await call('GET', '/v1/subscriptions')).json().data[0];
    await send([
      event(orgId, 'p1', 'payments', '2027-03-03T18:00:00Z', { amount: '120.00', method: 'card' }),
      event(orgId, 'p2', 'payments', '2027-03-09T18:00:00Z', { amount: '3.50', method: 'card' }),
      event(orgId, 'p3', 'payments', '2027-03-15T18:00:00Z', { amount: 500, method: 'card' }),
      event(orgId, 'p4', 'payments', '2027-03-30T18:00:00Z', { amount: 10, method: 'card' }),
      event(orgId, 'p5', 'payments', '2027-03-12T18:00:00Z', { amount: 1000, method: 'bank' }),
      event(orgId, 'p6', 'payments', '2027-03-20T18:00:00Z', { amount: '50.00', method: 'bank' }),
      // April's: not March's invoice.
      event(orgId, 'p7', 'payments', '2027-04-02T18:00:00Z', { amount: 80, method: 'card' }),
    ]);
    // By hand, card at 2.9% + 0.30, at least 0.50, at most 5.00 a payment: 120 → 3.48 + 0.30 = 3.78;
    // 3.50 → 0.4015 raised to 0.50; 500 → 14.80 cut to 5.00; 10 → 0.59; 9.87 → 987. Bank at 0.8%, at
    // most 5.00: 1000 → 8.00 cut to 5.00; 50 → 0.40; 5.40 → 540. Priced as one payment each, the
    // totals would have been 5.00 and 5.00.
    const expectedUsage = [
      ['Payments · bank', 540],
      ['Payments · card', 987],
    ];
    const upcoming = await call('GET', `/v1/invoices/upcoming?subscription=${sub.id}`);
    expect(upcoming.statusCode, upcoming.body).toBe(200);
    expect(usageOf(upcoming.json().lines)).toEqual(expectedUsage);

    await advance('2027-04-01T12:00:00Z');
    const [april] = await cycleInvoices(call);
    expect(usageOf(april?.lines ?? [])).toEqual(expectedUsage);
    expect(april?.subtotal).toBe(1000 + 987 + 540);
  });

  it('bills seats and licences by the days they are held, and carries them into the next month', async () => {
    const { call, advance, orgId } = await customerOnTestClock(api, losAngeles, '2027-03-01T17:00:00Z');
    await checkoutWithCard(api, { call }, { plan_id: teamPlanId });
    const sub = (await call('GET', '/v1/subscriptions')).json().data[0];
    // Times are 11:00 in Los Angeles (UTC−7 from 14 March; 10:00, UTC−8, before).
    await send([
      event(orgId, 's1', 'seats', '2027-03-01T18:00:00Z', { change: 10 }),
      event(orgId, 's2', 'seats', '2027-03-16T18:00:00Z', { change: 5 }),
      event(orgId, 's3', 'seats', '2027-03-25T18:00:00Z', { change: -3 }),
      // Added and removed on the same day: never held (R29).
      event(orgId, 's4', 'seats', '2027-03-20T18:00:00Z', { change: 2 }),
      event(orgId, 's5', 'seats', '2027-03-20T22:00:00Z', { change: -2 }),
      event(orgId, 'l1', 'licences', '2027-03-01T18:00:00Z', { count: 4 }),
      event(orgId, 'l2', 'licences', '2027-03-11T18:00:00Z', { count: 9 }),
    ]);
    // By hand, March (31 days). Seats: 10 from the 1st (31 days), 5 from the 16th (16 days), 3 fewer
    // from the 25th (7 days): 310 + 80 − 21 = 369 seat-days, 369 / 31 seats at 4.00 = 1476 / 31 =
    // 47.6129 → 4761. Licences: 4 for 10 days, 9 for 21: 40 + 189 = 229 licence-days, 229 / 31
    // licences; the first 5 are free (155 licence-days), 74 / 31 at 2.00 = 4.7742 → 477.
    const march = [
      ['Licences', 477],
      ['Seats', 4761],
    ];
    const upcoming = await call('GET', `/v1/invoices/upcoming?subscription=${sub.id}`);
    expect(upcoming.statusCode, upcoming.body).toBe(200);
    expect(usageOf(upcoming.json().lines)).toEqual(march);

    await advance('2027-04-01T12:00:00Z');
    const [first] = await cycleInvoices(call);
    expect(usageOf(first?.lines ?? [])).toEqual(march);
    expect(first?.subtotal).toBe(1000 + 4761 + 477);
    // The seats line says how many were held over the month.
    expect(first?.lines.find((l) => l.description === 'Seats')?.quantity).toBe('11.903225806452');

    // April: no events. 12 seats and 9 licences are held all month: 12 × 4.00 = 48.00, and
    // (9 − 5) × 2.00 = 8.00; the usage API says what is held.
    const april = [
      ['Licences', 800],
      ['Seats', 4800],
    ];
    const next = await call('GET', `/v1/invoices/upcoming?subscription=${sub.id}`);
    expect(usageOf(next.json().lines)).toEqual(april);
    const summary = (await call('GET', '/v1/usage/summary')).json();
    const held = summary.metrics.map((m: { code: string; total: string }) => [m.code, m.total]);
    expect(held).toEqual(
      expect.arrayContaining([
        ['seats', '12'],
        ['licences', '9'],
      ]),
    );
    await advance('2027-05-01T12:00:00Z');
    const invoices = await cycleInvoices(call);
    expect(invoices).toHaveLength(2);
    const may = invoices.find((i) => i !== first);
    expect(usageOf(may?.lines ?? [])).toEqual(april);
    expect(may?.subtotal).toBe(1000 + 4800 + 800);
  });
});
