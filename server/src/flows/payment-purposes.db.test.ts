import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Person, type TestApi, testApi } from '../testing/api.js';
import { checkoutWithCard, customerOnTestClock, publishMonthlyPlans } from '../testing/billing.js';
import { engines } from '../testing/databases.js';

/**
 * What the operator's list of an organization's payments says each payment was for: the invoice it
 * paid at checkout with that invoice's lines, the renewal invoice the billing run charged, the open
 * invoices one payment settled together, a payment link's own description; and each refund with
 * its reason.
 */

const losAngeles = {
  name: 'Purposes Inc.',
  email: 'billing@purposes.example',
  address_line1: '1 Market St',
  city: 'San Francisco',
  state: 'CA',
  postal_code: '94105',
  country: 'US',
  time_zone: 'America/Los_Angeles',
};
const DECLINES_OFF_SESSION = '4000000000000341';
const SUCCEEDS = '4242424242424242';
type Invoice = { id: string; number: string; status: string; lines: { description: string }[] };
describe.each(engines())('what payments were for on %s', (engine) => {
  let api: TestApi;
  let operator: Person;
  let plans: Record<'pro', string>;

  beforeAll(async () => {
    api = await testApi(engine);
    operator = await api.signUpOperator();
    plans = await publishMonthlyPlans(api, operator, [['pro', 'Pro', 2000]]);
  });
  afterAll(() => api.close());

  async function customer() {
    const owner = await api.signUp();
    const orgId = owner.personalOrgId;
    const call = (method: 'GET' | 'POST', url: string, body?: object) =>
      api.call({ method, url, as: owner, org: orgId, ...(body ? { body } : {}) });
    const created = await call('POST', '/v1/billing_customer', {
      name: 'Purposes Inc.',
      email: 'billing@purposes.example',
      address_line1: '1 Market St',
      city: 'San Francisco',
      state: 'CA',
      postal_code: '94105',
      country: 'US',
    });
    expect(created.statusCode, created.body).toBe(201);
    return { owner, orgId, call };
  }
  const operatorPayments = async (orgId: string) => {
    const list = await api.call({
      method: 'GET',
      url: `/v1/operator/organizations/${orgId}/payments`,
      as: operator,
    });
    expect(list.statusCode, list.body).toBe(200);
    return list.json().data as {
      id: string;
      status: string;
      description: string;
      invoices: { id: string; number: string | null }[];
      refunds: { amount: number; reason: string }[];
    }[];
  };

  it('names the invoice a checkout paid, with its lines', async () => {
    const who = await customer();
    await checkoutWithCard(api, who, { plan_id: plans.pro });
    const [invoice] = (await who.call('GET', '/v1/invoices')).json().data;
    expect(invoice.number).toBeTruthy();

    const payments = await operatorPayments(who.orgId);
    expect(payments).toHaveLength(1);
    const paid = payments[0];
    expect(paid).toMatchObject({
      invoices: [{ id: invoice.id, number: invoice.number }],
      description: invoice.lines.map((line: { description: string }) => line.description).join('; '),
    });
    expect(paid?.description).toContain('Pro');

    // The same fields reach the organization's own list.
    const own = (await who.call('GET', '/v1/payments')).json().data;
    expect(own.find((p: { id: string }) => p.id === paid?.id)).toMatchObject({
      invoices: [{ number: invoice.number }],
    });
  });

  it('names the renewal invoice the billing run charged off-session, with its lines', async () => {
    // Subscribed on 10 March in Los Angeles; April is invoiced and charged at its local midnight.
    const who = await customerOnTestClock(api, losAngeles, '2027-03-10T20:00:00Z');
    await checkoutWithCard(api, who, { plan_id: plans.pro });
    const moved = await who.advance('2027-04-01T07:00:00Z');
    expect(moved.json().report).toMatchObject({ renewed: 1, charged: 1 });
    const april: Invoice = (await who.call('GET', '/v1/invoices')).json().data[0];
    expect(april).toMatchObject({ status: 'paid' });

    const renewal = (await operatorPayments(who.orgId)).find((p) => p.invoices[0]?.id === april.id);
    expect(renewal).toMatchObject({
      status: 'succeeded',
      invoices: [{ id: april.id, number: april.number }],
      description: april.lines.map((line) => line.description).join('; '),
    });
    // Found by the charge's own payment row, the billing run's path, not by a ledger entry alone.
    const row = await api.database.db
      .selectFrom('payments')
      .select('invoice_id')
      .where('org_id', '=', who.orgId)
      .where('id', '=', renewal?.id ?? '')
      .executeTakeFirstOrThrow();
    expect(row.invoice_id).toBe(april.id);
  });

  it('names every open invoice one payment settled, its description kept short', async () => {
    const kept = await api.call({
      method: 'PATCH',
      url: '/v1/operator/billing_settings',
      as: operator,
      body: { dunning_final_step: 'keep' },
    });
    expect(kept.statusCode, kept.body).toBe(200);
    // From April every charge fails and the unpaid subscription goes on being invoiced: April to
    // July, four open invoices of a line each.
    const who = await customerOnTestClock(api, losAngeles, '2027-03-10T20:00:00Z');
    await checkoutWithCard(api, who, { plan_id: plans.pro });
    const saveCard = async (card: string) => {
      const setup = (await who.call('POST', '/v1/checkout_sessions', { mode: 'setup' })).json();
      await api.payAtTestGateway(setup.url, card);
      await who.call('POST', `/v1/checkout_sessions/${setup.id}/sync`);
    };
    await saveCard(DECLINES_OFF_SESSION);
    expect((await who.advance('2027-07-01T07:00:00Z')).statusCode).toBe(200);
    const open: Invoice[] = (await who.call('GET', '/v1/invoices'))
      .json()
      .data.filter((i: Invoice) => i.status === 'open')
      .sort((a: Invoice, b: Invoice) => a.number.localeCompare(b.number));
    expect(open).toHaveLength(4);
    expect(open.map((i) => i.lines.length)).toEqual([1, 1, 1, 1]);

    await saveCard(SUCCEEDS);
    const paid = await who.call('POST', '/v1/billing/pay', {});
    expect(paid.statusCode, paid.body).toBe(200);
    const together = (await operatorPayments(who.orgId)).find((p) => p.id === paid.json().payment_id);
    const [april, may, june] = open.map((i) => i.lines[0]?.description);
    expect(together).toMatchObject({
      status: 'succeeded',
      invoices: open.map((i) => ({ id: i.id, number: i.number })),
      description: `${april}; ${may}; ${june}; and 1 more line`,
    });
  });

  it("gives a payment link's own description, and lists refunds with their reason", async () => {
    const who = await customer();
    const link = (
      await who.call('POST', '/v1/payment_links', { amount: 1234, description: 'Consulting, March' })
    ).json();
    await api.payAtTestGateway(link.url, '4242424242424242');
    await who.call('POST', `/v1/payment_links/${link.id}/sync`);
    const [payment] = await operatorPayments(who.orgId);
    expect(payment).toMatchObject({ status: 'succeeded', description: 'Consulting, March', invoices: [] });

    const refunded = await api.call({
      method: 'POST',
      url: `/v1/operator/organizations/${who.orgId}/payments/${payment?.id}/refunds`,
      as: operator,
      body: { amount: 234, reason: 'Billed an hour twice' },
    });
    expect(refunded.statusCode, refunded.body).toBe(201);
    const [after] = await operatorPayments(who.orgId);
    expect(after?.refunds).toMatchObject([{ amount: 234, reason: 'Billed an hour twice' }]);
  });
});
