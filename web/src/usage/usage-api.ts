import { api, unwrap } from '../api/client';

/**
 * The metering API's reads (docs: GET /v1/usage/summary and GET /v1/usage), for the Usage page and
 * the billing overview.
 */

export interface UsageSummary {
  object: 'usage_summary';
  period: { start: string; end: string } | null;
  metrics: SummaryMetric[];
}

export interface SummaryMetric {
  code: string;
  name: string;
  unit: string;
  aggregation: string;
  total: string;
  limit: number | null;
  mode: 'hard' | 'soft' | null;
  feature: string | null;
}

export interface UsagePoint {
  start: string;
  value: string;
}

export interface UsageReport {
  object: 'usage';
  metric: { code: string; name: string; unit: string; aggregation: string };
  from: string;
  to: string;
  granularity: 'hour' | 'day';
  total: string;
  series: UsagePoint[];
  groups?: { values: Record<string, string>; total: string; series: UsagePoint[] }[];
}

export interface UsageQuery {
  metric: string;
  from: string;
  to: string;
  granularity: 'hour' | 'day';
  group_by?: string | undefined;
}

// Until the SDK is generated from a server that has these routes, the paths are cast here alone.
// biome-ignore lint/suspicious/noExplicitAny: removed once the SDK types the metering routes
const untyped = api as any;

export const loadUsageSummary = (): Promise<UsageSummary> => unwrap(untyped.GET('/v1/usage/summary'));

export const loadUsage = (query: UsageQuery): Promise<UsageReport> =>
  unwrap(
    untyped.GET('/v1/usage', {
      params: { query: query.group_by ? query : { ...query, group_by: undefined } },
    }),
  );
