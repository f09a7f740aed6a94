import { Temporal } from 'temporal-polyfill';
import { daysInPeriod, daysRemaining } from '../time/index.js';
import { type ChargeLine, licenseLine, prorate, remainingTimeLine, unusedTimeLine } from './proration.js';
import type { ClosingPeriod, PlanTerms, RatingSnapshot } from './snapshot.js';
import { type InvoiceTotals, invoiceTotals } from './tax.js';
import { usageEventLine, usageLines } from './usage.js';

/**
 * The rating core: what a subscription owes for one event, from a snapshot, with no I/O. Every
 * invoice, quote and preview is this function's answer, so what a person is shown is what is then
 * invoiced, to the cent (docs/billing-rules.md lists the rules with worked examples).
 *
 * - start: the plan's fee in advance from the start to the end of the period, prorated by days;
 *   nothing during a trial or for a fee billed in arrears.
 * - renewal: the period that ended (its fee in arrears, its usage, the minimum commitment's top-up)
 *   and the fee in advance of the period that begins.
 * - plan_change now: the current fee's unused days credited (paid in advance) or its used days
 *   charged (in arrears), and the new fee charged for the rest of the period (or of its own first
 *   period, for another interval) when it is paid in advance; at the period's end, or during a
 *   trial: nothing now.
 * - termination now: a credit for the unused days of a fee paid in advance (the used days of a fee
 *   in arrears are charged), the usage so far, and the minimum commitment of the days used; at the
 *   period's end: nothing now.
 * - usage_event: what one event of a charge paid in advance adds to the period's price.
 *
 * Lines come out in one canonical order, whatever order they were computed in; zero lines are
 * dropped; tax is computed once on the sum; the customer's credit balance is applied last.
 */

export interface Rating {
  lines: ChargeLine[];
  totals: InvoiceTotals;
  /** The part of the total the customer's credit balance pays. */
  creditApplied: bigint;
  /** What is left for the card: total − creditApplied. */
  amountDue: bigint;
}

export function rate(snapshot: RatingSnapshot): Rating {
  const lines = canonicalOrder(linesOf(snapshot).filter((line) => line.amount !== 0n));
  const totals = invoiceTotals(
    lines.map((line) => line.amount),
    snapshot.tax,
  );
  const available = snapshot.creditBalance > 0n ? snapshot.creditBalance : 0n;
  const creditApplied = totals.total > 0n ? (available < totals.total ? available : totals.total) : 0n;
  return { lines, totals, creditApplied, amountDue: totals.total - creditApplied };
}

/** A renewal: `period` begins (on `plan`), and `closing`, when given, ended. */
export function rateRenewal(
  input: Omit<RatingSnapshot, 'event' | 'creditBalance'> & {
    closing?: ClosingPeriod | undefined;
    final?: boolean;
    from?: Temporal.Instant;
    creditBalance?: bigint;
  },
): Rating {
  return rate({
    plan: input.plan,
    period: input.period,
    tax: input.tax,
    creditBalance: input.creditBalance ?? 0n,
    event: {
      kind: 'renewal',
      ...(input.closing ? { closing: input.closing } : {}),
      ...(input.final ? { final: true } : {}),
      ...(input.from ? { from: input.from } : {}),
    },
  });
}

function linesOf({ plan, period, event }: RatingSnapshot): ChargeLine[] {
  switch (event.kind) {
    case 'start':
      if (event.trial || plan.feeTiming === 'arrears') return [];
      return [licenseLine(plan, period, event.at)];
    case 'renewal':
      return [
        ...(event.closing ? closingLines(event.closing) : []),
        ...(plan.feeTiming === 'advance' && !event.final
          ? [licenseLine(plan, period, event.from ?? period.startInstant)]
          : []),
      ];
    case 'plan_change': {
      if (event.timing === 'period_end' || event.trial) return [];
      // Leaving: a fee paid in advance gives back its unused days; one in arrears bills its used days.
      const leaving =
        plan.feeTiming === 'advance'
          ? unusedTimeLine(plan, period, event.at)
          : usedTimeLine(plan, period, event.from ?? period.startInstant, event.at, 'until the change');
      // Joining: a fee in advance is charged from now (a new interval's from the start of its period);
      // one in arrears is billed when the period ends, from the change.
      if (event.to.feeTiming === 'arrears') return [leaving];
      const joining = event.newPeriod
        ? licenseLine(event.to, event.newPeriod, event.at)
        : remainingTimeLine(event.to, period, event.at);
      return [leaving, joining];
    }
    case 'termination': {
      if (event.timing === 'period_end') return [];
      const usage = usageLines(
        plan,
        event.usage,
        { start: event.from ?? period.startInstant, end: event.at },
        { includeAdvanceCharges: false, period },
      );
      const from = event.from ?? period.startInstant;
      const fee = terminationLine(plan, period, from, event.at);
      const topUp = terminationTopUp(plan, period, from, event.at, [...usage, fee]);
      return [...usage, fee, ...(topUp ? [topUp] : [])];
    }
    case 'usage_event': {
      const line = usageEventLine(plan, event.usage, event.before, event.at, period.endInstant);
      return line ? [line] : [];
    }
  }
}

/** The fee, usage and commitment of the period that ended. */
function closingLines(closing: ClosingPeriod): ChargeLine[] {
  const { plan, period, from } = closing;
  const fee = licenseLine(plan, period, from);
  const usage = usageLines(
    plan,
    closing.usage,
    { start: fee.periodStart, end: period.endInstant },
    { includeAdvanceCharges: false, period },
  );
  const lines: ChargeLine[] = [...(plan.feeTiming === 'arrears' ? [fee] : []), ...usage];
  if (plan.minimumCommitment > 0n) {
    // The commitment is prorated like the fee when the subscription began partway through.
    const days = daysInPeriod(period);
    const remaining = daysRemaining(period, from);
    const committed = prorate(plan.minimumCommitment, remaining, days);
    const billed = fee.amount + usage.reduce((sum, line) => sum + line.amount, 0n);
    if (billed < committed) {
      lines.push({
        kind: 'adjustment',
        description: `Minimum commitment of ${plan.planName}: top-up`,
        periodStart: fee.periodStart,
        periodEnd: period.endInstant,
        quantity: '1',
        unitAmount: (committed - billed).toString(),
        amount: committed - billed,
        planVersionId: plan.versionId,
      });
    }
  }
  return lines;
}

/**
 * Ending now: a fee paid in advance is credited for the days left, the day of the termination
 * included (as a plan change credits it: R3, R17), exactly the credit a change to another plan would
 * give; a fee in arrears is charged for the days used, the whole fee less that same credit, so the two
 * always make up the whole fee.
 */
function terminationLine(
  plan: PlanTerms,
  period: RatingSnapshot['period'],
  from: Temporal.Instant,
  at: Temporal.Instant,
): ChargeLine {
  if (plan.feeTiming === 'advance') {
    const days = daysInPeriod(period);
    const remaining = daysRemaining(period, at);
    return {
      kind: 'proration_credit',
      description: `Unused time on ${plan.planName} after cancelling, ${remaining} of ${days} days`,
      periodStart: at,
      periodEnd: period.endInstant,
      quantity: '1',
      unitAmount: (-plan.basePrice).toString(),
      amount: -prorate(plan.basePrice, remaining, days),
      planVersionId: plan.versionId,
    };
  }
  return usedTimeLine(plan, period, from, at, 'until cancelled');
}

/**
 * A fee in arrears for the days from `from` to `at` (a termination or a change now): the fee from
 * `from` less the days left, each rounded as its own line would be, so a first period's fee in arrears
 * and its end agree, and the days used and the days left always make up the fee from `from`.
 */
function usedTimeLine(
  plan: PlanTerms,
  period: RatingSnapshot['period'],
  from: Temporal.Instant,
  at: Temporal.Instant,
  until: string,
): ChargeLine {
  const days = daysInPeriod(period);
  const remaining = daysRemaining(period, at);
  const billedDays = daysRemaining(period, from);
  const billed = prorate(plan.basePrice, billedDays, days);
  return {
    kind: 'license',
    description: `${plan.planName}, ${billedDays - remaining} of ${days} days ${until}`,
    periodStart: from,
    periodEnd: at,
    quantity: '1',
    unitAmount: plan.basePrice.toString(),
    amount: billed - prorate(plan.basePrice, remaining, days),
    planVersionId: plan.versionId,
  };
}

/**
 * The minimum commitment of the days used, when a subscription ends now: prorated like the fee (the
 * committed amount from `from` less that of the days left), compared with what those days billed
 * (the fee of the days used, paid in advance or in arrears, and the usage), and topped up.
 */
function terminationTopUp(
  plan: PlanTerms,
  period: RatingSnapshot['period'],
  from: Temporal.Instant,
  at: Temporal.Instant,
  lines: readonly ChargeLine[],
): ChargeLine | null {
  if (plan.minimumCommitment === 0n) return null;
  const days = daysInPeriod(period);
  const usedDays = (amount: bigint) =>
    prorate(amount, daysRemaining(period, from), days) - prorate(amount, daysRemaining(period, at), days);
  const committed = usedDays(plan.minimumCommitment);
  const usage = lines.filter((line) => line.kind === 'usage').reduce((sum, line) => sum + line.amount, 0n);
  const billed = usedDays(plan.basePrice) + usage;
  if (billed >= committed) return null;
  return {
    kind: 'adjustment',
    description: `Minimum commitment of ${plan.planName}: top-up until cancelled`,
    periodStart: from,
    periodEnd: at,
    quantity: '1',
    unitAmount: (committed - billed).toString(),
    amount: committed - billed,
    planVersionId: plan.versionId,
  };
}

const KIND_ORDER: Record<ChargeLine['kind'], number> = {
  proration_credit: 0,
  proration_charge: 1,
  license: 2,
  usage: 3,
  adjustment: 4,
};

/** One order for the same set of lines, however they were computed. */
function canonicalOrder(lines: ChargeLine[]): ChargeLine[] {
  return [...lines].sort(
    (a, b) =>
      Temporal.Instant.compare(a.periodStart, b.periodStart) ||
      KIND_ORDER[a.kind] - KIND_ORDER[b.kind] ||
      (a.description < b.description ? -1 : a.description > b.description ? 1 : 0) ||
      (a.amount < b.amount ? -1 : a.amount > b.amount ? 1 : 0),
  );
}
