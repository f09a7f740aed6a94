import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listAuditEvents } from '../access/index.js';
import { silentLogger } from '../context.js';
import { StatementCounter } from '../db/counting.js';
import { tenantContext } from '../tenant.js';
import { type Person, type TestApi, testApi } from '../testing/api.js';
import {
  type BillingTestCustomer,
  checkoutWithCard,
  customerOnTestClock,
  publishMonthlyPlans,
} from '../testing/billing.js';
import { engines } from '../testing/databases.js';

/**
 * The audit log as people read it: each event says in a sentence who did what to which, with the
 * actor's name, amounts in their currency and the reason given; the names of a page are read in one
 * statement however many people it shows.
 */

const customerDetails = {
  name: 'Reyes Analytics',
  email: 'billing@reyes.example',
  address_line1: '1 Market St',
  city: 'San Francisco',
  state: 'CA',
  postal_code: '94105',
  country: 'US',
  time_zone: 'America/Los_Angeles',
};

describe.each(engines())('audit log sentences on %s', (engine) => {
  let api: TestApi;
  let operator: Person;
  let dana: Person;
  let customer: BillingTestCustomer;
  let checkoutId: string;

  beforeAll(async () => {
    api = await testApi(engine);
    operator = await api.signUpOperator({ name: 'Otto Operator' });
    dana = await api.signUp({ name: 'Dana Reyes' });
    const plans = await publishMonthlyPlans(api, operator, [['pro', 'Pro', 2000]]);
    customer = await customerOnTestClock(api, customerDetails, '2027-03-01T09:00:00Z', dana);
    checkoutId = (await checkoutWithCard(api, customer, { plan_id: plans.pro })).id;
  });
  afterAll(() => api.close());

  const operatorCall = (url: string, body: object) =>
    api.call({
      method: 'POST',
      url: `/v1/operator/organizations/${customer.orgId}${url}`,
      as: operator,
      body,
    });

  async function summaryOf(action: string, targetId: string): Promise<string> {
    const events = await customer.call('GET', `/v1/audit_events?action=${action}&target_id=${targetId}`);
    expect(events.statusCode, events.body).toBe(200);
    const [event] = events.json().data;
    return event.summary;
  }

  it('says who refunded how much of which payment, and why', async () => {
    const [payment] = (await customer.call('GET', '/v1/payments')).json().data;
    const refund = await operatorCall(`/payments/${payment.id}/refunds`, {
      amount: 1250,
      reason: 'duplicate',
    });
    expect(refund.statusCode, refund.body).toBe(201);
    // The operator is not a member of the customer's organization: its log does not name them.
    expect(await summaryOf('refund.created', payment.id)).toBe(
      `A Billfold operator refunded $12.50 of payment ${payment.id}: duplicate`,
    );
  });

  it('says whose role changed, from what to what', async () => {
    const ravi = await api.signUp({ name: 'Ravi Kumar' });
    const invitation = await customer.call('POST', '/v1/invitations', { email: ravi.email, role: 'member' });
    const token = invitation.json().url.split('/invite/')[1];
    const accepted = await api.call({
      method: 'POST',
      url: '/v1/invitations/accept',
      as: ravi,
      body: { token },
    });
    expect(accepted.statusCode, accepted.body).toBe(200);
    const changed = await customer.call('POST', `/v1/members/${ravi.userId}`, { role: 'admin' });
    expect(changed.statusCode, changed.body).toBe(200);
    expect(await summaryOf('member.role_changed', ravi.userId)).toBe(
      'Dana Reyes changed Ravi Kumar’s role from member to admin',
    );
    expect(await summaryOf('member.joined', ravi.userId)).toBe(
      'Ravi Kumar joined the organization as a member, by invitation',
    );
  });

  it('says which invoice was voided, by its number, and why', async () => {
    // A card that declines off-session leaves April's renewal open.
    const setup = (await customer.call('POST', '/v1/checkout_sessions', { mode: 'setup' })).json();
    await api.payAtTestGateway(setup.url, '4000000000000341');
    await customer.call('POST', `/v1/checkout_sessions/${setup.id}/sync`);
    await customer.advance('2027-04-01T07:00:00Z');
    const open = (await customer.call('GET', '/v1/invoices')).json().data[0];
    expect(open).toMatchObject({ status: 'open', billing_reason: 'subscription_cycle' });
    const voided = await operatorCall(`/invoices/${open.id}/void`, { reason: 'billed twice' });
    expect(voided.statusCode, voided.body).toBe(200);
    expect(await summaryOf('invoice.voided', open.id)).toBe(
      `A Billfold operator voided invoice ${open.number}: billed twice`,
    );
  });

  it('reads the names of a page in one statement, however many people it shows', async () => {
    const counter = new StatementCounter();
    const ctx = tenantContext(
      {
        db: counter.counting(api.database.db),
        clock: api.clock,
        log: silentLogger,
        actor: { type: 'system', id: 'test' },
        requestId: 'req_audit_test',
      },
      customer.orgId,
    );
    const page = await listAuditEvents(ctx, { limit: 100 });
    const actors = new Set(page.data.map((event) => event.actor_id));
    expect(actors.size).toBe(3);
    // The page, then every name it needs: its people's, its plans', its invoices' numbers.
    expect(counter.statements).toBe(2);
    const sentences = page.data.map((event) => event.summary);
    expect(sentences).toContain('Dana Reyes created the organization Billing test');
    expect(sentences).toContain(
      `Dana Reyes opened checkout ${checkoutId} for the plan “Pro”: $20.00 through the test gateway`,
    );
  });
});
