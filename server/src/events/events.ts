import { type Ctx, withTransaction } from '../context.js';
import type { Tx } from '../db/database.js';
import { newId } from '../db/ids.js';
import { enqueue } from '../jobs/queue.js';
import { toDate } from '../time/index.js';

/**
 * Outbound events (C36): what changed, written in the same transaction as the change (an outbox),
 * with one delivery per endpoint that wants it and a durable job to send it. A change that rolls back
 * takes its event with it; a committed one is delivered, retried with backoff until it is.
 */

export const WEBHOOK_DELIVERY_JOB = 'webhooks.deliver';

export type EventType =
  | 'subscription.created'
  | 'subscription.updated'
  | 'subscription.cancelled'
  | 'invoice.finalized'
  | 'invoice.paid'
  | 'invoice.payment_failed'
  | 'invoice.voided'
  | 'invoice.marked_uncollectible'
  | 'payment.succeeded'
  | 'payment.failed'
  | 'payment.requires_action'
  | 'payment.processing';

export const EVENT_TYPES: readonly EventType[] = [
  'subscription.created',
  'subscription.updated',
  'subscription.cancelled',
  'invoice.finalized',
  'invoice.paid',
  'invoice.payment_failed',
  'invoice.voided',
  'invoice.marked_uncollectible',
  'payment.succeeded',
  'payment.failed',
  'payment.requires_action',
  'payment.processing',
];

/** Whether an endpoint subscribed to `patterns` ('*', 'invoice.*', 'invoice.paid') wants `type`. */
export function wants(patterns: readonly string[], type: string): boolean {
  return patterns.some(
    (pattern) =>
      pattern === '*' ||
      pattern === type ||
      (pattern.endsWith('.*') && type.startsWith(pattern.slice(0, -1))),
  );
}

export async function emit(ctx: Ctx, orgId: string, type: EventType, object: object): Promise<void> {
  await withTransaction(ctx, async (tx) => {
    const now = toDate(tx.clock.now());
    const id = newId('event');
    await tx.db
      .insertInto('events')
      .values({ org_id: orgId, id, type, data: JSON.stringify({ object }), created_at: now })
      .execute();
    const endpoints = await tx.db
      .selectFrom('webhook_endpoints')
      .select(['id', 'events'])
      .where('org_id', '=', orgId)
      .where('status', '=', 'enabled')
      .execute();
    for (const endpoint of endpoints.filter((e) => wants(e.events, type))) {
      const deliveryId = newId('webhookDelivery');
      await tx.db
        .insertInto('webhook_deliveries')
        .values({
          org_id: orgId,
          id: deliveryId,
          endpoint_id: endpoint.id,
          event_id: id,
          status: 'pending',
          attempts: 0,
          response_status: null,
          error: null,
          last_attempt_at: null,
          delivered_at: null,
          created_at: now,
        })
        .execute();
      await enqueue(tx.db as Tx, WEBHOOK_DELIVERY_JOB, { org_id: orgId, delivery_id: deliveryId });
    }
  });
}
