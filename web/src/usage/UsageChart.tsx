import { useEffect, useMemo, useRef, useState } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { formatUsage } from './UsageMeter';

/** One stack of bars: a group's use per bucket (or the whole use, when nothing is grouped). */
export interface ChartLine {
  label: string;
  values: number[];
}

export type Granularity = 'day' | 'hour';

/** Bar colours for groups, in order; a page lumps groups past these into "Other". */
export const chartColors = ['#4f46e5', '#0ea5e9', '#10b981', '#f59e0b', '#ec4899', '#64748b'] as const;

const bucketSeconds: Record<Granularity, number> = { day: 86_400, hour: 3_600 };
const axisFont = `12px ${getComputedStyle(document.documentElement).getPropertyValue('--font-sans').trim() || 'system-ui'}`;
const compactNumber = new Intl.NumberFormat(undefined, { notation: 'compact', maximumFractionDigits: 1 });

/**
 * The y axis's numbers: compact from a thousand up (1.5K), else with as many decimals as the step
 * between ticks needs, so 0.001, 0.002… never all read "0".
 */
function axisNumbers(splits: number[]): string[] {
  const step = Math.abs((splits[1] ?? 1) - (splits[0] ?? 0)) || 1;
  if (step >= 1000) return splits.map((value) => compactNumber.format(value));
  let decimals = 0;
  while (decimals < 6 && Math.abs(Math.round(step * 10 ** decimals) - step * 10 ** decimals) > 1e-6)
    decimals++;
  const format = new Intl.NumberFormat(undefined, {
    minimumFractionDigits: decimals,
    maximumFractionDigits: decimals,
  });
  return splits.map((value) => format.format(value));
}

/** The y axis as wide as its widest number, and no wider: a phone has none to spare. */
function axisWidth(_u: uPlot, values: string[] | null): number {
  const measure = document.createElement('canvas').getContext('2d');
  if (!measure || !values) return 40;
  measure.font = axisFont;
  return Math.ceil(Math.max(...values.map((value) => measure.measureText(value).width))) + 14;
}

/**
 * Use per day or per hour as bars, groups stacked, drawn by uPlot on a canvas that follows the
 * width of its card. Days and hours are the customer's (`timeZone`), as the API counts them. A line
 * above the chart reads out the bucket under the pointer (or finger), the period's total otherwise.
 */
export function UsageChart({
  starts,
  lines,
  range,
  total,
  granularity,
  timeZone,
  unit,
  label,
}: {
  /** Each bucket's first instant, ascending (ISO 8601). */
  starts: readonly string[];
  lines: readonly ChartLine[];
  /** The period shown whole, days or hours without use included. */
  range: { start: string; end: string };
  /** The period's figure as the API aggregates it (a sum, or a peak for a "max" metric), with its name. */
  total: { label: string; value: string };
  granularity: Granularity;
  timeZone: string;
  unit: string;
  /** What the chart shows, for those who cannot see it. */
  label: string;
}) {
  const holder = useRef<HTMLDivElement>(null);
  const [hovered, setHovered] = useState<number | null>(null);
  const formats = useMemo(() => bucketFormats(timeZone), [timeZone]);

  useEffect(() => {
    const element = holder.current;
    if (!element) return;
    const xs = starts.map((start) => Date.parse(start) / 1000);
    // Stacked: each line's bar reaches the sum of it and the lines before it. uPlot draws series in
    // order, so the tallest sum goes first and each shorter one is painted over its lower part.
    const sums: number[][] = [];
    lines.forEach((line, index) => {
      const below = sums[index - 1];
      sums.push(line.values.map((value, i) => value + (below?.[i] ?? 0)));
    });
    // Each bar stands centred on its bucket's first instant, under that instant's tick. The whole
    // period shows, and the first bucket too when it began before the period (a plan taken at 6 PM
    // has its first day's bar at midnight).
    const half = bucketSeconds[granularity] / 2;
    const from = Math.min(Date.parse(range.start) / 1000, xs[0] ?? Number.POSITIVE_INFINITY) - half;
    const to = Date.parse(range.end) / 1000 - half;
    const plot = new uPlot(
      {
        width: element.clientWidth,
        height: chartHeight(element.clientWidth),
        tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), timeZone),
        legend: { show: false },
        cursor: { points: { show: false }, drag: { x: false, y: false, setScale: false } },
        // Room on the right for half of the last day's label, centred under its bar.
        padding: [8, 24, 0, 0],
        scales: {
          x: { time: true, range: () => [from, to] },
          y: { range: (_u, _min, max) => [0, max > 0 ? niceCeiling(max * 1.05) : 1] },
        },
        axes: [
          {
            font: axisFont,
            stroke: '#667085',
            grid: { show: false },
            ticks: { stroke: '#e4e7ec' },
            // Room for "Nov 28" between labels, so a phone shows a label every few days.
            space: 56,
            // A daily chart's ticks fall on days (uPlot would mark hours in a short period).
            ...(granularity === 'day' ? { incrs: [86_400, 2 * 86_400, 7 * 86_400, 14 * 86_400] } : {}),
            values: (_u, splits) => splits.map((ts) => formats.tick(ts * 1000)),
          },
          {
            font: axisFont,
            stroke: '#667085',
            size: axisWidth,
            space: 32,
            grid: { stroke: '#f1f3f6' },
            ticks: { show: false },
            values: (_u, splits) => axisNumbers(splits),
          },
        ],
        series: [
          {},
          ...lines
            .map((line, index) => ({
              label: line.label,
              fill: chartColors[index % chartColors.length],
              stroke: chartColors[index % chartColors.length],
              width: 0,
              // A month's hours leave a bar a pixel or two: no gap, or the gaps would be all one sees.
              paths: uPlot.paths.bars?.(
                granularity === 'day' ? { size: [0.7, 40], gap: 1 } : { size: [1, 40], gap: 0 },
              ),
              points: { show: false },
            }))
            .reverse(),
        ],
        hooks: {
          setCursor: [(u) => setHovered(u.cursor.idx ?? null)],
        },
      },
      [xs, ...sums.reverse()],
      element,
    );
    const resized = new ResizeObserver(() => {
      plot.setSize({ width: element.clientWidth, height: chartHeight(element.clientWidth) });
    });
    resized.observe(element);
    return () => {
      resized.disconnect();
      plot.destroy();
      setHovered(null);
    };
  }, [starts, lines, range.start, range.end, granularity, timeZone, formats]);

  const at = hovered === null ? undefined : starts[hovered];
  return (
    <figure className="usage-chart">
      <figcaption className="usage-chart-readout">
        {at !== undefined && hovered !== null ? (
          <>
            <strong>{formats.bucket(Date.parse(at), granularity)}</strong>{' '}
            {formatUsage(
              String(round(lines.reduce((sum, line) => sum + (line.values[hovered] ?? 0), 0))),
              unit,
            )}
            {lines.length > 1 ? (
              <span className="muted">
                {' '}
                (
                {lines
                  .map((line) => `${line.label} ${compactNumber.format(line.values[hovered] ?? 0)}`)
                  .join(' · ')}
                )
              </span>
            ) : null}
          </>
        ) : (
          <>
            <strong>{total.label}</strong> {formatUsage(total.value, unit)}
            <span className="muted"> · point at a bar for its {granularity}</span>
          </>
        )}
      </figcaption>
      <div ref={holder} className="usage-chart-canvas" role="img" aria-label={label} />
      {lines.length > 1 ? (
        <ul className="usage-chart-legend">
          {lines.map((line, index) => (
            <li key={line.label}>
              <span
                className="usage-chart-swatch"
                style={{ background: chartColors[index % chartColors.length] }}
                aria-hidden="true"
              />
              {line.label}
            </li>
          ))}
        </ul>
      ) : null}
    </figure>
  );
}

/** Shorter on a phone, so the chart and its controls fit one screen. */
const chartHeight = (width: number) => (width < 480 ? 200 : 260);

/** Sums of decimals added as numbers, trimmed of float noise for display. */
const round = (value: number) => Math.round(value * 1e6) / 1e6;

/** A round number at or above `value` for the top of the axis: 1, 2, 2.5 or 5 times a power of ten. */
function niceCeiling(value: number): number {
  const power = 10 ** Math.floor(Math.log10(value));
  const step = [1, 2, 2.5, 5, 10].find((m) => m * power >= value) ?? 10;
  return step * power;
}

/** Labels in the customer's zone: ticks ("Nov 3", or "3 PM" inside a day) and a bucket's name. */
function bucketFormats(timeZone: string) {
  const day = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', timeZone });
  const weekday = new Intl.DateTimeFormat(undefined, {
    weekday: 'short',
    month: 'short',
    day: 'numeric',
    timeZone,
  });
  const hour = new Intl.DateTimeFormat(undefined, { hour: 'numeric', timeZone });
  const hourOfDay = new Intl.DateTimeFormat('en-US', { hour: 'numeric', hourCycle: 'h23', timeZone });
  const dayAndHour = new Intl.DateTimeFormat(undefined, {
    month: 'short',
    day: 'numeric',
    hour: 'numeric',
    minute: '2-digit',
    timeZone,
  });
  return {
    tick: (ms: number) => (Number(hourOfDay.format(ms)) === 0 ? day.format(ms) : hour.format(ms)),
    bucket: (ms: number, granularity: Granularity) =>
      granularity === 'day' ? weekday.format(ms) : dayAndHour.format(ms),
  };
}
