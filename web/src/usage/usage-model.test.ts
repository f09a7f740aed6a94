import { describe, expect, it } from 'vitest';
import { chartLines, fromWallClock, periodsBack, usageLevel, usedPercent, wallClock } from './usage-model';

describe('usage against a limit', () => {
  it('turns near at exactly 80% and over at exactly 100%', () => {
    expect(usageLevel('7999', 10000)).toBe('within');
    expect(usageLevel('7999.99', 10000)).toBe('within');
    expect(usageLevel('8000', 10000)).toBe('near');
    expect(usageLevel('9999.999', 10000)).toBe('near');
    expect(usageLevel('10000', 10000)).toBe('over');
    expect(usageLevel('12500.5', 10000)).toBe('over');
  });

  it('finds 80% of limits that are not multiples of five without rounding', () => {
    // 80% of 7 is 5.6.
    expect(usageLevel('5.59', 7)).toBe('within');
    expect(usageLevel('5.6', 7)).toBe('near');
    // 80% of 1 is 0.8.
    expect(usageLevel('0.8', 1)).toBe('near');
    expect(usageLevel('0.79', 1)).toBe('within');
  });

  it('is never near an absent limit, and a zero limit is reached by nothing', () => {
    expect(usageLevel('1000000', null)).toBe('within');
    expect(usageLevel('0', 0)).toBe('over');
    expect(usedPercent('0', 0)).toBe(0);
    expect(usedPercent('3', 0)).toBe(100);
  });

  it('says the share used past 100%', () => {
    expect(usedPercent('12500', 10000)).toBe(125);
    expect(usedPercent('25', 100)).toBe(25);
    expect(usedPercent('25', null)).toBeNull();
  });
});

describe('periods in the customer’s time zone', () => {
  it('reads and writes wall clocks across a change of offset', () => {
    // Los Angeles moved from PDT (-7) to PST (-8) on 2026-11-01.
    expect(
      fromWallClock(
        { year: 2026, month: 11, day: 1, hour: 0, minute: 0, second: 0 },
        'America/Los_Angeles',
      ).toISOString(),
    ).toBe('2026-11-01T07:00:00.000Z');
    expect(
      fromWallClock(
        { year: 2026, month: 12, day: 1, hour: 0, minute: 0, second: 0 },
        'America/Los_Angeles',
      ).toISOString(),
    ).toBe('2026-12-01T08:00:00.000Z');
    expect(wallClock(new Date('2026-12-01T08:00:00Z'), 'America/Los_Angeles')).toEqual({
      year: 2026,
      month: 12,
      day: 1,
      hour: 0,
      minute: 0,
      second: 0,
    });
  });

  it('steps back whole calendar months at local midnight', () => {
    const current = { start: '2026-11-01T07:00:00.000Z', end: '2026-12-01T08:00:00.000Z' };
    expect(periodsBack(current, 'America/Los_Angeles', 2)).toEqual([
      current,
      { start: '2026-10-01T07:00:00.000Z', end: '2026-11-01T07:00:00.000Z' },
      { start: '2026-09-01T07:00:00.000Z', end: '2026-10-01T07:00:00.000Z' },
    ]);
  });

  it('cuts the month a period starts in at its start, and crosses years', () => {
    // A plan taken on 29 November (Los Angeles); then the months before it, back past January.
    const current = { start: '2026-11-29T08:00:00.000Z', end: '2026-12-01T08:00:00.000Z' };
    const periods = periodsBack(current, 'America/Los_Angeles', 12);
    expect(periods[1]).toEqual({ start: '2026-11-01T07:00:00.000Z', end: '2026-11-29T08:00:00.000Z' });
    expect(periods[2]).toEqual({ start: '2026-10-01T07:00:00.000Z', end: '2026-11-01T07:00:00.000Z' });
    expect(periods[12]).toEqual({ start: '2025-12-01T08:00:00.000Z', end: '2026-01-01T08:00:00.000Z' });
  });

  it('goes back from a period starting on the 1st in a zone east of UTC', () => {
    const current = { start: '2026-01-31T18:30:00.000Z', end: '2026-02-28T18:30:00.000Z' };
    expect(periodsBack(current, 'Asia/Kolkata', 1)[1]).toEqual({
      start: '2025-12-31T18:30:00.000Z',
      end: '2026-01-31T18:30:00.000Z',
    });
  });
});

describe('chart lines from a usage report', () => {
  const day = (d: number) => `2026-11-0${d}T08:00:00.000Z`;
  const point = (d: number, value: string) => ({ start: day(d), value });

  it('puts every group on one time line, a missing bucket as 0', () => {
    const { starts, lines } = chartLines(
      {
        metric: { name: 'Machine hours' },
        series: [point(1, '3'), point(2, '2.5'), point(3, '1')],
        groups: [
          { values: { machine_type: 'gpu' }, total: '1', series: [point(3, '1')] },
          { values: { machine_type: 'standard' }, total: '5.5', series: [point(1, '3'), point(2, '2.5')] },
        ],
      },
      'machine_type',
    );
    expect(starts).toEqual([day(1), day(2), day(3)]);
    // The group with most use stacks first.
    expect(lines).toEqual([
      { label: 'standard', values: [3, 2.5, 0] },
      { label: 'gpu', values: [0, 0, 1] },
    ]);
  });

  it('sums the groups past the first five as Other', () => {
    const groups = [1, 2, 3, 4, 5, 6, 7].map((n) => ({
      values: { region: `r${n}` },
      total: String(n),
      series: [point(1, String(n))],
    }));
    const { lines } = chartLines({ metric: { name: 'Runs' }, series: [point(1, '28')], groups }, 'region');
    expect(lines.map((line) => line.label)).toEqual(['r7', 'r6', 'r5', 'r4', 'r3', 'Other']);
    expect(lines.at(-1)?.values).toEqual([3]);
  });

  it('shows the whole use as one line when nothing is grouped', () => {
    const { lines } = chartLines(
      { metric: { name: 'Runs' }, series: [point(1, '4'), point(2, '0')] },
      undefined,
    );
    expect(lines).toEqual([{ label: 'Runs', values: [4, 0] }]);
  });
});
