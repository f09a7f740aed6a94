import { defineJob } from '../../../jobs/queue.js';
import { TestGateway } from './test-gateway.js';

/**
 * Delivers one test-gateway event to Billfold's webhook endpoint, signed at the moment of sending,
 * as a gateway does. A refused or failed delivery throws, and the job is retried with backoff.
 */
export const TEST_GATEWAY_WEBHOOK_JOB = 'test-gateway.webhook';

export const testGatewayWebhookDelivery = defineJob<{ event_id: string; url: string }>({
  name: TEST_GATEWAY_WEBHOOK_JOB,
  retryLimit: 8,
  retryDelaySeconds: 5,
  handler: async ({ ctx, data }) => {
    const gateway = new TestGateway({ db: ctx.db, clock: ctx.clock, publicUrl: () => data.url });
    const { body, signature } = await gateway.signedEvent(data.event_id);
    const response = await fetch(data.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [gateway.signatureHeader]: signature },
      body,
      signal: AbortSignal.timeout(10_000),
    });
    if (!response.ok) throw new Error(`webhook ${data.event_id} refused with HTTP ${response.status}`);
  },
});
