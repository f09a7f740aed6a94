// Public surface of metering: usage events in, usage read, limits checked and consumed, alerts (C21–C25).
export {
  alertsOf,
  alertsOfOrganizations,
  type CreateUsageAlertInput,
  createAlert,
  createUsageAlertBody,
  currentCrossings,
  deleteAlert,
  LIMIT_PERCENTS,
  listAlerts,
  noteUsageChanged,
  type OrganizationStandings,
  organizationsToCheck,
  presentAlert,
  presentCrossing,
  settleRound,
  settleThresholds,
  type ThresholdStanding,
  takeChecks,
  takeRoundChecks,
  usageAlertItemParams,
  usageAlertObject,
  usageAlertParams,
  usageThresholdObject,
} from './alerts.js';
export {
  type EntitlementTerms,
  entitlementTerms,
  entitlementTermsOfMany,
  type TermsRequest,
} from './entitlement-terms.js';
export {
  actOnEntitlement,
  allowanceOf,
  type CustomerName,
  checkEntitlement,
  consumeEntitlement,
  type PlanAllowance,
  releaseEntitlement,
} from './entitlements.js';
export {
  type CountedEvent,
  type EventCustomer,
  findNamedCustomer,
  type IngestResult,
  ingestEvents,
  metricsByCode,
  resolveCustomers,
} from './ingest.js';
export { makePartitions, mergeRollups, meteringUpkeep } from './maintenance.js';
export * from './metering.schema.js';
export { readUsed, type UsedRequest, type UsedStanding } from './standings.js';
export { periodTotals, type Span, type TotalsRequest, usageSeries } from './totals.js';
