import { compareDecimals } from '../shared/money';

/**
 * Usage in numbers a page can show: how close a total is to its limit, and the periods a person
 * may look back on. Totals are the API's decimal strings; limits are whole numbers.
 */

/** Within the limit, at 80% of it or more (alert C24), or at the limit or past it. */
export type UsageLevel = 'within' | 'near' | 'over';

export function usageLevel(total: string, limit: number | null): UsageLevel {
  if (limit === null) return 'within';
  if (compareDecimals(total, String(limit)) >= 0) return 'over';
  // 80% of a whole number has at most one decimal: 4/5 of it, written exactly.
  const fourFifths = `${Math.floor((limit * 4) / 5)}.${((limit * 4) % 5) * 2}`;
  return compareDecimals(total, fourFifths) >= 0 ? 'near' : 'within';
}

/** The share of the limit used, 0–100 and more; for a bar's width and for words, not for money. */
export function usedPercent(total: string, limit: number | null): number | null {
  if (limit === null) return null;
  if (limit === 0) return Number(total) > 0 ? 100 : 0;
  return (Number(total) / limit) * 100;
}

export interface Period {
  start: string;
  end: string;
}

/**
 * The current period and the `count` before it, newest first, each a month before the next in the
 * customer's time zone (a period from the 15th at midnight goes back to the 15th at midnight).
 */
export function periodsBack(current: Period, timeZone: string, count: number): Period[] {
  const periods = [current];
  // Each start is counted from the current one, so an anchor on the 31st stays on the 31st where a
  // month has one instead of drifting to the 28th after February.
  for (let back = 1; back <= count; back++) {
    const later = periods[back - 1] as Period;
    periods.push({ start: shiftMonths(current.start, -back, timeZone), end: later.start });
  }
  return periods;
}

/** The same wall-clock time `months` away in `timeZone`, the day kept within the shorter month. */
export function shiftMonths(iso: string, months: number, timeZone: string): string {
  const local = wallClock(new Date(iso), timeZone);
  const monthIndex = local.year * 12 + (local.month - 1) + months;
  const year = Math.floor(monthIndex / 12);
  const month = (monthIndex % 12) + 1;
  const lastDay = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return fromWallClock({ ...local, year, month, day: Math.min(local.day, lastDay) }, timeZone).toISOString();
}

interface WallClock {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const partsFormats = new Map<string, Intl.DateTimeFormat>();

/** What a clock on the wall in `timeZone` shows at `instant`. */
export function wallClock(instant: Date, timeZone: string): WallClock {
  let format = partsFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    partsFormats.set(timeZone, format);
  }
  const part = (type: Intl.DateTimeFormatPartTypes) =>
    Number(format.formatToParts(instant).find((p) => p.type === type)?.value ?? 0);
  return {
    year: part('year'),
    month: part('month'),
    day: part('day'),
    hour: part('hour'),
    minute: part('minute'),
    second: part('second'),
  };
}

/**
 * The instant a wall clock in `timeZone` shows `local`: guess it as UTC, then correct by the zone's
 * offset there; a second pass settles the guesses that straddle a change of offset.
 */
export function fromWallClock(local: WallClock, timeZone: string): Date {
  const asUtc = Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute, local.second);
  let instant = asUtc;
  for (let pass = 0; pass < 2; pass++) {
    const shown = wallClock(new Date(instant), timeZone);
    const shownAsUtc = Date.UTC(
      shown.year,
      shown.month - 1,
      shown.day,
      shown.hour,
      shown.minute,
      shown.second,
    );
    instant += asUtc - shownAsUtc;
  }
  return new Date(instant);
}
