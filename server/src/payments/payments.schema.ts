import { z } from 'zod';
import { amountInput, idOf, timestamp } from '../api-shapes.js';

/** Request and response shapes of checkout and payments (C11, C14). */

/** The day a subscription's periods start on, chosen at checkout; checked against the plan's interval. */
export const billingDaySchema = z
  .number()
  .int()
  .min(1)
  .max(31)
  .optional()
  .describe(
    'The day of month periods start on (a weekly plan: the ISO weekday, 1 = Monday … 7 = Sunday); the first period runs to it, prorated. Default: the 1st (Monday) for calendar billing, the start day for anniversary',
  );

export const createCheckoutBody = z
  .strictObject({
    mode: z
      .enum(['payment', 'setup'])
      .default('payment')
      .describe(
        'payment: subscribe to a plan, paying its first period; setup: save a new card (update payment details)',
      ),
    plan_id: idOf('plan').optional().describe('The plan to subscribe to (payment mode)'),
    billing_mode: z
      .enum(['calendar', 'anniversary'])
      .default('calendar')
      .describe(
        'calendar: periods from the 1st (Monday; 1 January, April, July, October for quarters), the first prorated; anniversary: periods from today',
      ),
    billing_day: billingDaySchema,
    additional: z
      .boolean()
      .default(false)
      .describe(
        'true: one more subscription (another license) beside the current ones, instead of replacing them',
      ),
    return_path: z
      .string()
      .regex(/^\/billing(\/[a-z-]+)?$/, 'A Billing page of this Billfold, e.g. /billing/modify')
      .default('/billing')
      .describe('Where the person comes back to, with ?checkout=<id>'),
  })
  .refine((body) => (body.mode === 'payment') === (body.plan_id !== undefined), {
    message: 'Give plan_id to subscribe (payment mode), and none to save a card (setup mode)',
    path: ['plan_id'],
  });

export const checkoutParams = z.strictObject({ checkout_session_id: idOf('checkoutSession') });

export const paymentObject = z.object({
  id: z.string(),
  object: z.literal('payment'),
  gateway: z.enum(['test', 'stripe', 'cashfree']),
  amount: z.number().describe('Minor units'),
  currency: z.string(),
  status: z.enum(['succeeded', 'failed', 'requires_action', 'processing']),
  failure_code: z.string().nullable(),
  failure_message: z.string().nullable(),
  created_at: timestamp,
});

/** A payment that arrived for a plan while another paid plan was in force: it was given back. */
export const paymentConflictObject = z
  .object({
    plan_name: z.string().describe('The paid plan that was already in force'),
    amount: z.number().describe('Minor units paid, and refunded in full'),
    currency: z.string(),
    refund_status: z
      .enum(['refunded', 'pending'])
      .describe('pending: the refund is asked of the gateway again until it answers'),
  })
  .describe('Why the payment was refunded rather than kept');

const outcome = z
  .enum(['applied', 'refunded_conflict'])
  .nullable()
  .describe(
    'How a completed checkout or paid link ended: applied, or refunded because another paid plan was in force meanwhile (see conflict). Null until then.',
  );

export const checkoutSessionObject = z.object({
  id: z.string(),
  object: z.literal('checkout_session'),
  status: z.enum(['open', 'complete', 'expired']),
  gateway: z.enum(['test', 'stripe', 'cashfree']),
  mode: z.enum(['payment', 'setup']),
  url: z.string().nullable().describe("The gateway's hosted page; null when nothing is to be paid"),
  plan_id: z.string().nullable(),
  amount: z.number().describe('Minor units the card pays at the gateway (0 when it only saves a card)'),
  credit_applied: z
    .number()
    .describe("Minor units of the first invoice paid from the customer's credit balance, taken as it opened"),
  currency: z.string(),
  expires_at: timestamp,
  completed_at: timestamp.nullable(),
  payment: paymentObject.nullable(),
  outcome,
  conflict: paymentConflictObject.nullable(),
  created_at: timestamp,
});

export const refundObject = z.object({
  id: z.string(),
  object: z.literal('refund'),
  payment_id: z.string(),
  amount: z.number().describe('Minor units'),
  currency: z.string(),
  reason: z.string(),
  status: z.enum(['succeeded', 'pending', 'failed']),
  created_at: timestamp,
});

export const paymentWithRefundsObject = paymentObject.extend({
  description: z
    .string()
    .describe(
      "What it paid for: the payment link's description, its invoices' lines, or the plan its checkout was for; empty when none is known",
    ),
  invoices: z
    .array(z.object({ id: z.string(), number: z.string().nullable() }))
    .describe('The invoices it paid or was charged for'),
  refunded: z.number().describe('Minor units refunded so far'),
  refunds: z.array(refundObject),
});

export const createRefundBody = z.strictObject({
  amount: amountInput(1, { min: 'The amount must be positive' })
    .optional()
    .describe('Minor units; the whole remaining amount when left out'),
  reason: z.string().trim().min(1).max(200).default('requested_by_customer'),
});

export const paymentParams = z.strictObject({
  org_id: idOf('organization'),
  payment_id: idOf('payment'),
});

export const createPaymentLinkBody = z
  .strictObject({
    plan_id: idOf('plan')
      .optional()
      .describe('A plan: paying the link pays its first period and activates it'),
    invoice_id: idOf('invoice')
      .optional()
      .describe('An open invoice: paying the link pays what is due on it'),
    amount: amountInput(1, { min: 'The amount must be positive' })
      .optional()
      .describe("An amount in the customer's currency, in minor units"),
    description: z
      .string()
      .trim()
      .min(1)
      .max(200)
      .optional()
      .describe('What the amount is for (with amount)'),
    expires_in_days: z.number().int().min(1).max(90).default(7),
  })
  .superRefine((body, ctx) => {
    const given = [body.plan_id, body.amount, body.invoice_id].filter((v) => v !== undefined).length;
    if (given !== 1) {
      ctx.addIssue({
        code: 'custom',
        path: ['plan_id'],
        message: 'Give one of plan_id, invoice_id or amount',
      });
    } else if (body.amount !== undefined && body.description === undefined) {
      ctx.addIssue({ code: 'custom', path: ['description'], message: 'Say what the amount is for' });
    }
  });

export const paymentLinkParams = z.strictObject({ payment_link_id: idOf('paymentLink') });

export const paymentLinkObject = z.object({
  id: z.string(),
  object: z.literal('payment_link'),
  status: z.enum(['active', 'paid', 'cancelled', 'expired']),
  gateway: z.enum(['test', 'stripe', 'cashfree']),
  url: z.string().describe('Share it: anyone can pay it, without an account'),
  plan_id: z.string().nullable(),
  invoice_id: z.string().nullable().describe('The invoice this link pays, if any'),
  amount: z.number().describe('Minor units'),
  currency: z.string(),
  description: z.string(),
  expires_at: timestamp,
  paid_at: timestamp.nullable(),
  cancelled_at: timestamp.nullable(),
  payment: paymentObject.nullable(),
  outcome,
  conflict: paymentConflictObject.nullable(),
  created_at: timestamp,
});

export type PaymentConflictObject = z.infer<typeof paymentConflictObject>;
export type PaymentLinkObject = z.infer<typeof paymentLinkObject>;
export type CheckoutSessionObject = z.infer<typeof checkoutSessionObject>;
export type PaymentObject = z.infer<typeof paymentObject>;
