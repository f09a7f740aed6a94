import { webhookDeliveryJob } from '../events/index.js';
import { meteringUpkeep } from '../metering/maintenance.js';
import { testGatewayWebhookDelivery } from '../payments/gateways/test/webhook-delivery.js';
import type { GatewayRegistry } from '../payments/index.js';
import { billingRunJob } from './billing-run.js';
import { housekeeping } from './housekeeping.js';
import type { JobDefinition } from './queue.js';
import { usageAlertsJob } from './usage-alerts.js';
import { usageInAdvanceJob } from './usage-billing.js';

export { defineJob, enqueue, type JobDefinition, JobRunner, runOnce } from './queue.js';

/** Jobs that need nothing but the database. */
export const jobs: readonly JobDefinition[] = [
  housekeeping,
  meteringUpkeep,
  testGatewayWebhookDelivery,
  usageInAdvanceJob,
  usageAlertsJob,
  webhookDeliveryJob,
];

/** Every job Billfold runs. `billfold start` and `billfold worker` work on all of them. */
export const allJobs = (deps: {
  gateways: GatewayRegistry;
  chargeConcurrency?: number;
}): readonly JobDefinition[] => [...jobs, billingRunJob(deps)];
