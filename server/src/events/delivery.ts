import { createHmac } from 'node:crypto';
import { defineJob } from '../jobs/queue.js';
import { scoped, type TenantCtx, tenantContext } from '../tenant.js';
import { toDate } from '../time/index.js';
import { WEBHOOK_DELIVERY_JOB } from './events.js';

/**
 * Sends one event to one endpoint, signed, and records the attempt. A refused or failed delivery
 * throws, so the job is retried with exponential backoff (pg-boss), up to a day and a half.
 *
 * The signature is the one integrators know from Stripe, under our own header:
 *   Billfold-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>
 */

export const SIGNATURE_HEADER = 'billfold-signature';

export function signPayload(secret: string, timestamp: number, body: string): string {
  const signature = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return `t=${timestamp},v1=${signature}`;
}

export async function deliverWebhook(ctx: TenantCtx, deliveryId: string): Promise<void> {
  const delivery = await scoped(ctx)
    .selectFrom('webhook_deliveries')
    .innerJoin('webhook_endpoints as e', (j) =>
      j
        .onRef('e.org_id', '=', 'webhook_deliveries.org_id')
        .onRef('e.id', '=', 'webhook_deliveries.endpoint_id'),
    )
    .innerJoin('events as v', (j) =>
      j.onRef('v.org_id', '=', 'webhook_deliveries.org_id').onRef('v.id', '=', 'webhook_deliveries.event_id'),
    )
    .select([
      'webhook_deliveries.id',
      'webhook_deliveries.status',
      'webhook_deliveries.attempts',
      'e.url',
      'e.secret',
      'e.status as endpoint_status',
      'v.id as event_id',
      'v.type',
      'v.data',
      'v.created_at as event_created_at',
    ])
    .where('webhook_deliveries.id', '=', deliveryId)
    .executeTakeFirst();
  if (!delivery || delivery.status === 'succeeded') return;
  const now = ctx.clock.now();
  const record = (fields: {
    status: 'succeeded' | 'failed';
    response_status: number | null;
    error: string | null;
  }) =>
    scoped(ctx)
      .updateTable('webhook_deliveries')
      .set({
        ...fields,
        attempts: delivery.attempts + 1,
        last_attempt_at: toDate(now),
        ...(fields.status === 'succeeded' ? { delivered_at: toDate(now) } : {}),
      })
      .where('id', '=', delivery.id)
      .execute();
  if (delivery.endpoint_status !== 'enabled') {
    await record({ status: 'failed', response_status: null, error: 'The endpoint is disabled' });
    return;
  }
  const body = JSON.stringify({
    id: delivery.event_id,
    object: 'event',
    type: delivery.type,
    created: delivery.event_created_at.toISOString(),
    data: delivery.data,
  });
  const timestamp = Math.floor(now.epochMilliseconds / 1000);
  let response: Response;
  try {
    response = await fetch(delivery.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'Billfold-Webhooks/1',
        [SIGNATURE_HEADER]: signPayload(delivery.secret, timestamp, body),
      },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(10_000),
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    await record({ status: 'failed', response_status: null, error: message.slice(0, 500) });
    throw new Error(`webhook delivery ${delivery.id} failed: ${message}`);
  }
  if (response.status >= 200 && response.status < 300) {
    await record({ status: 'succeeded', response_status: response.status, error: null });
    return;
  }
  await record({ status: 'failed', response_status: response.status, error: `HTTP ${response.status}` });
  throw new Error(`webhook delivery ${delivery.id} refused with HTTP ${response.status}`);
}

export const webhookDeliveryJob = defineJob<{ org_id: string; delivery_id: string }>({
  name: WEBHOOK_DELIVERY_JOB,
  retryLimit: 10,
  retryDelaySeconds: 30,
  // The job names the organization whose delivery it is: its tenant.
  handler: async ({ ctx, data }) => deliverWebhook(tenantContext(ctx, data.org_id), data.delivery_id),
});
