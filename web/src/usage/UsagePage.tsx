import { useQueries, useQuery } from '@tanstack/react-query';
import { lazy, Suspense, useMemo, useState } from 'react';
import { Link } from 'react-router';
import type { SummaryMetric } from '../api/client';
import { queries } from '../api/queries';
import { useSignedIn } from '../api/session';
import { formatDateIn, formatLastDayIn } from '../shared/format';
import type { ChargeShape } from '../shared/plans';
import {
  Alert,
  buttonClass,
  Card,
  ChartIcon,
  EmptyState,
  Loading,
  Page,
  SegmentedControl,
  Select,
} from '../ui';
import { UsageBanners } from './UsageBanners';
import type { Granularity } from './UsageChart';
import { formatUsage, UsageMeter } from './UsageMeter';
import { chartLines, type Period, periodsBack } from './usage-model';

// The chart library loads with the chart, not with the app.
const UsageChart = lazy(() => import('./UsageChart').then((module) => ({ default: module.UsageChart })));

/** How many months before the current period a person may look back on. */
const MONTHS_BACK = 11;

/**
 * Usage (C23–C24): each metric of the plan against its limit this period, with an alert at 80% and
 * 100%, and its use per day or hour, grouped by one of its dimensions, in this or an earlier period.
 */
export function UsagePage() {
  const { organization } = useSignedIn();
  const summary = useQuery(queries.usageSummary(organization.id));
  const subscriptions = useQuery(queries.subscriptions(organization.id));
  const current = summary.data?.period ?? null;
  // The subscription the summary's period is of (an organization may hold several): its charges
  // say which dimensions a metric is grouped by.
  const live = subscriptions.data?.data.filter((s) => s.status !== 'cancelled') ?? [];
  const subscription =
    live.find((s) => current && Date.parse(s.current_period_start) === Date.parse(current.start)) ?? live[0];
  // Days and hours are the customer's, as the API counts them.
  const timeZone = subscription?.time_zone ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
  const [periodIndex, setPeriodIndex] = useState(0);

  const periods = useMemo(
    () => (current ? periodsBack(current, timeZone, MONTHS_BACK) : []),
    [current, timeZone],
  );
  const period = periods[periodIndex];

  const description = 'What this organization has used, against the limits of its plan.';
  if (summary.isPending || subscriptions.isPending)
    return (
      <Page title="Usage" description={description}>
        <Loading label="Loading usage…" />
      </Page>
    );
  const failed = summary.error ?? subscriptions.error;
  if (failed)
    return (
      <Page title="Usage" description={description}>
        <Alert title="Usage could not be loaded">{failed.message}</Alert>
      </Page>
    );
  if (!summary.data || !period || summary.data.metrics.length === 0)
    return (
      <Page title="Usage" description={description}>
        <Card>
          <EmptyState
            icon={<ChartIcon />}
            title={period ? 'Your plan meters nothing' : 'No plan yet'}
            actions={
              <Link className={buttonClass('primary')} to="/billing/plans">
                {period ? 'See plans' : 'Choose a plan'}
              </Link>
            }
          >
            {period
              ? 'Your plan has no usage-based charges or limits, so there is nothing to chart.'
              : 'Usage is counted against the limits of a plan. Once this organization has one, its use shows here.'}
          </EmptyState>
        </Card>
      </Page>
    );

  return (
    <Page
      title="Usage"
      description={description}
      actions={
        <Select
          label="Period"
          className="usage-period"
          value={String(periodIndex)}
          onChange={(event) => setPeriodIndex(Number(event.target.value))}
          options={periods.map((p, index) => ({
            value: String(index),
            label: `${index === 0 ? 'This period: ' : ''}${describePeriod(p, timeZone)}`,
          }))}
        />
      }
    >
      <UsageAgainstLimits
        metrics={summary.data.metrics}
        period={period}
        isCurrent={periodIndex === 0}
        timeZone={timeZone}
      />
      <UsageOverTime
        metrics={summary.data.metrics}
        period={period}
        timeZone={timeZone}
        charges={(subscription?.version.charges ?? []) as ChargeShape[]}
      />
    </Page>
  );
}

const describePeriod = (period: Period, timeZone: string) =>
  `${formatDateIn(period.start, timeZone)} – ${formatLastDayIn(period.end, timeZone)}`;

/**
 * The meters: this period's totals come with the summary; an earlier period's are asked per metric.
 * A banner says when a limit is reached or near, this period only (an old month's alert is news to
 * no one).
 */
function UsageAgainstLimits({
  metrics,
  period,
  isCurrent,
  timeZone,
}: {
  metrics: SummaryMetric[];
  period: Period;
  isCurrent: boolean;
  timeZone: string;
}) {
  const { organization } = useSignedIn();
  const earlier = useQueries({
    queries: isCurrent
      ? []
      : metrics.map((metric) =>
          queries.usage(organization.id, {
            metric: metric.code,
            from: period.start,
            to: period.end,
            granularity: 'day',
          }),
        ),
    combine: (reports) => ({
      error: reports.find((report) => report.error)?.error,
      totals: reports.every((report) => report.data)
        ? metrics.map((metric, i) => ({ ...metric, total: reports[i]?.data?.total ?? metric.total }))
        : undefined,
    }),
  });
  const shown = isCurrent ? metrics : earlier.totals;
  return (
    <>
      {isCurrent ? <UsageBanners metrics={metrics} periodEnd={period.end} timeZone={timeZone} /> : null}
      <Card
        title={isCurrent ? 'This period' : describePeriod(period, timeZone)}
        description={
          isCurrent
            ? `${describePeriod(period, timeZone)}, against your plan's limits.`
            : "Against your plan's limits today."
        }
      >
        {earlier.error && !isCurrent ? (
          <Alert>{earlier.error.message}</Alert>
        ) : !shown ? (
          <Loading label="Loading this period's use…" />
        ) : (
          <ul className="usage-meters">
            {shown.map((metric) => (
              <li key={metric.code}>
                <UsageMeter use={metric} />
              </li>
            ))}
          </ul>
        )}
      </Card>
    </>
  );
}

/** Use per day or hour of one metric, grouped by a dimension when it has some. */
function UsageOverTime({
  metrics,
  period,
  timeZone,
  charges,
}: {
  metrics: SummaryMetric[];
  period: Period;
  timeZone: string;
  charges: ChargeShape[];
}) {
  const { organization } = useSignedIn();
  const [code, setCode] = useState(metrics[0]?.code ?? '');
  const [granularity, setGranularity] = useState<Granularity>('day');
  const [groupBy, setGroupBy] = useState('');
  const metric = metrics.find((m) => m.code === code) ?? metrics[0];
  const dimensions = charges.find((charge) => charge.metric === metric?.code)?.dimensions ?? [];
  const grouping = dimensions.includes(groupBy) ? groupBy : '';

  const report = useQuery(
    queries.usage(organization.id, {
      metric: metric?.code ?? '',
      from: period.start,
      to: period.end,
      granularity,
      group_by: grouping || undefined,
    }),
  );
  const chart = useMemo(
    () => (report.data ? chartLines(report.data, grouping || undefined) : undefined),
    [report.data, grouping],
  );

  if (!metric) return null;
  return (
    <Card title="Over time" description="Days and hours in your billing time zone.">
      <div className="usage-controls">
        <Select
          label="Metric"
          value={metric.code}
          onChange={(event) => setCode(event.target.value)}
          options={metrics.map((m) => ({ value: m.code, label: m.name }))}
        />
        <SegmentedControl
          label="Show"
          value={granularity}
          onChange={setGranularity}
          segments={[
            { value: 'day', label: 'Daily' },
            { value: 'hour', label: 'Hourly' },
          ]}
        />
        {dimensions.length > 0 ? (
          <Select
            label="Group by"
            value={grouping}
            onChange={(event) => setGroupBy(event.target.value)}
            options={[
              { value: '', label: 'Nothing' },
              ...dimensions.map((dimension) => ({ value: dimension, label: humanize(dimension) })),
            ]}
          />
        ) : null}
      </div>
      {report.error ? (
        <Alert>{report.error.message}</Alert>
      ) : !report.data || !chart ? (
        <Loading label="Loading the chart…" />
      ) : chart.lines.every((line) => line.values.every((value) => value === 0)) ? (
        <EmptyState icon={<ChartIcon />} title={`No ${metric.name.toLowerCase()} in this period`}>
          Use your services report shows here within minutes.
        </EmptyState>
      ) : (
        <Suspense fallback={<Loading label="Loading the chart…" />}>
          <UsageChart
            starts={chart.starts}
            lines={chart.lines}
            range={period}
            total={{ label: totalLabel(metric.aggregation), value: report.data.total }}
            granularity={granularity}
            timeZone={timeZone}
            unit={metric.unit}
            label={`${metric.name} per ${granularity}, ${describePeriod(period, timeZone)}${
              grouping ? `, by ${humanize(grouping).toLowerCase()}` : ''
            }: ${formatUsage(report.data.total, metric.unit)} in all.`}
          />
        </Suspense>
      )}
    </Card>
  );
}

/** What the period's one figure is: a sum for most metrics, not for those that count otherwise. */
const totalLabels: Record<string, string> = { max: 'Highest', latest: 'Latest', unique_count: 'Distinct' };
const totalLabel = (aggregation: string) => totalLabels[aggregation] ?? 'Total';

/** "machine_type" → "Machine type". */
const humanize = (code: string) => {
  const words = code.replaceAll('_', ' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
};
