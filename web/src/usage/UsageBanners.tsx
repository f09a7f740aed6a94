import { Link } from 'react-router';
import type { SummaryMetric } from '../api/client';
import { formatLastDayIn } from '../shared/format';
import { Alert } from '../ui';
import { usageLevel } from './usage-model';

/**
 * Usage alerts (C24) as banners (titled by the state first: metric names are nouns of any number,
 * "Computations" or "Storage", which no one verb agrees with), on Usage and on the billing overview: red for the limits this
 * period has reached, orange for those at 80% of the limit or more. The webhooks tell the same
 * crossings (`usage.threshold_reached`).
 */
export function UsageBanners({
  metrics,
  periodEnd,
  timeZone,
  linkToUsage = false,
}: {
  /** This period's use of each metric, with its limit. */
  metrics: SummaryMetric[];
  periodEnd: string;
  timeZone: string;
  /** Off the Usage page, the banners lead to it. */
  linkToUsage?: boolean;
}) {
  const over = metrics.filter((m) => usageLevel(m.total, m.limit) === 'over');
  const near = metrics.filter((m) => usageLevel(m.total, m.limit) === 'near');
  const seeUsage = linkToUsage ? (
    <>
      {' '}
      <Link to="/usage">See usage</Link>
    </>
  ) : null;
  return (
    <>
      {over.length > 0 ? (
        <Alert tone="error" title={`Limit reached: ${listNames(over)}`}>
          {limitAdvice(over)}
          {seeUsage}
        </Alert>
      ) : null}
      {near.length > 0 ? (
        <Alert tone="warning" title={`80% of the limit or more used: ${listNames(near)}`}>
          Upgrade your plan before the limit is reached, or keep an eye on it until{' '}
          {formatLastDayIn(periodEnd, timeZone)}.{seeUsage}
        </Alert>
      ) : null}
    </>
  );
}

const listNames = (metrics: SummaryMetric[]) => {
  const names = metrics.map((m) => m.name);
  return names.length === 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
};

function limitAdvice(over: SummaryMetric[]) {
  const hard = over.some((m) => m.mode === 'hard');
  const soft = over.some((m) => m.mode !== 'hard');
  if (hard && soft)
    return 'Hard limits refuse more use; use past a soft limit is billed. Upgrade your plan to raise them.';
  if (hard) return 'More use is refused until the next period. Upgrade your plan to raise the limit.';
  return 'Use past a soft limit is allowed and billed as overage. Upgrade your plan to raise the limit.';
}
