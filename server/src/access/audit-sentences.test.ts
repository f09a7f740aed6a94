import { describe, expect, it } from 'vitest';
import { type AuditAction, type AuditFacts, type AuditNames, auditSentence } from './audit-sentences.js';

/**
 * Every action Billfold records, with the before and after its call records, read as a sentence.
 * The table is keyed by the action type: an action added without a case here does not compile.
 */

const names: AuditNames = new Map([
  ['usr_dana', { name: 'Dana Reyes', last4: null }],
  ['usr_ravi', { name: 'Ravi Kumar', last4: null }],
  ['key_ci', { name: 'CI deploys', last4: 'a1b2' }],
  ['plan_pro', { name: 'Pro', last4: null }],
  ['plan_basic', { name: 'Basic', last4: null }],
  ['in_0011', { name: 'BF-0011', last4: null }],
  ['in_0012', { name: 'BF-0012', last4: null }],
]);

const actors = {
  dana: { actorType: 'user', actorId: 'usr_dana' },
  ravi: { actorType: 'user', actorId: 'usr_ravi' },
  key: { actorType: 'api_key', actorId: 'key_ci' },
  billfold: { actorType: 'system', actorId: 'job:billing-run' },
} as const;

interface Case {
  /** Dana Reyes unless named. */
  actor?: keyof typeof actors;
  target: string;
  before?: object;
  after?: object;
  says: string;
}

const facts = (action: string, c: Omit<Case, 'says'>): AuditFacts => ({
  action,
  ...actors[c.actor ?? 'dana'],
  targetId: c.target,
  before: c.before ?? null,
  after: c.after ?? null,
});

const cases = {
  'user.signed_up': {
    actor: 'ravi',
    target: 'usr_ravi',
    after: { email: 'ravi@acme.example', name: 'Ravi Kumar' },
    says: 'Ravi Kumar signed up as ravi@acme.example',
  },
  'user.password_changed': {
    target: 'usr_dana',
    after: { other_sessions_ended: 2 },
    says: 'Dana Reyes changed their password, which signed out 2 other sessions',
  },
  'user.signed_out_everywhere': {
    target: 'usr_dana',
    after: { sessions_ended: 3 },
    says: 'Dana Reyes signed out everywhere, ending 3 sessions',
  },
  'user.operator_granted': {
    actor: 'billfold',
    target: 'usr_ravi',
    before: { is_operator: false },
    after: { is_operator: true },
    says: 'Billfold made Ravi Kumar an operator',
  },
  'organization.created': {
    target: 'org_acme',
    after: {
      id: 'org_acme',
      object: 'organization',
      kind: 'organization',
      name: 'Acme Cloud',
      country: 'US',
      postal_code: '10001',
      parent_org_id: null,
      created_at: '2027-11-02T09:30:00.000Z',
    },
    says: 'Dana Reyes created the organization Acme Cloud',
  },
  'organization.client_created': {
    target: 'org_globex',
    after: { name: 'Globex', country: 'IN' },
    says: 'Dana Reyes created the client organization Globex (India)',
  },
  'organization.updated': {
    target: 'org_acme',
    before: {
      id: 'org_acme',
      object: 'organization',
      kind: 'organization',
      name: 'Acme Cloud',
      country: 'US',
      postal_code: '10001',
      parent_org_id: null,
      created_at: '2027-11-02T09:30:00.000Z',
    },
    after: {
      id: 'org_acme',
      object: 'organization',
      kind: 'organization',
      name: 'Acme Cloud Inc.',
      country: 'US',
      postal_code: '94105',
      parent_org_id: null,
      created_at: '2027-11-02T09:30:00.000Z',
    },
    says: 'Dana Reyes updated the organization Acme Cloud: name from Acme Cloud to Acme Cloud Inc.; postal code from 10001 to 94105',
  },
  'organization.ownership_transferred': {
    target: 'usr_ravi',
    before: { owner: 'usr_dana', role: 'admin' },
    after: { owner: 'usr_ravi', previous_owner_role: 'super_admin' },
    says: 'Dana Reyes handed ownership of the organization to Ravi Kumar; Dana Reyes stays on as a super admin',
  },
  'member.joined': {
    actor: 'ravi',
    target: 'usr_ravi',
    after: { role: 'admin', invitation_id: 'inv_x' },
    says: 'Ravi Kumar joined the organization as an admin, by invitation',
  },
  'member.role_changed': {
    target: 'usr_ravi',
    before: { role: 'member' },
    after: { role: 'admin' },
    says: 'Dana Reyes changed Ravi Kumar’s role from member to admin',
  },
  'member.removed': {
    target: 'usr_ravi',
    before: { role: 'admin' },
    says: 'Dana Reyes removed Ravi Kumar (admin) from the organization',
  },
  'invitation.created': {
    target: 'inv_x',
    after: { email: 'ravi@acme.example', role: 'super_admin' },
    says: 'Dana Reyes invited ravi@acme.example to join as a super admin',
  },
  'invitation.revoked': {
    target: 'inv_x',
    before: { email: 'ravi@acme.example', role: 'member' },
    says: 'Dana Reyes revoked the invitation of ravi@acme.example as a member',
  },
  'api_key.created': {
    target: 'key_ci',
    after: { name: 'CI deploys', mode: 'read_only', last4: 'a1b2' },
    says: 'Dana Reyes created the read-only API key “CI deploys” (…a1b2)',
  },
  'api_key.revoked': {
    target: 'key_ci',
    before: { name: 'CI deploys', mode: 'full', revoked: false },
    after: { revoked: true },
    says: 'Dana Reyes revoked the API key “CI deploys”',
  },
  'feature.created': {
    target: 'computations',
    after: { code: 'computations', name: 'Computations', unit: 'runs' },
    says: 'Dana Reyes created the feature “Computations” (computations), counted in runs',
  },
  'metric.created': {
    target: 'mtr_x',
    after: {
      code: 'gpu_hours',
      name: 'GPU hours',
      unit: 'hours',
      aggregation: 'time_weighted_sum',
      property: 'gpus',
      dimensions: [],
      recurring: false,
    },
    says: 'Dana Reyes created the metric “GPU hours” (gpu_hours): the time-weighted sum of gpus, in hours',
  },
  'plan.created': {
    target: 'plan_pro',
    after: {
      code: 'pro',
      name: 'Pro',
      description: '',
      currency: 'USD',
      interval: 'month',
      base_price: 2900,
      trial_days: 14,
      fee_timing: 'advance',
      minimum_commitment: 0,
      limits: [],
      charges: [],
    },
    says: 'Dana Reyes created the plan “Pro”: $29.00 a month, with a 14-day trial',
  },
  'plan.updated': {
    target: 'plan_pro',
    before: {
      name: 'Pro',
      currency: 'USD',
      description: '',
      environment: 'any',
      visibility: 'public',
      is_default: false,
      disabled: false,
      current_version: 2,
      version: 2,
    },
    after: {
      name: 'Pro',
      currency: 'USD',
      description: '',
      environment: 'any',
      visibility: 'restricted',
      is_default: false,
      disabled: false,
      current_version: 2,
      version: 2,
      changes: { visibility: 'restricted', audience_org_ids: ['org_a', 'org_b'] },
    },
    says: 'Dana Reyes updated the plan “Pro”: offered to chosen organizations only, an audience of 2 organizations',
  },
  'plan.version_published': {
    target: 'plan_pro',
    before: { name: 'Pro', currency: 'USD', current_version: 2, version: 2 },
    after: {
      name: 'Pro',
      currency: 'USD',
      current_version: 3,
      version: 3,
      changes: { base_price: 3900, trial_days: 0 },
    },
    says: 'Dana Reyes published version 3 of the plan “Pro”: base price $39.00, no trial',
  },
  'plan.disabled': {
    target: 'plan_pro',
    before: { name: 'Pro', disabled: false },
    after: { name: 'Pro', disabled: true },
    says: 'Dana Reyes disabled the plan “Pro”',
  },
  'plan.enabled': {
    target: 'plan_pro',
    before: { name: 'Pro', disabled: true },
    after: { name: 'Pro', disabled: false },
    says: 'Dana Reyes enabled the plan “Pro” again',
  },
  'billing_settings.updated': {
    target: 'org_platform',
    before: { invoice_prefix: 'BF', retry_days: [3, 7], dunning_final_step: 'pause' },
    after: { invoice_prefix: 'ACME', retry_days: [2, 4, 8], dunning_final_step: 'cancel' },
    says: 'Dana Reyes changed the billing settings: invoice prefix from BF to ACME; retry days from 3, 7 to 2, 4, 8; the step after the last failed retry from pause to cancel',
  },
  'tax_rate.set': {
    target: 'US-CA',
    after: { country: 'US', region: 'CA', name: 'Sales tax', percent: '7.25', inclusive: true },
    says: 'Dana Reyes set the tax rate for CA, United States to Sales tax 7.25%, included in prices',
  },
  'tax_rate.removed': {
    target: 'IN',
    before: { object: 'tax_rate', country: 'IN', region: '', name: 'GST', percent: '18', inclusive: false },
    says: 'Dana Reyes removed the tax rate for India (GST 18%)',
  },
  'gateway_routing.updated': {
    target: 'org_platform',
    before: { defaultGateway: 'stripe', countries: {} },
    after: { defaultGateway: 'stripe', countries: { IN: 'cashfree', ID: 'cashfree' } },
    says: 'Dana Reyes routed payments through Stripe, and through Cashfree in India and Indonesia',
  },
  'billing_customer.created': {
    target: 'cus_x',
    after: {
      name: 'Acme Cloud Inc.',
      email: 'billing@acme.example',
      address_line1: '1 Market St',
      city: 'San Francisco',
      state: 'CA',
      postal_code: '94105',
      country: 'US',
      currency: 'USD',
      time_zone: 'America/Los_Angeles',
    },
    says: 'Dana Reyes created the billing customer Acme Cloud Inc. (billing@acme.example, United States), billed in USD',
  },
  'billing_customer.updated': {
    target: 'cus_x',
    before: {
      name: 'Acme Cloud Inc.',
      email: 'billing@acme.example',
      address_line1: '1 Market St',
      tax_id: '',
    },
    after: {
      name: 'Acme Cloud Inc.',
      email: 'ap@acme.example',
      address_line1: '1 Market St',
      tax_id: '94-1234567',
    },
    says: 'Dana Reyes updated the billing customer Acme Cloud Inc.: email from billing@acme.example to ap@acme.example; tax ID from none to 94-1234567',
  },
  'billing_customer.external_id_set': {
    target: 'cus_x',
    before: { external_id: null },
    after: { external_id: 'crm_4211' },
    says: 'Dana Reyes set the billing customer’s external ID to crm_4211',
  },
  'payment_method.saved': {
    actor: 'billfold',
    target: 'pm_x',
    after: {
      id: 'pm_x',
      object: 'payment_method',
      gateway: 'test',
      kind: 'card',
      brand: 'visa',
      last4: '4242',
      exp_month: 4,
      exp_year: 2034,
      is_default: true,
      created_at: '2027-11-02T09:30:00.000Z',
    },
    says: 'Billfold saved the Visa card ending 4242, expiring 04/2034, the default',
  },
  'payment_method.default_set': {
    target: 'pm_x',
    before: { is_default: false },
    after: { is_default: true, kind: 'card', brand: 'mastercard', last4: '4444' },
    says: 'Dana Reyes made the Mastercard card ending 4444 the default payment method',
  },
  'payment_method.removed': {
    target: 'pm_x',
    before: {
      id: 'pm_x',
      object: 'payment_method',
      gateway: 'test',
      kind: 'card',
      brand: 'visa',
      last4: '4242',
      exp_month: 4,
      exp_year: 2034,
      is_default: true,
    },
    after: { new_default: 'pm_y' },
    says: 'Dana Reyes removed the Visa card ending 4242; the newest other one is now the default',
  },
  'customer.balance_credited': {
    actor: 'billfold',
    target: 'cbtxn_x',
    after: { amount: '1250', currency: 'USD', source: 'credit:sub_x', description: 'Unused days of Pro' },
    says: 'Billfold added $12.50 to the credit balance: Unused days of Pro',
  },
  'customer.balance_spent': {
    actor: 'billfold',
    target: 'cbtxn_x',
    after: {
      amount: '-1250',
      currency: 'USD',
      source: 'invoice:in_0012',
      description: 'Spent on invoice BF-0012',
    },
    says: 'Billfold spent $12.50 of the credit balance: Spent on invoice BF-0012',
  },
  'checkout_session.created': {
    target: 'cs_x',
    after: { gateway: 'stripe', plan_id: 'plan_pro', amount: '2900', currency: 'USD' },
    says: 'Dana Reyes opened checkout cs_x for the plan “Pro”: $29.00 through Stripe',
  },
  'checkout_session.completed': {
    actor: 'billfold',
    target: 'cs_x',
    before: { status: 'open' },
    after: { status: 'complete', payment_id: 'pay_x' },
    says: 'Billfold completed checkout cs_x with payment pay_x',
  },
  'checkout_session.expired': {
    actor: 'billfold',
    target: 'cs_x',
    before: { status: 'open' },
    after: { status: 'expired', payment_id: null },
    says: 'Billfold closed checkout cs_x: it expired unpaid',
  },
  'payment.succeeded': {
    actor: 'billfold',
    target: 'pay_x',
    after: { amount: '2900', currency: 'USD', status: 'succeeded', gateway: 'stripe' },
    says: 'Billfold recorded that payment pay_x of $29.00 through Stripe succeeded',
  },
  'payment.failed': {
    actor: 'billfold',
    target: 'pay_x',
    after: { amount: '250000', currency: 'INR', status: 'failed', gateway: 'cashfree' },
    says: 'Billfold recorded that payment pay_x of ₹2,500.00 through Cashfree failed',
  },
  'payment.processing': {
    actor: 'billfold',
    target: 'pay_x',
    after: { amount: '250000', currency: 'INR', status: 'processing', gateway: 'cashfree' },
    says: 'Billfold recorded that payment pay_x of ₹2,500.00 through Cashfree is being processed',
  },
  'payment.requires_action': {
    actor: 'billfold',
    target: 'pay_x',
    after: { amount: '2900', currency: 'EUR', status: 'requires_action', gateway: 'stripe' },
    says: 'Billfold recorded that payment pay_x of €29.00 through Stripe waits for the customer to authenticate',
  },
  'payment.conflicts_with_plan': {
    actor: 'billfold',
    target: 'pay_x',
    after: {
      source: 'checkout',
      source_id: 'cs_x',
      plan_in_force: 'Pro',
      subscription_id: 'sub_x',
      amount: '1000',
      currency: 'USD',
    },
    says: 'Billfold set payment pay_x of $10.00 aside to refund: it paid for checkout cs_x while “Pro” was in force (subscription sub_x)',
  },
  'refund.created': {
    target: 'pay_x',
    after: { refund: 'rf_x', amount: '12050', currency: 'USD', reason: 'duplicate' },
    says: 'Dana Reyes refunded $120.50 of payment pay_x: duplicate',
  },
  'payment_link.created': {
    target: 'plink_x',
    after: {
      plan_id: null,
      invoice_id: 'in_0012',
      amount: '12050',
      currency: 'USD',
      expires_at: '2027-12-01T00:00:00.000Z',
    },
    says: 'Dana Reyes created payment link plink_x for $120.50 (invoice BF-0012), valid until 1 Dec 2027, 00:00 UTC',
  },
  'payment_link.paid': {
    actor: 'billfold',
    target: 'plink_x',
    before: { status: 'active' },
    after: { status: 'paid', payment_id: 'pay_x' },
    says: 'Billfold marked payment link plink_x paid by payment pay_x',
  },
  'payment_link.cancelled': {
    target: 'plink_x',
    before: { status: 'active' },
    after: { status: 'cancelled', payment_id: null },
    says: 'Dana Reyes cancelled payment link plink_x',
  },
  'payment_link.expired': {
    actor: 'billfold',
    target: 'plink_x',
    before: { status: 'active' },
    after: { status: 'expired', payment_id: null },
    says: 'Billfold closed payment link plink_x: it expired unpaid',
  },
  'subscription.started': {
    actor: 'billfold',
    target: 'sub_x',
    after: { plan_id: 'plan_pro', plan_version_id: 'plv_x', status: 'trialing' },
    says: 'Billfold started subscription sub_x on the plan “Pro”, in its trial',
  },
  'subscription.incomplete': {
    actor: 'billfold',
    target: 'sub_x',
    before: { status: 'trialing' },
    after: { status: 'incomplete', reason: 'Waiting for the first payment' },
    says: 'Billfold marked subscription sub_x incomplete: Waiting for the first payment',
  },
  'subscription.trialing': {
    actor: 'billfold',
    target: 'sub_x',
    before: { status: 'incomplete' },
    after: { status: 'trialing', reason: 'Card saved' },
    says: 'Billfold put subscription sub_x in a trial: Card saved',
  },
  'subscription.active': {
    actor: 'billfold',
    target: 'sub_x',
    before: { status: 'paused' },
    after: { status: 'active', reason: 'Invoice BF-0012 paid' },
    says: 'Billfold resumed subscription sub_x: Invoice BF-0012 paid',
  },
  'subscription.past_due': {
    actor: 'billfold',
    target: 'sub_x',
    before: { status: 'active' },
    after: { status: 'past_due', reason: 'Renewal charge declined' },
    says: 'Billfold marked subscription sub_x past due: Renewal charge declined',
  },
  'subscription.unpaid': {
    actor: 'billfold',
    target: 'sub_x',
    before: { status: 'past_due' },
    after: { status: 'unpaid', reason: 'The last retry failed' },
    says: 'Billfold marked subscription sub_x unpaid: The last retry failed',
  },
  'subscription.paused': {
    target: 'sub_x',
    before: { status: 'active' },
    after: { status: 'paused', reason: 'Seasonal break' },
    says: 'Dana Reyes paused subscription sub_x: Seasonal break',
  },
  'subscription.cancelled': {
    target: 'sub_x',
    before: { status: 'active' },
    after: { status: 'cancelled', reason: 'Too expensive' },
    says: 'Dana Reyes cancelled subscription sub_x: Too expensive',
  },
  'subscription.plan_changed': {
    target: 'sub_x',
    before: { plan_id: 'plan_basic', plan_version_id: 'plv_b' },
    after: { plan_id: 'plan_pro', plan_version_id: 'plv_p', reason: 'Upgrade paid' },
    says: 'Dana Reyes moved subscription sub_x from the plan “Basic” to the plan “Pro”: Upgrade paid',
  },
  'subscription.plan_scheduled': {
    target: 'sub_x',
    after: { plan_id: 'plan_basic', plan_version_id: 'plv_b', reason: 'Downgrade requested' },
    says: 'Dana Reyes scheduled subscription sub_x to move to the plan “Basic” when its period ends: Downgrade requested',
  },
  'subscription.schedule_cleared': {
    target: 'sub_x',
    after: { plan_id: null, plan_version_id: null, reason: 'The scheduled change was withdrawn' },
    says: 'Dana Reyes withdrew the plan change scheduled for subscription sub_x: The scheduled change was withdrawn',
  },
  'subscription.cancel_scheduled': {
    target: 'sub_x',
    after: { cancel_at_period_end: true, reason: 'Moving to another provider' },
    says: 'Dana Reyes scheduled subscription sub_x to cancel when its period ends: Moving to another provider',
  },
  'subscription.cancel_withdrawn': {
    target: 'sub_x',
    after: { cancel_at_period_end: false, reason: 'The customer kept the subscription' },
    says: 'Dana Reyes withdrew the cancellation of subscription sub_x: The customer kept the subscription',
  },
  'test_clock.created': {
    target: 'clock_x',
    after: { frozen_time: '2027-11-01T00:00:00.000Z', customer_id: 'cus_x' },
    says: 'Dana Reyes created test clock clock_x for customer cus_x, set to 1 Nov 2027, 00:00 UTC',
  },
  'test_clock.advanced': {
    actor: 'billfold',
    target: 'clock_x',
    before: { frozen_time: '2027-11-01T00:00:00.000Z' },
    after: { frozen_time: '2027-12-01T00:00:00Z' },
    says: 'Billfold advanced the test clock to 1 Dec 2027, 00:00 UTC',
  },
  'invoice.voided': {
    target: 'in_0012',
    before: { status: 'open' },
    after: { status: 'void', credit_note: 'cn_x', reason: 'billed twice' },
    says: 'Dana Reyes voided invoice BF-0012: billed twice',
  },
  'invoice.marked_uncollectible': {
    target: 'in_0012',
    before: { status: 'open' },
    after: { status: 'uncollectible', reason: 'Customer went out of business' },
    says: 'Dana Reyes marked invoice BF-0012 uncollectible: Customer went out of business',
  },
  'invoice.pay_attempted': {
    target: 'in_0012',
    after: { outcome: 'failed', amount: '12050', currency: 'USD' },
    says: 'Dana Reyes tried to pay invoice BF-0012 ($120.50) with the saved card: it was declined',
  },
  'invoice.paid_together': {
    target: 'pay_x',
    after: { outcome: 'paid', invoices: ['in_0011', 'in_0012'], amount: '24100', currency: 'USD' },
    says: 'Dana Reyes paid 2 open invoices (BF-0011 and BF-0012) with one charge of $241.00, payment pay_x',
  },
  'ledger.adjusted': {
    target: 'sub_x',
    after: { entry: 'le_x', amount: -500, currency: 'USD', description: 'Goodwill credit', late: false },
    says: 'Dana Reyes posted an adjustment of -$5.00 to the ledger of subscription sub_x: Goodwill credit',
  },
  'usage_alert.created': {
    target: 'ualrt_x',
    after: { subscription_id: 'sub_x', metric: 'api_calls', threshold: 10000 },
    says: 'Dana Reyes set a usage alert on subscription sub_x at 10,000 api_calls',
  },
  'usage_alert.deleted': {
    target: 'ualrt_x',
    before: { metric: 'api_calls', threshold: 10000, subscription_id: 'sub_x' },
    says: 'Dana Reyes removed the usage alert at 10,000 api_calls on subscription sub_x',
  },
  'webhook_endpoint.created': {
    target: 'we_x',
    after: { url: 'https://hooks.acme.example/billfold', events: ['invoice.paid', 'payment.failed'] },
    says: 'Dana Reyes added the webhook endpoint https://hooks.acme.example/billfold for invoice.paid and payment.failed events',
  },
  'webhook_endpoint.disabled': {
    target: 'we_x',
    before: { status: 'enabled', url: 'https://hooks.acme.example/billfold' },
    after: { status: 'disabled' },
    says: 'Dana Reyes disabled the webhook endpoint https://hooks.acme.example/billfold',
  },
} satisfies Record<AuditAction, Case>;

describe('audit sentences', () => {
  it.each(Object.entries(cases))('%s', (action, c) => {
    expect(auditSentence(facts(action, c), names)).toBe(c.says);
  });

  it('names an API key by its name and last four characters, and a person it does not know by id', () => {
    const refund = cases['refund.created'];
    expect(auditSentence(facts('refund.created', { ...refund, actor: 'key' }), names)).toBe(
      'The API key “CI deploys” (…a1b2) refunded $120.50 of payment pay_x: duplicate',
    );
    const byStranger = { ...facts('member.removed', cases['member.removed']), actorId: 'usr_gone' };
    expect(auditSentence(byStranger, names)).toBe(
      'Someone (usr_gone) removed Ravi Kumar (admin) from the organization',
    );
  });

  it('says less, and never fails, for what older versions recorded', () => {
    expect(auditSentence(facts('ledger.adjusted', { target: 'sub_x', after: { amount: 500 } }), names)).toBe(
      'Dana Reyes posted an adjustment of 500 in minor units to the ledger of subscription sub_x',
    );
    expect(auditSentence(facts('invoice.voided', { target: 'in_draft' }), names)).toBe(
      'Dana Reyes voided invoice in_draft',
    );
    expect(auditSentence(facts('plan.renamed', { target: 'plan_pro' }), names)).toBe(
      'Dana Reyes: plan.renamed (plan_pro)',
    );
    for (const action of Object.keys(cases)) {
      expect(auditSentence(facts(action, { target: 'x_1' }), names)).toMatch(/^Dana Reyes \S/);
    }
  });
});
