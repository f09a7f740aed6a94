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
 * The current period and the `count` calendar months before it, newest first, in the customer's time
 * zone. The month the period starts in is cut at its start: a plan taken on the 29th leaves the 1st
 * to the 28th as the month before it.
 */
export function periodsBack(current: Period, timeZone: string, count: number): Period[] {
  const periods = [current];
  const before = wallClock(new Date(Date.parse(current.start) - 1), timeZone);
  const monthStart = (back: number) => {
    const index = before.year * 12 + (before.month - 1) - back;
    const start = {
      year: Math.floor(index / 12),
      month: (index % 12) + 1,
      day: 1,
      hour: 0,
      minute: 0,
      second: 0,
    };
    return fromWallClock(start, timeZone).toISOString();
  };
  for (let back = 0; back < count; back++) {
    const later = periods[back] as Period;
    periods.push({ start: monthStart(back), end: later.start });
  }
  return periods;
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

/** A group's bars, or the whole use when nothing is grouped (the chart's ChartLine). */
export interface UsageLine {
  label: string;
  values: number[];
}

interface SeriesShape {
  start: string;
  value: string;
}

/** The groups a chart shows apart; the rest are summed as one "Other" stack. */
export const MOST_GROUPS = 5;

/**
 * The buckets of a usage report on one time line, each line's values aligned to it (a bucket a line
 * has no point for is 0), the groups with most use first, past MOST_GROUPS summed into "Other".
 */
export function chartLines(
  report: {
    metric: { name: string };
    series: SeriesShape[];
    groups?: { values: Record<string, string>; total: string; series: SeriesShape[] }[] | undefined;
  },
  groupBy: string | undefined,
): { starts: string[]; lines: UsageLine[] } {
  const groups = groupBy ? (report.groups ?? []) : [];
  const instants = new Set<number>(report.series.map((point) => Date.parse(point.start)));
  for (const group of groups) for (const point of group.series) instants.add(Date.parse(point.start));
  const times = [...instants].sort((a, b) => a - b);
  const position = new Map(times.map((time, index) => [time, index]));
  const align = (series: SeriesShape[]) => {
    const values = times.map(() => 0);
    for (const point of series) {
      const index = position.get(Date.parse(point.start)) ?? 0;
      values[index] = (values[index] ?? 0) + Number(point.value);
    }
    return values;
  };
  const starts = times.map((time) => new Date(time).toISOString());
  if (groups.length === 0)
    return { starts, lines: [{ label: report.metric.name, values: align(report.series) }] };

  const ranked = [...groups].sort((a, b) => compareDecimals(b.total, a.total));
  const lines = ranked.slice(0, MOST_GROUPS).map((group) => ({
    label: (groupBy ? group.values[groupBy] : undefined) || 'None',
    values: align(group.series),
  }));
  const rest = ranked.slice(MOST_GROUPS);
  if (rest.length > 0) {
    // Every point of the rest, aligned as one series.
    lines.push({ label: 'Other', values: align(rest.flatMap((group) => group.series)) });
  }
  return { starts, lines };
}
