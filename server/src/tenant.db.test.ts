import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Ctx, silentLogger } from './context.js';
import { quotePlanCheckout } from './flows/checkout.js';
import { subscribeToPlan } from './flows/subscription-billing.js';
import { cancelSubscription } from './flows/subscription-lifecycle.js';
import { customerContext, scoped, type TenantCtx, tenantContext } from './tenant.js';
import { type Person, type TestApi, testApi } from './testing/api.js';
import { customerOnTestClock, publishMonthlyPlans } from './testing/billing.js';
import { engines } from './testing/databases.js';

/**
 * The tenant context: a customer's billing runs on its own clock (its test clock's frozen time), and
 * a query made through `scoped` reaches only its tenant's rows.
 */

const customer = {
  name: 'Tenant Inc.',
  email: 'billing@tenant.example',
  address_line1: '1 Market St',
  city: 'San Francisco',
  state: 'CA',
  postal_code: '94105',
  country: 'US',
  time_zone: 'America/Los_Angeles',
};

/**
 * Functions that bill with time take a CustomerCtx, which only `customerContext` makes: a plain
 * tenant context (the platform's clock) does not typecheck. Checked by `tsc`; never called.
 */
export function billingWithoutTheCustomersClockDoesNotTypecheck(tenant: TenantCtx) {
  return [
    // @ts-expect-error a quote is made on the customer's clock
    () => quotePlanCheckout(tenant, 'plan_x'),
    // @ts-expect-error a subscription starts on the customer's clock
    () => subscribeToPlan(tenant, { plan: undefined as never, quotedAt: tenant.clock.now(), reason: '' }),
    // @ts-expect-error a cancellation credits the unused days up to the customer's now
    () => cancelSubscription(tenant, 'sub_x', { reason: '' }),
  ];
}

describe.each(engines())('the tenant context on %s', (engine) => {
  let api: TestApi;
  let operator: Person;
  let proId: string;

  beforeAll(async () => {
    api = await testApi(engine);
    operator = await api.signUpOperator();
    ({ pro: proId } = await publishMonthlyPlans(api, operator, [['pro', 'Pro', 9900]]));
  });
  afterAll(() => api.close());

  const systemCtx = (): Ctx => ({
    db: api.database.db,
    clock: api.clock,
    log: silentLogger,
    actor: { type: 'system', id: 'tenant-test' },
    requestId: 'tenant-test',
  });

  it("quotes a customer on a test clock at the test clock's time, not the platform's", async () => {
    // The platform's clock says 2027-01-15; the customer's test clock says 2027-03-10.
    const who = await customerOnTestClock(api, customer, '2027-03-10T20:00:00Z');
    expect(api.clock.now().toString()).not.toBe('2027-03-10T20:00:00Z');
    const quote = await who.call('POST', '/v1/checkout_quotes', { plan_id: proId });
    expect(quote.statusCode, quote.body).toBe(200);
    // March 10 (local) to April 1: 22 of March's 31 days of 99.00.
    expect(quote.json()).toMatchObject({
      period_start: '2027-03-10T20:00:00.000Z',
      period_end: '2027-04-01T07:00:00.000Z',
      total: 7026,
    });

    // The clock moved: the next quote is made at its new time.
    expect((await who.advance('2027-03-20T20:00:00Z')).statusCode).toBe(200);
    const later = (await who.call('POST', '/v1/checkout_quotes', { plan_id: proId })).json();
    // 12 of March's 31 days of 99.00 = 38.32.
    expect(later).toMatchObject({ period_start: '2027-03-20T20:00:00.000Z', total: 3832 });

    // The context the API builds says the same.
    const row = await api.database.db
      .selectFrom('billing_customers')
      .selectAll()
      .where('org_id', '=', who.orgId)
      .executeTakeFirstOrThrow();
    const cctx = await customerContext(systemCtx(), row);
    expect(cctx.clock.now().toString()).toBe('2027-03-20T20:00:00Z');
    expect(cctx.tenant).toEqual({ orgId: who.orgId, issuerId: 'org_platform' });
  });

  it("reads, changes and deletes only its tenant's rows", async () => {
    const mine = await customerOnTestClock(api, customer, '2027-03-10T20:00:00Z');
    const theirs = await customerOnTestClock(api, customer, '2027-03-10T20:00:00Z');
    const tenant = tenantContext(systemCtx(), mine.orgId);
    const clocks = await scoped(tenant).selectFrom('test_clocks').select(['id', 'org_id']).execute();
    expect(clocks).toEqual([{ id: mine.clockId, org_id: mine.orgId }]);

    // Another organization's clock, named by its id, is out of reach.
    const renamed = await scoped(tenant)
      .updateTable('test_clocks')
      .set({ name: 'Not mine' })
      .where('id', '=', theirs.clockId)
      .executeTakeFirst();
    expect(renamed.numUpdatedRows).toBe(0n);
    const removed = await scoped(tenant)
      .deleteFrom('test_clocks')
      .where('id', '=', theirs.clockId)
      .executeTakeFirst();
    expect(removed.numDeletedRows).toBe(0n);
    const still = await api.database.db
      .selectFrom('test_clocks')
      .select('name')
      .where('id', '=', theirs.clockId)
      .executeTakeFirstOrThrow();
    expect(still.name).not.toBe('Not mine');
  });

  it('answers organization.required when an operator names no organization to act on', async () => {
    // An operator holds billing.read without an organization: the route's tenant is what refuses.
    const response = await api.call({ method: 'GET', url: '/v1/subscriptions', as: operator });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.code).toBe('organization.required');
  });
});
