import { Temporal } from 'temporal-polyfill';
import type { Actor } from '../context.js';
import { formatMoney, isCurrencyCode, money } from '../money/index.js';

/**
 * The audit log in words: one sentence per event, such as "Dana Reyes refunded $120.50 of payment
 * pay_…: duplicate", made from what the event recorded (its action, target, before and after) and
 * the names of what it refers to. Every action Billfold records has its sentence here: the actions
 * are this table's keys, and `recordAudit` accepts no other, so a new action without a sentence
 * does not compile. Events recorded by older versions may lack a field a sentence reads: the
 * sentence then says less (an id for a name, "an amount" for an amount) rather than fail.
 */

/** What an audit event recorded, as its sentence reads it. */
export interface AuditFacts {
  action: string;
  actorType: Actor['type'];
  actorId: string;
  targetId: string;
  before: unknown;
  after: unknown;
}

/**
 * What people call the things events refer to, by id: a person's or a plan's name, an invoice's
 * number, an API key's name (with its last four characters).
 */
export type AuditNames = ReadonlyMap<string, { name: string; last4: string | null }>;

type Fields = Readonly<Record<string, unknown>>;

/** An event as a sentence reads it. */
interface Told {
  /** Who did it: a person's name, an API key, or Billfold itself. */
  who: string;
  /** The id of what it was done to. */
  target: string;
  before: Fields;
  after: Fields;
  /** The name of the person, plan or invoice `id` names; undefined when it is not known. */
  known(id: unknown): string | undefined;
}

type Sentence = (event: Told) => string;

// ---- words --------------------------------------------------------------------------------------

function text(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  return undefined;
}

/** ": the reason" when the event gave one. */
function because(reason: unknown): string {
  const said = text(reason)?.trim();
  return said ? `: ${said}` : '';
}

const quoted = (name: unknown) => `“${text(name) ?? ''}”`;

function plural(count: unknown, noun: string): string {
  const n = typeof count === 'number' ? count : 0;
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

const lists = new Intl.ListFormat('en', { type: 'conjunction' });
const listOf = (items: readonly string[]) => lists.format(items);

const countries = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'code' });
const countryName = (code: unknown) => {
  const said = text(code) ?? '';
  return /^[A-Z]{2}$/.test(said) ? (countries.of(said) ?? said) : said;
};

/** An amount recorded in minor units (a string, or a number for small ones), with its currency. */
function amountOf(fields: Fields, options: { key?: string; absolute?: boolean } = {}): string {
  const recorded = fields[options.key ?? 'amount'];
  const valid =
    (typeof recorded === 'string' && /^-?\d+$/.test(recorded)) ||
    (typeof recorded === 'number' && Number.isSafeInteger(recorded));
  if (!valid) return 'an amount';
  const minor = BigInt(recorded);
  const amount = options.absolute && minor < 0n ? -minor : minor;
  const { currency } = fields;
  if (!isCurrencyCode(currency)) return `${amount} in minor units`;
  return formatMoney(money(amount, currency));
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const twoDigits = (n: number) => String(n).padStart(2, '0');

/**
 * An instant as "1 Dec 2027, 00:00 UTC": the log is the organization's, read from anywhere, so in
 * UTC. Spelt out here rather than by Intl, whose month abbreviations change with its locale data.
 */
function dateOf(value: unknown): string {
  const iso = text(value);
  if (iso === undefined) return 'an unknown time';
  try {
    const t = Temporal.Instant.from(iso).toZonedDateTimeISO('UTC');
    return `${t.day} ${MONTHS[t.month - 1]} ${t.year}, ${twoDigits(t.hour)}:${twoDigits(t.minute)} UTC`;
  } catch {
    return iso;
  }
}

const roleNames: Record<string, string> = {
  owner: 'an owner',
  super_admin: 'a super admin',
  admin: 'an admin',
  member: 'a member',
};
const aRole = (role: unknown) => roleNames[text(role) ?? ''] ?? text(role) ?? 'a member';
const roleName = (role: unknown) => aRole(role).replace(/^an? /, '');

const gatewayNames: Record<string, string> = {
  stripe: 'Stripe',
  cashfree: 'Cashfree',
  test: 'the test gateway',
};
const gatewayName = (gateway: unknown) => gatewayNames[text(gateway) ?? ''] ?? text(gateway) ?? 'a gateway';

const keyModes: Record<string, string> = { read_only: 'read-only', full: 'full-access' };

const intervalNames: Record<string, string> = {
  week: 'a week',
  month: 'a month',
  quarter: 'a quarter',
  half_year: 'every six months',
  year: 'a year',
};

const person = (e: Told, id: unknown) => e.known(id) ?? text(id) ?? 'someone';
const possessive = (name: string) => `${name}’s`;
const invoice = (e: Told, id: unknown) => `invoice ${e.known(id) ?? text(id) ?? ''}`;
const plan = (e: Told, id: unknown) => {
  const name = e.known(id);
  return name ? `the plan ${quoted(name)}` : `plan ${text(id) ?? ''}`;
};

const brandNames: Record<string, string> = {
  visa: 'Visa',
  mastercard: 'Mastercard',
  amex: 'American Express',
};

function paymentMethod(fields: Fields): string {
  if (fields.kind === 'upi_mandate') return 'the UPI mandate';
  const brand = text(fields.brand) ?? '';
  const brandName = brandNames[brand] ?? brand.charAt(0).toUpperCase() + brand.slice(1);
  const last4 = text(fields.last4);
  return `the ${brandName ? `${brandName} ` : ''}card${last4 ? ` ending ${last4}` : ''}`;
}

/** A count or threshold with its thousands separated: 10,000. */
function shownNumber(value: unknown): string {
  return typeof value === 'number' ? value.toLocaleString('en-US') : (text(value) ?? '?');
}

/** A value in a list of changes: "none" for nothing, yes/no, lists joined. */
function shown(value: unknown): string {
  if (value === null || value === undefined || value === '') return 'none';
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (Array.isArray(value)) return value.length === 0 ? 'none' : value.map(shown).join(', ');
  return text(value) ?? JSON.stringify(value);
}

/**
 * "name from Acme to Acme Ltd; city from Pune to Mumbai": the fields `after` holds whose value
 * differs from `before`'s, named by `labels` or by the field's own name.
 */
function differences(before: Fields, after: Fields, labels: Record<string, string> = {}): string {
  const changed = Object.keys(after)
    .filter((key) => JSON.stringify(before[key]) !== JSON.stringify(after[key]))
    .map(
      (key) =>
        `${labels[key] ?? key.replaceAll('_', ' ')} from ${shown(before[key])} to ${shown(after[key])}`,
    );
  // Semicolons between changes: a value may itself be a list with commas.
  return changed.length > 0 ? `: ${changed.join('; ')}` : '';
}

/** What a plan's update changed, from the request's fields (`changes`). */
function planChanges(after: Fields): string {
  const changes = (after.changes ?? {}) as Fields;
  const priced = { currency: after.currency };
  const said = Object.entries(changes).map(([key, value]) => {
    switch (key) {
      case 'name':
        return `renamed to ${quoted(value)}`;
      case 'description':
        return 'a new description';
      case 'environment':
        return `for ${shown(value)}`;
      case 'visibility':
        return value === 'restricted' ? 'offered to chosen organizations only' : 'offered to everyone';
      case 'audience_org_ids':
        return `an audience of ${plural(Array.isArray(value) ? value.length : 0, 'organization')}`;
      case 'is_default':
        return value ? 'made the default plan' : 'no longer the default plan';
      case 'base_price':
        return `base price ${amountOf({ ...priced, amount: value })}`;
      case 'minimum_commitment':
        return `minimum commitment ${amountOf({ ...priced, amount: value })}`;
      case 'trial_days':
        return typeof value === 'number' && value > 0 ? `a ${value}-day trial` : 'no trial';
      case 'fee_timing':
        return value === 'arrears' ? 'the fee billed in arrears' : 'the fee billed in advance';
      case 'limits':
        return plural(Array.isArray(value) ? value.length : 0, 'limit');
      case 'charges':
        return plural(Array.isArray(value) ? value.length : 0, 'usage charge');
      default:
        return key.replaceAll('_', ' ');
    }
  });
  return said.length > 0 ? `: ${said.join(', ')}` : '';
}

const aggregations: Record<string, (property: string) => string> = {
  count: () => 'a count of events',
  sum: (property) => `the sum of ${property}`,
  max: (property) => `the peak of ${property}`,
  unique_count: (property) => `the number of distinct ${property}`,
  latest: (property) => `the latest ${property}`,
  time_weighted_sum: (property) => `the time-weighted sum of ${property}`,
};

const taxPlace = (fields: Fields) => {
  const region = text(fields.region);
  return `${region ? `${region}, ` : ''}${countryName(fields.country)}`;
};
const taxRate = (fields: Fields) =>
  `${text(fields.name) ?? 'tax'} ${text(fields.percent) ?? '?'}%${fields.inclusive ? ', included in prices' : ''}`;

function paymentSentence(outcome: string): Sentence {
  return (e) =>
    `${e.who} recorded that payment ${e.target} of ${amountOf(e.after)} through ${gatewayName(e.after.gateway)} ${outcome}`;
}

function subscriptionSentence(verb: string): Sentence {
  return (e) => `${e.who} ${verb.replace('%s', `subscription ${e.target}`)}${because(e.after.reason)}`;
}

const conflictSources: Record<string, string> = {
  checkout: 'checkout',
  payment_link: 'payment link',
  plan_change: 'plan change',
};

// ---- the sentences ------------------------------------------------------------------------------

const sentences = {
  // People, organizations, members and keys.
  'user.signed_up': (e) => `${e.who} signed up as ${text(e.after.email) ?? 'a new person'}`,
  'user.password_changed': (e) =>
    `${e.who} changed their password${
      typeof e.after.other_sessions_ended === 'number' && e.after.other_sessions_ended > 0
        ? `, which signed out ${plural(e.after.other_sessions_ended, 'other session')}`
        : ''
    }`,
  'user.signed_out_everywhere': (e) =>
    `${e.who} signed out everywhere, ending ${plural(e.after.sessions_ended, 'session')}`,
  'user.operator_granted': (e) => `${e.who} made ${person(e, e.target)} an operator`,
  'organization.created': (e) => `${e.who} created the organization ${text(e.after.name) ?? e.target}`,
  'organization.client_created': (e) =>
    `${e.who} created the client organization ${text(e.after.name) ?? e.target} (${countryName(e.after.country)})`,
  'organization.updated': (e) =>
    `${e.who} updated the organization ${text(e.before.name) ?? e.target}${differences(e.before, e.after)}`,
  'organization.ownership_transferred': (e) =>
    `${e.who} handed ownership of the organization to ${person(e, e.target)}; ` +
    `${person(e, e.before.owner)} stays on as ${aRole(e.after.previous_owner_role)}`,
  'member.joined': (e) => `${e.who} joined the organization as ${aRole(e.after.role)}, by invitation`,
  'member.role_changed': (e) =>
    `${e.who} changed ${possessive(person(e, e.target))} role from ${roleName(e.before.role)} to ${roleName(e.after.role)}`,
  'member.removed': (e) =>
    `${e.who} removed ${person(e, e.target)} (${roleName(e.before.role)}) from the organization`,
  'invitation.created': (e) =>
    `${e.who} invited ${text(e.after.email) ?? 'someone'} to join as ${aRole(e.after.role)}`,
  'invitation.revoked': (e) =>
    text(e.before.email)
      ? `${e.who} revoked the invitation of ${text(e.before.email)} as ${aRole(e.before.role)}`
      : `${e.who} revoked invitation ${e.target}`,
  'api_key.created': (e) =>
    `${e.who} created the ${keyModes[text(e.after.mode) ?? ''] ?? text(e.after.mode) ?? ''} API key ` +
    `${quoted(e.after.name)} (…${text(e.after.last4) ?? ''})`,
  'api_key.revoked': (e) => `${e.who} revoked the API key ${quoted(e.before.name ?? e.known(e.target))}`,

  // The catalog and the issuer's settings.
  'feature.created': (e) =>
    `${e.who} created the feature ${quoted(e.after.name)} (${e.target}), counted in ${text(e.after.unit) ?? 'units'}`,
  'metric.created': (e) => {
    const measure = aggregations[text(e.after.aggregation) ?? ''] ?? (() => 'a measure of events');
    return (
      `${e.who} created the metric ${quoted(e.after.name)} (${text(e.after.code) ?? e.target}): ` +
      `${measure(text(e.after.property) ?? 'a property')}, in ${text(e.after.unit) ?? 'units'}` +
      `${e.after.recurring ? ', carried from period to period' : ''}`
    );
  },
  'plan.created': (e) => {
    const price =
      e.after.base_price === 0
        ? 'free'
        : `${amountOf(e.after, { key: 'base_price' })} ${intervalNames[text(e.after.interval) ?? ''] ?? ''}`.trim();
    const trial = typeof e.after.trial_days === 'number' && e.after.trial_days > 0;
    return `${e.who} created the plan ${quoted(e.after.name)}: ${price}${trial ? `, with a ${e.after.trial_days}-day trial` : ''}`;
  },
  'plan.updated': (e) =>
    `${e.who} updated the plan ${quoted(e.before.name ?? e.after.name)}${planChanges(e.after)}`,
  'plan.version_published': (e) =>
    `${e.who} published version ${text(e.after.version) ?? ''} of the plan ${quoted(e.before.name ?? e.after.name)}${planChanges(e.after)}`,
  'plan.disabled': (e) => `${e.who} disabled the plan ${quoted(e.after.name)}`,
  'plan.enabled': (e) => `${e.who} enabled the plan ${quoted(e.after.name)} again`,
  'billing_settings.updated': (e) =>
    `${e.who} changed the billing settings${differences(e.before, e.after, {
      dunning_final_step: 'the step after the last failed retry',
      refuse_paid_features_when_blocked: 'refusing paid features while blocked',
    })}`,
  'tax_rate.set': (e) => `${e.who} set the tax rate for ${taxPlace(e.after)} to ${taxRate(e.after)}`,
  'tax_rate.removed': (e) => `${e.who} removed the tax rate for ${taxPlace(e.before)} (${taxRate(e.before)})`,
  'gateway_routing.updated': (e) => {
    const byGateway = new Map<string, string[]>();
    for (const [country, gateway] of Object.entries((e.after.countries ?? {}) as Fields)) {
      const name = gatewayName(gateway);
      byGateway.set(name, [...(byGateway.get(name) ?? []), countryName(country)]);
    }
    const exceptions = [...byGateway].map(([gateway, places]) => `through ${gateway} in ${listOf(places)}`);
    return `${e.who} routed payments through ${gatewayName(e.after.defaultGateway)}${
      exceptions.length > 0 ? `, and ${listOf(exceptions)}` : ' everywhere'
    }`;
  },

  // Customers, their cards and credit balance.
  'billing_customer.created': (e) =>
    `${e.who} created the billing customer ${text(e.after.name) ?? e.target} ` +
    `(${text(e.after.email) ?? 'no email'}, ${countryName(e.after.country)}), billed in ${text(e.after.currency) ?? 'its currency'}`,
  'billing_customer.updated': (e) =>
    `${e.who} updated the billing customer ${text(e.before.name) ?? e.target}${differences(
      e.before,
      e.after,
      {
        address_line1: 'address',
        tax_id: 'tax ID',
      },
    )}`,
  'billing_customer.external_id_set': (e) =>
    e.after.external_id === null
      ? `${e.who} removed the billing customer’s external ID ${text(e.before.external_id) ?? ''}`.trim()
      : `${e.who} set the billing customer’s external ID to ${text(e.after.external_id) ?? ''}`,
  'payment_method.saved': (e) => {
    const expiry =
      typeof e.after.exp_month === 'number' && typeof e.after.exp_year === 'number'
        ? `, expiring ${twoDigits(e.after.exp_month)}/${e.after.exp_year}`
        : '';
    return `${e.who} saved ${paymentMethod(e.after)}${expiry}${e.after.is_default ? ', the default' : ''}`;
  },
  'payment_method.default_set': (e) =>
    e.after.kind
      ? `${e.who} made ${paymentMethod(e.after)} the default payment method`
      : `${e.who} made payment method ${e.target} the default`,
  'payment_method.removed': (e) =>
    `${e.who} removed ${paymentMethod(e.before)}${e.after.new_default ? '; the newest other one is now the default' : ''}`,
  'customer.balance_credited': (e) =>
    `${e.who} added ${amountOf(e.after)} to the credit balance${because(e.after.description)}`,
  'customer.balance_spent': (e) =>
    `${e.who} spent ${amountOf(e.after, { absolute: true })} of the credit balance${because(e.after.description)}`,

  // Payments.
  'checkout_session.created': (e) => {
    const through = `through ${gatewayName(e.after.gateway)}`;
    if (!e.after.plan_id) return `${e.who} opened checkout ${e.target} to save a payment method ${through}`;
    const pays = e.after.amount === '0' ? 'nothing to pay now' : amountOf(e.after);
    return `${e.who} opened checkout ${e.target} for ${plan(e, e.after.plan_id)}: ${pays} ${through}`;
  },
  'checkout_session.completed': (e) =>
    `${e.who} completed checkout ${e.target}${e.after.payment_id ? ` with payment ${text(e.after.payment_id)}` : ''}`,
  'checkout_session.expired': (e) => `${e.who} closed checkout ${e.target}: it expired unpaid`,
  'payment.succeeded': paymentSentence('succeeded'),
  'payment.failed': paymentSentence('failed'),
  'payment.processing': paymentSentence('is being processed'),
  'payment.requires_action': paymentSentence('waits for the customer to authenticate'),
  'payment.conflicts_with_plan': (e) =>
    `${e.who} set payment ${e.target} of ${amountOf(e.after)} aside to refund: it paid for ` +
    `${conflictSources[text(e.after.source) ?? ''] ?? 'something'} ${text(e.after.source_id) ?? ''} while ` +
    `${quoted(e.after.plan_in_force)} was in force (subscription ${text(e.after.subscription_id) ?? ''})`,
  'refund.created': (e) =>
    `${e.who} refunded ${amountOf(e.after)} of payment ${e.target}${because(e.after.reason)}`,
  'payment_link.created': (e) => {
    const what = e.after.invoice_id
      ? invoice(e, e.after.invoice_id)
      : e.after.plan_id
        ? plan(e, e.after.plan_id)
        : 'a payment';
    return `${e.who} created payment link ${e.target} for ${amountOf(e.after)} (${what}), valid until ${dateOf(e.after.expires_at)}`;
  },
  'payment_link.paid': (e) =>
    `${e.who} marked payment link ${e.target} paid${e.after.payment_id ? ` by payment ${text(e.after.payment_id)}` : ''}`,
  'payment_link.cancelled': (e) => `${e.who} cancelled payment link ${e.target}`,
  'payment_link.expired': (e) => `${e.who} closed payment link ${e.target}: it expired unpaid`,

  // Subscriptions.
  'subscription.started': (e) => {
    const state =
      { trialing: ', in its trial', incomplete: ', waiting for its first payment' }[
        text(e.after.status) ?? ''
      ] ?? '';
    return `${e.who} started subscription ${e.target} on ${plan(e, e.after.plan_id)}${state}`;
  },
  'subscription.incomplete': subscriptionSentence('marked %s incomplete'),
  'subscription.trialing': subscriptionSentence('put %s in a trial'),
  'subscription.active': (e) =>
    subscriptionSentence(
      { paused: 'resumed %s', trialing: 'ended the trial of %s, making it active' }[
        text(e.before.status) ?? ''
      ] ?? 'made %s active',
    )(e),
  'subscription.past_due': subscriptionSentence('marked %s past due'),
  'subscription.unpaid': subscriptionSentence('marked %s unpaid'),
  'subscription.paused': subscriptionSentence('paused %s'),
  'subscription.cancelled': subscriptionSentence('cancelled %s'),
  'subscription.plan_changed': (e) =>
    `${e.who} moved subscription ${e.target} from ${plan(e, e.before.plan_id)} to ${plan(e, e.after.plan_id)}${because(e.after.reason)}`,
  'subscription.plan_scheduled': (e) =>
    `${e.who} scheduled subscription ${e.target} to move to ${plan(e, e.after.plan_id)} when its period ends${because(e.after.reason)}`,
  'subscription.schedule_cleared': subscriptionSentence('withdrew the plan change scheduled for %s'),
  'subscription.cancel_scheduled': subscriptionSentence('scheduled %s to cancel when its period ends'),
  'subscription.cancel_withdrawn': subscriptionSentence('withdrew the cancellation of %s'),
  'test_clock.created': (e) =>
    `${e.who} created test clock ${e.target} for customer ${text(e.after.customer_id) ?? ''}, set to ${dateOf(e.after.frozen_time)}`,
  'test_clock.advanced': (e) => `${e.who} advanced the test clock to ${dateOf(e.after.frozen_time)}`,

  // Invoices and the ledger.
  'invoice.voided': (e) => `${e.who} voided ${invoice(e, e.target)}${because(e.after.reason)}`,
  'invoice.marked_uncollectible': (e) =>
    `${e.who} marked ${invoice(e, e.target)} uncollectible${because(e.after.reason)}`,
  'invoice.pay_attempted': (e) => {
    const what = `${invoice(e, e.target)}${e.after.amount === undefined ? '' : ` (${amountOf(e.after)})`}`;
    switch (e.after.outcome) {
      case 'paid':
        return `${e.who} paid ${what} with the saved card`;
      case 'pending':
        return `${e.who} paid ${what} with the saved card; the gateway is still confirming it`;
      case 'failed':
        return `${e.who} tried to pay ${what} with the saved card: it was declined`;
      default:
        return `${e.who} asked to pay ${what}: there was nothing to charge`;
    }
  },
  'invoice.paid_together': (e) => {
    const invoices = Array.isArray(e.after.invoices) ? e.after.invoices : [];
    const numbers = listOf(invoices.map((id) => e.known(id) ?? text(id) ?? ''));
    const charge = e.after.amount === undefined ? 'one charge' : `one charge of ${amountOf(e.after)}`;
    return (
      `${e.who} paid ${plural(invoices.length, 'open invoice')} (${numbers}) with ${charge}, payment ${e.target}` +
      `${e.after.outcome === 'pending' ? '; the gateway is still confirming it' : ''}`
    );
  },
  'ledger.adjusted': (e) =>
    `${e.who} posted an adjustment of ${amountOf(e.after)} to the ledger of subscription ${e.target}` +
    `${e.after.late ? ', late, in the open month' : ''}${because(e.after.description)}`,

  // Usage alerts and webhooks.
  'usage_alert.created': (e) =>
    `${e.who} set a usage alert on subscription ${text(e.after.subscription_id) ?? ''} at ` +
    `${shownNumber(e.after.threshold)} ${text(e.after.metric) ?? ''}`,
  'usage_alert.deleted': (e) =>
    `${e.who} removed the usage alert at ${shownNumber(e.before.threshold)} ${text(e.before.metric) ?? ''}` +
    `${e.before.subscription_id ? ` on subscription ${text(e.before.subscription_id)}` : ''}`,
  'webhook_endpoint.created': (e) => {
    const events = Array.isArray(e.after.events) ? e.after.events.map((event) => text(event) ?? '') : [];
    const which = events.length === 0 || events.includes('*') ? 'every event' : `${listOf(events)} events`;
    return `${e.who} added the webhook endpoint ${text(e.after.url) ?? e.target} for ${which}`;
  },
  'webhook_endpoint.disabled': (e) =>
    `${e.who} disabled the webhook endpoint ${text(e.before.url) ?? e.target}`,
} satisfies Record<string, Sentence>;

/** Every action Billfold records: each has its sentence. */
export type AuditAction = keyof typeof sentences;

const isAction = (action: string): action is AuditAction => Object.hasOwn(sentences, action);

const fieldsOf = (value: unknown): Fields =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Fields) : {};

function actorOf(facts: AuditFacts, names: AuditNames): string {
  switch (facts.actorType) {
    case 'user':
      return names.get(facts.actorId)?.name ?? `Someone (${facts.actorId})`;
    case 'api_key': {
      const key = names.get(facts.actorId);
      return key ? `The API key ${quoted(key.name)} (…${key.last4 ?? ''})` : `An API key (${facts.actorId})`;
    }
    case 'system':
      return 'Billfold';
  }
}

/** The event in one plain sentence: who did what to which, with amounts and dates written out. */
export function auditSentence(facts: AuditFacts, names: AuditNames): string {
  const told: Told = {
    who: actorOf(facts, names),
    target: facts.targetId,
    before: fieldsOf(facts.before),
    after: fieldsOf(facts.after),
    known: (id) => (typeof id === 'string' ? names.get(id)?.name : undefined),
  };
  // An action only an older version recorded has no sentence of its own.
  if (!isAction(facts.action)) return `${told.who}: ${facts.action} (${facts.targetId})`;
  return sentences[facts.action](told);
}
