// Public surface of metering: usage events in, usage read, limits checked and consumed (C21–C25).
export {
  allowanceOf,
  checkEntitlement,
  consumeEntitlement,
  type PlanAllowance,
  releaseEntitlement,
} from './entitlements.js';
export {
  type EventCustomer,
  findNamedCustomer,
  type IngestResult,
  ingestEvents,
  metricsByCode,
  resolveCustomers,
} from './ingest.js';
export { makePartitions, mergeRollups, meteringUpkeep } from './maintenance.js';
export * from './metering.schema.js';
export { periodTotals, type Span, type TotalsRequest, usageSeries } from './totals.js';
