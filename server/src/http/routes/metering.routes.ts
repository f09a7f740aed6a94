import { z } from 'zod';
import { listOf, listQuery, toPage } from '../../api-shapes.js';
import type { ChargeInput } from '../../catalog/index.js';
import * as customers from '../../customers/index.js';
import type { BillingCustomerRow, MetricRow } from '../../db/schema.js';
import { BillfoldError, forbidden, invalid, notFound } from '../../errors.js';
import { ingestUsage } from '../../flows/usage-billing.js';
import * as metering from '../../metering/index.js';
import * as subscriptions from '../../subscriptions/index.js';
import { PLATFORM_ORG_ID, platformContext, type TenantCtx, tenantContext } from '../../tenant.js';
import { defineRoute, type RouteInput } from '../route.js';

/**
 * Metering (C21–C25): the issuer's backend sends usage events and asks, at the moment of action,
 * whether a customer may use more of a feature; customers read their usage. The issuer is the
 * platform today: its ingest key, or a signed-in operator, speaks for it.
 */

const TAG = 'Usage';

type Input = RouteInput<unknown, unknown, unknown>;

/** The issuer the caller speaks for: an API key's organization, when it issues; operators the platform's. */
function issuerOf({ ctx, access, tenant }: Input): TenantCtx {
  if (access.principal.kind !== 'api_key') return platformContext(ctx);
  if (tenant.tenant.orgId !== tenant.tenant.issuerId) {
    throw forbidden('usage.not_issuer', 'Only the issuer of a catalog sends usage: use its ingest key');
  }
  return tenant;
}

/** Who may name another organization's usage: operators and the issuer's backend. */
const speaksForCustomers = ({ access }: Input) =>
  (access.principal.kind === 'user' && access.principal.user.is_operator) ||
  (access.principal.kind === 'api_key' && access.principal.orgId === PLATFORM_ORG_ID);

/** Whom a request is about: `customer` (an organization id or external id) or the caller's own. */
function customerNamed(input: Input, customer: string | undefined): metering.CustomerName {
  if (customer === undefined || (input.access.orgId === customer && !speaksForCustomers(input))) {
    return { own: input.tenant.tenant.orgId };
  }
  if (!speaksForCustomers(input)) {
    throw forbidden('usage.customer_forbidden', "Only the issuer reads another organization's usage");
  }
  return { name: customer };
}

/** The customer a request is about, read whole. */
async function customerOf(
  input: Input,
  customer: string | undefined,
): Promise<{ tenant: TenantCtx; customer: BillingCustomerRow | undefined }> {
  const who = customerNamed(input, customer);
  if ('own' in who) {
    const tenant = input.tenant;
    return { tenant, customer: await customers.findCustomer(tenant) };
  }
  const found = await metering.findNamedCustomer(input.ctx, who.name);
  if (!found) throw notFound('customer.not_found', `No customer is called ${who.name}`);
  return { tenant: tenantContext(input.ctx, found.org_id), customer: found };
}

/** The metrics a plan prices or limits, by code. */
function metricsOfPlan(
  allowance: metering.PlanAllowance,
  metrics: ReadonlyMap<string, MetricRow>,
): { metric: MetricRow; charge: ChargeInput | undefined }[] {
  const codes = new Set([
    ...allowance.charges.map((c) => c.metric),
    ...allowance.limits.map((l) => l.feature).filter((f) => metrics.has(f)),
  ]);
  return [...codes].flatMap((code) => {
    const metric = metrics.get(code);
    return metric ? [{ metric, charge: allowance.charges.find((c) => c.metric === code) }] : [];
  });
}

export const meteringRoutes = [
  defineRoute({
    method: 'POST',
    path: '/v1/events',
    operationId: 'sendUsageEvent',
    summary: 'Send one usage event (counted once per event_id)',
    tag: TAG,
    permission: 'usage.ingest',
    audit: 'off',
    idempotency: 'off',
    body: metering.usageEventBody,
    response: metering.usageEventObject,
    handler: async (input) => {
      const issuer = issuerOf(input as Input);
      const result = await ingestUsage(issuer, [input.body]);
      if (result.accepted > 0) input.afterCommit(() => input.usageAlerts.usageChanged());
      const [error] = result.errors;
      if (error)
        throw new BillfoldError(
          error.code.endsWith('not_found') ? 'not_found' : 'invalid_request',
          error.code,
          error.message,
        );
      return {
        object: 'event' as const,
        event_id: input.body.event_id,
        status: result.accepted === 1 ? ('accepted' as const) : ('duplicate' as const),
      };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/events/batch',
    operationId: 'sendUsageEvents',
    summary: 'Send up to 1,000 usage events; each is accepted, a duplicate, or refused on its own',
    tag: TAG,
    permission: 'usage.ingest',
    audit: 'off',
    idempotency: 'off',
    // A thousand events of ordinary size (ids, customer, code, time and a few properties: ~200
    // bytes each) are twice the default limit.
    bodyLimit: metering.MAX_BATCH_BYTES,
    body: metering.usageEventBatchBody,
    response: metering.usageEventBatchObject,
    handler: async (input) => {
      const issuer = issuerOf(input as Input);
      const { accepted, duplicates, errors } = await ingestUsage(issuer, input.body.events);
      if (accepted > 0) input.afterCommit(() => input.usageAlerts.usageChanged());
      return { object: 'event_batch' as const, accepted, duplicates, errors };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/usage/summary',
    operationId: 'getUsageSummary',
    summary: "This period's usage of each metric the plan prices or limits, with its limit",
    tag: TAG,
    permission: 'usage.read',
    query: metering.usageSummaryQuery,
    response: metering.usageSummaryObject,
    handler: async (input) => {
      const { tenant, customer } = await customerOf(input as Input, input.query.customer);
      const allowance = await metering.allowanceOf(tenant, customer);
      const metrics = await metering.metricsByCode(tenant);
      const wanted = metricsOfPlan(allowance, metrics);
      const totals = await metering.periodTotals(
        tenant,
        tenant.tenant.orgId,
        wanted.map(({ metric }) => ({ metric, groupBy: [] })),
        allowance.period,
      );
      return {
        object: 'usage_summary' as const,
        period: allowance.live[0]
          ? { start: allowance.period.from.toISOString(), end: allowance.period.to.toISOString() }
          : null,
        metrics: wanted.map(({ metric }) => {
          const limit = allowance.limits.find((l) => l.feature === metric.code);
          return {
            code: metric.code,
            name: metric.name,
            unit: metric.unit,
            aggregation: metric.aggregation,
            total: totals.find((t) => t.metric === metric.code)?.quantity ?? '0',
            feature: limit?.feature ?? null,
            limit: limit?.limit ?? null,
            mode: limit?.mode ?? null,
          };
        }),
      };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/usage',
    operationId: 'getUsage',
    summary: "A metric's usage over a span, hour by hour or day by day, optionally per group",
    tag: TAG,
    permission: 'usage.read',
    query: metering.usageQuery,
    response: metering.usageObject,
    handler: async (input) => {
      const { query } = input;
      const { tenant, customer } = await customerOf(input as Input, query.customer);
      const metric = (await metering.metricsByCode(tenant, [query.metric])).get(query.metric);
      if (!metric) throw notFound('metric.not_found', `No metric has the code ${query.metric}`);
      if (query.group_by !== undefined && !metric.dimensions.includes(query.group_by)) {
        throw invalid('usage.group_unknown', `${metric.code} is not split by ${query.group_by}`, 'group_by');
      }
      // The current period is read only for the bound the query leaves out.
      const period =
        query.from && query.to ? undefined : (await metering.allowanceOf(tenant, customer)).period;
      const span = {
        from: query.from ? new Date(query.from) : (period as metering.Span).from,
        to: query.to ? new Date(query.to) : (period as metering.Span).to,
      };
      if (span.to <= span.from) throw invalid('usage.span_empty', '`to` must come after `from`', 'to');
      if (span.to.getTime() - span.from.getTime() > 400 * 86_400_000) {
        throw invalid('usage.span_too_long', 'Ask for at most 400 days at once', 'to');
      }
      const groupBy = query.group_by ? [query.group_by] : [];
      const timeZone = customer?.time_zone ?? 'UTC';
      const [totals, wholeTotals, perGroup, overall] = await Promise.all([
        metering.periodTotals(tenant, tenant.tenant.orgId, [{ metric, groupBy }], span),
        // Grouped, the whole is read apart: a max or a unique count is not the sum of its groups.
        groupBy.length > 0
          ? metering.periodTotals(tenant, tenant.tenant.orgId, [{ metric, groupBy: [] }], span)
          : undefined,
        groupBy.length > 0
          ? metering.usageSeries(tenant, tenant.tenant.orgId, metric, {
              span,
              granularity: query.granularity,
              timeZone,
              groupBy,
            })
          : Promise.resolve([]),
        metering.usageSeries(tenant, tenant.tenant.orgId, metric, {
          span,
          granularity: query.granularity,
          timeZone,
          groupBy: [],
        }),
      ]);
      const [whole] = wholeTotals ?? totals;
      const points = (rows: { start: Date; value: string }[]) =>
        rows.map((row) => ({ start: row.start.toISOString(), value: row.value }));
      return {
        object: 'usage' as const,
        metric: { code: metric.code, name: metric.name, unit: metric.unit, aggregation: metric.aggregation },
        from: span.from.toISOString(),
        to: span.to.toISOString(),
        granularity: query.granularity,
        total: whole?.quantity ?? '0',
        series: points(overall),
        groups:
          groupBy.length === 0
            ? []
            : totals.map((total) => ({
                values: total.dimensions,
                total: total.quantity,
                series: points(
                  perGroup.filter((row) => JSON.stringify(row.groups) === JSON.stringify(total.dimensions)),
                ),
              })),
      };
    },
  }),
  ...(['check', 'consume', 'release'] as const).map((action) =>
    defineRoute({
      method: 'POST',
      path: `/v1/entitlements/${action}`,
      operationId: `${action}Entitlement`,
      summary: {
        check: 'May this customer use this much more of a feature now? Nothing is recorded',
        consume: 'Check and record use of a feature in one atomic step (a hard limit is never overshot)',
        release: 'Give units of a feature back (a computation deleted)',
      }[action],
      tag: TAG,
      permission: 'usage.ingest',
      audit: 'off',
      // One statement each, atomic on its own: in a transaction only with an Idempotency-Key.
      transaction: 'keyed',
      body: metering.entitlementBody,
      response: metering.entitlementObject,
      handler: async (input) => {
        issuerOf(input as Input);
        const { customer, feature, quantity } = input.body;
        const who = customerNamed(input as Input, customer);
        const standing = await metering.actOnEntitlement(input.ctx, who, action, feature, quantity);
        if (action !== 'check') input.afterCommit(() => input.usageAlerts.usageChanged());
        return standing;
      },
    }),
  ),
  defineRoute({
    method: 'GET',
    path: '/v1/usage/thresholds',
    operationId: 'listUsageThresholds',
    summary: "The thresholds reached in this period (the plan's 80% and 100% of each limit, and your alerts)",
    tag: TAG,
    permission: 'usage.read',
    query: metering.usageThresholdsQuery,
    response: listOf(metering.usageThresholdObject),
    handler: async (input) => {
      const { tenant } = await customerOf(input as Input, input.query.customer);
      return toPage(await metering.currentCrossings(tenant, input.query), (rows) =>
        rows.map(metering.presentCrossing),
      );
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/subscriptions/:subscription_id/alerts',
    operationId: 'listUsageAlerts',
    summary: "A subscription's usage alerts (beyond the plan's own 80% and 100% of each limit)",
    tag: TAG,
    permission: 'billing.read',
    params: metering.usageAlertParams,
    query: listQuery,
    response: listOf(metering.usageAlertObject),
    handler: async ({ tenant, params, query }) => {
      const sub = await subscriptions.getSubscription(tenant, params.subscription_id);
      return toPage(await metering.listAlerts(tenant, sub.id, query), (rows) =>
        rows.map(metering.presentAlert),
      );
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/subscriptions/:subscription_id/alerts',
    operationId: 'createUsageAlert',
    summary: "Alert when a metric's use this period, or the upcoming invoice, reaches a threshold",
    tag: TAG,
    permission: 'billing.write',
    status: 201,
    params: metering.usageAlertParams,
    body: metering.createUsageAlertBody,
    response: metering.usageAlertObject,
    handler: async ({ tenant, params, body, afterCommit, usageAlerts }) => {
      const sub = await subscriptions.getSubscription(tenant, params.subscription_id);
      const alert = await metering.createAlert(tenant, sub.id, body);
      // A threshold already behind this period's usage is told now, not at the next event.
      afterCommit(() => usageAlerts.usageChanged());
      return metering.presentAlert(alert);
    },
  }),
  defineRoute({
    method: 'DELETE',
    path: '/v1/subscriptions/:subscription_id/alerts/:alert_id',
    operationId: 'deleteUsageAlert',
    summary: 'Delete a usage alert (what it told stays in the event log)',
    tag: TAG,
    permission: 'billing.write',
    params: metering.usageAlertItemParams,
    response: z.object({ id: z.string(), object: z.literal('usage_alert'), deleted: z.literal(true) }),
    handler: async ({ tenant, params }) => {
      const alert = await metering.deleteAlert(tenant, params.subscription_id, params.alert_id);
      return { id: alert.id, object: 'usage_alert' as const, deleted: true as const };
    },
  }),
];
