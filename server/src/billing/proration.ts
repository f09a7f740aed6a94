import type { Temporal } from 'temporal-polyfill';
import type { InvoiceLineKind } from '../db/schema.js';
import { divideRounded } from '../money/index.js';
import { type BillingPeriod, daysInPeriod, daysRemaining } from '../time/index.js';

/**
 * The plan fee's lines: a whole or partial period, and the credit and charge of a change within a
 * period. Proration is by calendar days in the customer's time zone; the day of a start or change is
 * billed on the new plan; each prorated line is rounded once, half-up (docs/billing-rules.md).
 * Only rate.ts calls these: it decides which of them a start, renewal, change or termination owes.
 */

export interface PlanPrice {
  planId: string;
  versionId: string;
  planName: string;
  /** The plan's fee per period, minor units. */
  basePrice: bigint;
  currency: string;
}

export interface ChargeLine {
  kind: InvoiceLineKind;
  description: string;
  periodStart: Temporal.Instant;
  periodEnd: Temporal.Instant;
  /** A decimal string: 1 for a whole period, "22/31" style fractions are described, not stored. */
  quantity: string;
  /** Minor units per unit, as a decimal string. */
  unitAmount: string;
  /** Minor units; positive charges, negative credits. */
  amount: bigint;
  planVersionId: string | null;
}

/** `amount` × days/of, rounded half-up to a minor unit. */
export function prorate(amount: bigint, days: number, of: number): bigint {
  return divideRounded(amount * BigInt(days), BigInt(of), 'half_up');
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** "Jan 15, 2027": the customer's local date, the same in every locale the server runs in. */
const shortDate = (at: Temporal.ZonedDateTime) => `${MONTHS[at.month - 1]} ${at.day}, ${at.year}`;

function span(period: BillingPeriod, from: Temporal.Instant): string {
  const first = from.toZonedDateTimeISO(period.start.timeZoneId);
  const last = period.end.subtract({ days: 1 });
  return `${shortDate(first)} – ${shortDate(last)}`;
}

/** The plan's fee from `from` to the end of `period`: whole when `from` is the period's start. */
export function licenseLine(price: PlanPrice, period: BillingPeriod, from: Temporal.Instant): ChargeLine {
  const days = daysInPeriod(period);
  const remaining = daysRemaining(period, from);
  const whole = remaining === days;
  return {
    kind: 'license',
    description: whole
      ? `${price.planName} (${span(period, period.startInstant)})`
      : `${price.planName}, ${remaining} of ${days} days (${span(period, from)})`,
    periodStart: whole ? period.startInstant : from,
    periodEnd: period.endInstant,
    quantity: '1',
    unitAmount: price.basePrice.toString(),
    amount: whole ? price.basePrice : prorate(price.basePrice, remaining, days),
    planVersionId: price.versionId,
  };
}

/** Leaving a fee paid in advance at `at`: a credit for its unused days, the day of the change included. */
export function unusedTimeLine(from: PlanPrice, period: BillingPeriod, at: Temporal.Instant): ChargeLine {
  const days = daysInPeriod(period);
  const remaining = daysRemaining(period, at);
  return {
    kind: 'proration_credit',
    description: `Unused time on ${from.planName}, ${remaining} of ${days} days (${span(period, at)})`,
    periodStart: at,
    periodEnd: period.endInstant,
    quantity: '1',
    unitAmount: (-from.basePrice).toString(),
    amount: -prorate(from.basePrice, remaining, days),
    planVersionId: from.versionId,
  };
}

/** Joining a fee paid in advance at `at`: a charge for the same days the old plan's credit covers. */
export function remainingTimeLine(to: PlanPrice, period: BillingPeriod, at: Temporal.Instant): ChargeLine {
  const days = daysInPeriod(period);
  const remaining = daysRemaining(period, at);
  return {
    kind: 'proration_charge',
    description: `Remaining time on ${to.planName}, ${remaining} of ${days} days (${span(period, at)})`,
    periodStart: at,
    periodEnd: period.endInstant,
    quantity: '1',
    unitAmount: to.basePrice.toString(),
    amount: prorate(to.basePrice, remaining, days),
    planVersionId: to.versionId,
  };
}
