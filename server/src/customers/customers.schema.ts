import { z } from 'zod';
import { listQuery, timestamp } from '../api-shapes.js';
import { isCurrencyCode } from '../money/index.js';
import { isTimeZone } from '../time/index.js';
import { isCountryCode, postalFormats } from './countries.js';

/** Request and response shapes of billing customers (C8–C10). */

export const gatewaySchema = z.enum(['test', 'stripe', 'cashfree']);

const line = (max: number) => z.string().trim().max(max);
const phone = z
  .string()
  .transform((v) => v.replace(/[\s\-().]/g, ''))
  .refine((v) => v === '' || /^\+[1-9]\d{6,14}$/.test(v), {
    message: 'Use the international format with the country code, such as +14155550123',
  })
  .describe('E.164, e.g. +14155550123; spaces, dashes and brackets are dropped');

const customerFields = {
  name: line(120).min(1, 'Enter the name to bill'),
  email: z
    .email('Enter an email address such as billing@example.com')
    .max(254)
    .transform((v) => v.toLowerCase()),
  // A country and postal code (and a state where tax can be the state's) are enough to bill a card, as
  // Stripe's checkout collects: a customer made while buying a plan gives those; the street can follow.
  address_line1: line(200)
    .default('')
    .describe('Optional; with it, the state is required in the US and India'),
  address_line2: line(200).default(''),
  city: line(100).default(''),
  state: line(100)
    .default('')
    .describe('State, province or region; required in the US and India with a street address'),
  postal_code: line(16),
  country: z
    .string()
    .refine(isCountryCode, 'Use a two-letter ISO 3166 country code such as US or IN')
    .describe('ISO 3166-1 alpha-2'),
  phone: phone.default(''),
  tax_id: line(40).default('').describe('GSTIN, VAT or EIN number, printed on invoices'),
  currency: z
    .string()
    .refine(isCurrencyCode, 'Unknown currency: use an ISO 4217 code such as USD or INR')
    .optional()
    .describe('Defaults from the country: INR in India, JPY in Japan, USD elsewhere'),
  time_zone: z
    .string()
    .max(64)
    .refine(isTimeZone, 'Use an IANA time zone such as America/New_York or Asia/Kolkata')
    .default('UTC')
    .describe('Billing periods start at midnight on the 1st in this zone'),
};

interface AddressLike {
  country?: string | undefined;
  postal_code?: string | undefined;
  state?: string | undefined;
}

/** Checks that need two fields at once: the postal code and state against the country. */
function checkAddress(value: AddressLike, ctx: z.RefinementCtx) {
  if (value.country === undefined || value.postal_code === undefined) return;
  const format = postalFormats[value.country];
  const postal = format?.normalize ? format.normalize(value.postal_code) : value.postal_code;
  if (postal === '') {
    ctx.addIssue({ code: 'custom', path: ['postal_code'], message: 'Enter the postal code' });
  } else if (format && !format.pattern.test(postal)) {
    ctx.addIssue({ code: 'custom', path: ['postal_code'], message: `Use ${format.example}` });
  }
  // Tax in the US and India can be the state's (tax_rates by region): without it the country's would
  // be charged, so the state is asked even when the street address is not.
  if ((value.country === 'US' || value.country === 'IN') && value.state === '') {
    ctx.addIssue({ code: 'custom', path: ['state'], message: 'Enter the state' });
  }
}

export const createCustomerBody = z.strictObject(customerFields).superRefine(checkAddress);

export const updateCustomerBody = z
  .strictObject({
    name: customerFields.name.optional(),
    email: customerFields.email.optional(),
    address_line1: line(200).optional(),
    address_line2: line(200).optional(),
    city: line(100).optional(),
    state: line(100).optional(),
    postal_code: line(16).optional(),
    country: customerFields.country.optional(),
    phone: phone.optional(),
    tax_id: line(40).optional(),
    currency: customerFields.currency,
    time_zone: z.string().max(64).refine(isTimeZone, 'Use an IANA time zone such as Asia/Kolkata').optional(),
  })
  .refine((changes) => Object.keys(changes).length > 0, { message: 'Give at least one field to change' });

export const customerListQuery = listQuery.extend({
  q: z.string().trim().max(120).optional().describe('Matches name, email or organization name'),
  country: z.string().max(2).optional(),
  gateway: gatewaySchema.optional().describe('Customers who pay at this gateway'),
  subscription_status: z
    .enum(['incomplete', 'trialing', 'active', 'past_due', 'unpaid', 'paused', 'cancelled'])
    .optional()
    .describe(
      'Customers whose subscription in force (the one each row shows: its newest not ended) is in this state; cancelled: customers who had subscriptions and have none in force',
    ),
});

export const gatewayRoutingBody = z.strictObject({
  default_gateway: gatewaySchema.describe('For every country without a rule of its own'),
  countries: z
    .record(z.string().refine(isCountryCode, 'Use ISO 3166 country codes as keys'), gatewaySchema)
    .describe('Country code → gateway, e.g. { "IN": "cashfree" }'),
});

export const paymentMethodParams = z.strictObject({
  payment_method_id: z.string().regex(/^pm_[0-9A-Za-z]{8,40}$/),
});

export const customerObject = z.object({
  id: z.string(),
  object: z.literal('billing_customer'),
  org_id: z.string(),
  name: z.string(),
  email: z.string(),
  address_line1: z.string(),
  address_line2: z.string(),
  city: z.string(),
  state: z.string(),
  postal_code: z.string(),
  country: z.string(),
  phone: z.string(),
  tax_id: z.string(),
  currency: z.string(),
  time_zone: z.string(),
  gateway: gatewaySchema.describe('Where this customer pays, chosen by country'),
  external_id: z.string().nullable().describe("The issuer's own name for the customer, for usage events"),
  created_at: timestamp,
  updated_at: timestamp,
});

export const externalIdBody = z.strictObject({
  external_id: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/, 'Letters, digits and _ . : -, at most 128')
    .refine((v) => !v.startsWith('org_'), 'An external id cannot look like an organization id')
    .nullable()
    .describe('Your id for this customer, unique among your customers; null to remove it'),
});

export const operatorCustomerObject = customerObject.extend({
  org_name: z.string(),
  subscription: z
    .object({
      plan_name: z.string(),
      status: z.enum(['incomplete', 'trialing', 'active', 'past_due', 'unpaid', 'paused']),
    })
    .nullable()
    .describe('Its newest subscription that has not ended, or null'),
});

export const gatewayRoutingObject = z.object({
  object: z.literal('gateway_routing'),
  default_gateway: gatewaySchema,
  countries: z.record(z.string(), gatewaySchema),
  configured_gateways: z.array(gatewaySchema).describe('Gateways with keys; others fall back to test'),
});

export const paymentMethodObject = z.object({
  id: z.string(),
  object: z.literal('payment_method'),
  gateway: gatewaySchema,
  kind: z.string().describe('card, upi_mandate, ...'),
  brand: z.string(),
  last4: z.string(),
  exp_month: z.number().nullable(),
  exp_year: z.number().nullable(),
  is_default: z.boolean(),
  created_at: timestamp,
});

export type CustomerObject = z.infer<typeof customerObject>;
export type PaymentMethodObject = z.infer<typeof paymentMethodObject>;
