import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Person, type TestApi, testApi } from '../testing/api.js';
import { checkoutWithCard, publishMonthlyPlans } from '../testing/billing.js';
import { engines } from '../testing/databases.js';

/**
 * What the operator's list of an organization's payments says each payment was for: the invoice it
 * paid at checkout with that invoice's lines, a payment link's own description; and
 * each refund with its reason.
 */
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
