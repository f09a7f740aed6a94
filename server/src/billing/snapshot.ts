import type { Temporal } from 'temporal-polyfill';
import type { BillingPeriod } from '../time/index.js';
import type { HeldUnits } from './held.js';
import type { RatedCharge } from './pricing.js';
import type { PlanPrice } from './proration.js';
import type { TaxRule } from './tax.js';

/**
 * Everything the rating core needs to say what a subscription owes, loaded before it runs: the core
 * reads no database and no clock. Loaders in flows/ build a snapshot (tax rule included), rate.ts
 * turns it into lines and totals, and the caller writes what it was given.
 */

/** When the plan's fee is billed: at the start of the period it pays for, or at its end. */
export const FEE_TIMINGS = ['advance', 'arrears'] as const;
export type FeeTiming = (typeof FEE_TIMINGS)[number];

/** What is being rated. */
export const RATING_EVENTS = ['start', 'renewal', 'plan_change', 'termination', 'usage_event'] as const;
export type RatingEventKind = (typeof RATING_EVENTS)[number];

/** A plan change takes effect now (prorated) or when the period ends (nothing owed now). */
export const CHANGE_TIMINGS = ['now', 'period_end'] as const;
export type ChangeTiming = (typeof CHANGE_TIMINGS)[number];

/** A termination at the end of the period (nothing owed), or now with the unused days credited. */
export const TERMINATION_TIMINGS = ['period_end', 'now'] as const;
export type TerminationTiming = (typeof TERMINATION_TIMINGS)[number];

/** A usage charge of the plan: the metric it prices and how. */
export interface PlanCharge extends RatedCharge {
  metric: string;
  /** The metric's name, for the line's description. */
  metricName: string;
  /** Billed per event as it happens (`usage_event`), rather than in arrears at the end of the period. */
  payInAdvance: boolean;
}

/** The terms of one plan version, as the core reads them. */
export interface PlanTerms extends PlanPrice {
  feeTiming: FeeTiming;
  /** Minor units the period's fee and usage are topped up to; 0n for none. */
  minimumCommitment: bigint;
  trialDays: number;
  charges: readonly PlanCharge[];
}

/** A period's total of one metric for one combination of dimensions (fed by metering). */
export interface UsageTotal {
  metric: string;
  dimensions: Record<string, string>;
  /** A decimal string. */
  quantity: string;
  /** The values of the events summed in `quantity`, for charges that price each (percentage). */
  events?: readonly string[];
  /**
   * A recurring metric's level over the period (`quantity` is the level at its end): priced by the
   * days each unit was held (held.ts).
   */
  held?: HeldUnits;
}

/** The period that just ended, billed at a renewal: the fee in arrears, its usage, the commitment. */
export interface ClosingPeriod {
  period: BillingPeriod;
  /** When the subscription began to be billed in it (its start, or later for a first period). */
  from: Temporal.Instant;
  /** The plan in force during it (before a scheduled change took effect). */
  plan: PlanTerms;
  usage: readonly UsageTotal[];
}

export type RatingEvent =
  /** A first invoice (or a resumption): the fee from `at` to the end of `period`, unless in a trial. */
  | { kind: 'start'; at: Temporal.Instant; trial: boolean }
  /**
   * `period` begins; `closing`, when given, is the one that ended. `final`: the subscription ends
   * with `closing` (cancelled at the period's end), so only what it owes for that period is billed.
   */
  | {
      kind: 'renewal';
      closing?: ClosingPeriod;
      final?: boolean;
      /**
       * When the new period's billing begins: its start, unless the period that ended was not aligned
       * with it (a trial ending in the middle of a calendar period), which prorates the fee.
       */
      from?: Temporal.Instant;
    }
  /**
   * From `plan` to `to` at `at`, within `period`. `from`: when `plan` began to be billed in `period`
   * (its start unless it started, resumed or changed later), which a fee in arrears is billed from.
   * `newPeriod`: the new plan's first period when the change starts one (another interval), billed
   * from `at`. `trial`: nothing was paid and nothing is owed, so nothing is billed.
   */
  | {
      kind: 'plan_change';
      to: PlanTerms;
      at: Temporal.Instant;
      timing: ChangeTiming;
      from?: Temporal.Instant;
      newPeriod?: BillingPeriod;
      trial?: boolean;
    }
  /**
   * The subscription ends at `at` (within `period`), with its usage so far. `from`: when it began to
   * be billed in this period (the period's start unless it started or resumed later).
   */
  | {
      kind: 'termination';
      at: Temporal.Instant;
      from?: Temporal.Instant;
      timing: TerminationTiming;
      usage: readonly UsageTotal[];
    }
  /** Usage of a charge paid in advance: `quantity` more, on top of `before` already billed this period. */
  | { kind: 'usage_event'; at: Temporal.Instant; usage: UsageTotal; before: string };

export interface RatingSnapshot {
  plan: PlanTerms;
  /** The period the event falls in (for a renewal: the one that begins). */
  period: BillingPeriod;
  event: RatingEvent;
  tax: TaxRule;
  /** The customer's credit balance in minor units, applied before the card is charged. */
  creditBalance: bigint;
}
