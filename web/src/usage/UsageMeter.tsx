import { plural } from '../shared/plans';
import { Badge } from '../ui';
import { type UsageLevel, usageLevel, usedPercent } from './usage-model';
import './usage.css';

/** What a meter needs of a metric: the API's summary line (GET /v1/usage/summary) has it all. */
export interface MeteredUse {
  code: string;
  name: string;
  unit: string;
  total: string;
  limit: number | null;
  mode: 'hard' | 'soft' | null;
}

/**
 * A measured quantity as people read it: two decimals at most ("203.58"), but two significant digits
 * below 1 so a little use never reads as 0 ("0.0091"). Whole counts stay whole.
 */
export function formatUsageQuantity(quantity: string): string {
  const value = Number(quantity);
  const options: Intl.NumberFormatOptions =
    value !== 0 && Math.abs(value) < 1 ? { maximumSignificantDigits: 2 } : { maximumFractionDigits: 2 };
  return new Intl.NumberFormat(undefined, options).format(value);
}

/** "1,250 hours", "1 run", "12.5 GB". */
export const formatUsage = (quantity: string, unit: string) =>
  `${formatUsageQuantity(quantity)} ${unit === 'GB' ? unit : plural(unit, quantity)}`;

const levelWords: Record<UsageLevel, string> = {
  within: '',
  near: 'Near limit',
  over: 'Limit reached',
};

/**
 * A metric's use this period against its limit: a bar that turns orange at 80% and red at 100%,
 * with the numbers beside it. A metric without a limit shows its total only.
 */
export function UsageMeter({ use, compact = false }: { use: MeteredUse; compact?: boolean }) {
  const level = usageLevel(use.total, use.limit);
  const percent = usedPercent(use.total, use.limit);
  const used = formatUsage(use.total, use.unit);
  return (
    <div className={`usage-meter usage-meter-${level}${compact ? ' usage-meter-compact' : ''}`}>
      <div className="usage-meter-head">
        <span className="usage-meter-name">{use.name}</span>
        <span className="usage-meter-numbers">
          {use.limit === null ? (
            <>
              {used} <span className="muted">· no limit</span>
            </>
          ) : (
            <>
              <strong>{formatUsageQuantity(use.total)}</strong>
              <span className="muted"> of {formatUsage(String(use.limit), use.unit)}</span>
            </>
          )}
        </span>
      </div>
      {use.limit !== null && percent !== null ? (
        <>
          {/* A meter's value stops at its maximum; the words beside it say by how much use passed it. */}
          <meter
            className="usage-meter-bar"
            aria-label={`${use.name} used`}
            min={0}
            max={use.limit}
            value={Number(use.total)}
            aria-valuetext={`${used} of ${formatUsage(String(use.limit), use.unit)} (${Math.round(percent)}%)`}
          />
          <div className="usage-meter-foot">
            <span>{formatPercent(percent)} used</span>
            {use.mode ? (
              <span className="muted">
                {use.mode === 'hard'
                  ? 'Hard limit: use past it is refused'
                  : 'Soft limit: use may go past it'}
              </span>
            ) : null}
            {level !== 'within' ? (
              <Badge tone={level === 'over' ? 'danger' : 'warning'} dot>
                {levelWords[level]}
              </Badge>
            ) : null}
          </div>
        </>
      ) : null}
    </div>
  );
}

/** Whole percents, but a sliver of use never reads as 0% and a near-full one never as 100%. */
export function formatPercent(percent: number): string {
  if (percent > 0 && percent < 1) return '<1%';
  if (percent > 99 && percent < 100) return '>99%';
  return `${Math.round(percent).toLocaleString()}%`;
}
