import { testGatewayWebhookDelivery } from '../payments/gateways/test/webhook-delivery.js';
import { housekeeping } from './housekeeping.js';
import type { JobDefinition } from './queue.js';

export { defineJob, enqueue, type JobDefinition, JobRunner, runOnce } from './queue.js';

/** Every job Billfold runs. `billfold start` and `billfold worker` work on all of them. */
export const jobs: readonly JobDefinition[] = [housekeeping, testGatewayWebhookDelivery];
