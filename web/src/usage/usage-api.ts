import { api, type UsageReport, type UsageSummary, unwrap } from '../api/client';

/** The metering API's reads, for the Usage page and the billing overview. */

export type { SummaryMetric, UsageReport, UsageSummary } from '../api/client';

/** This period's use of each metric of the organization's plan, with the plan's limits. */
export const loadUsageSummary = (): Promise<UsageSummary> => unwrap(api.GET('/v1/usage/summary'));

export interface UsageQuery {
  metric: string;
  from: string;
  to: string;
  granularity: 'hour' | 'day';
  group_by?: string | undefined;
}

/** One metric's use over a span, per hour or per customer's day, split by a dimension if asked. */
export const loadUsage = ({ group_by, ...query }: UsageQuery): Promise<UsageReport> =>
  unwrap(api.GET('/v1/usage', { params: { query: group_by ? { ...query, group_by } : query } }));
