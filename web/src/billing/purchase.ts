import type { CheckoutQuote, OfferedPlan } from '../api/client';
import { formatAmount } from '../shared/money';

/** Buying a plan in words: which plan a plans link means, and what its checkout takes now and after. */

/**
 * The plan a plans link names by code, among those the organization may choose: that code, or its
 * edition in the customer's currency, which the catalog names by the code and a two- or three-letter
 * region or currency suffix (`team` → `team_in`, Team billed in rupees). Another plan whose code only
 * begins the same way (`team_annual`) is not it.
 */
export function planByCode(offers: readonly OfferedPlan[], code: string): OfferedPlan | undefined {
  const wanted = code.toLowerCase();
  const isEdition = (planCode: string) =>
    planCode.startsWith(`${wanted}_`) && /^[a-z]{2,3}$/.test(planCode.slice(wanted.length + 1));
  return (
    offers.find((plan) => plan.code.toLowerCase() === wanted) ??
    offers.find((plan) => isEdition(plan.code.toLowerCase()))
  );
}

const intervalWords: Record<string, string> = {
  week: 'a week',
  month: 'a month',
  quarter: 'a quarter',
  half_year: 'every six months',
  year: 'a year',
};

/** "Nov 29": a day of the customer's calendar, the year left to the context. */
export const formatDayIn = (iso: string, timeZone: string) =>
  new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', timeZone }).format(new Date(iso));

/**
 * "$3.27 now for Nov 29 – Nov 30, then $49.00 a month from Dec 1": what is due now (with tax, less
 * any credit) for which days, and what each period takes after (with tax), in the customer's zone.
 */
export function purchaseSentence(quote: CheckoutQuote): string {
  const money = (amount: number) => formatAmount(amount, quote.currency);
  const day = (iso: string) => formatDayIn(iso, quote.time_zone);
  // The period ends at the first instant of the next; its last day is the one before.
  const first = day(quote.period_start);
  const last = day(new Date(new Date(quote.period_end).getTime() - 1).toISOString());
  const days = first === last ? first : `${first} – ${last}`;
  const every = intervalWords[quote.recurring.interval] ?? `each ${quote.recurring.interval}`;
  const then = `then ${money(quote.recurring.total)} ${every} from ${day(quote.recurring.from)}`;
  const usage = quote.recurring.usage_charges ? ', plus usage as it is used' : '';
  return quote.trialing
    ? `Nothing now: free until ${day(quote.recurring.from)}, ${then}${usage}.`
    : `${money(quote.amount_due)} now for ${days}, ${then}${usage}.`;
}
