import { sql } from 'kysely';
import { type Ctx, withTransaction } from '../context.js';
import type { Tx } from '../db/database.js';
import { newId } from '../db/ids.js';
import { enqueue } from '../jobs/queue.js';
import type { TenantCtx } from '../tenant.js';
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
  | 'payment.processing'
  | 'payment.refunded'
  | 'usage.threshold_reached'
  | 'usage.threshold_resolved';

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
  'payment.refunded',
  'usage.threshold_reached',
  'usage.threshold_resolved',
];

/**
 * Records `object` as an event of `type`, with one delivery per enabled endpoint whose patterns
 * ('*', 'invoice.*', 'invoice.paid') take it, in one statement, and queues their sending.
 */
export async function emit(ctx: TenantCtx, type: EventType, object: object): Promise<void> {
  await withTransaction(ctx, async (tx) => {
    const now = toDate(tx.clock.now());
    const patterns = ['*', type, `${type.slice(0, type.indexOf('.'))}.*`];
    const { rows } = await sql<{ id: string }>`
      with event as (
        insert into events (org_id, id, type, data, created_at)
        values (${ctx.tenant.orgId}, ${newId('event')}, ${type}, ${JSON.stringify({ object })}::jsonb, ${now})
        returning org_id, id
      )
      insert into webhook_deliveries (org_id, id, endpoint_id, event_id, status, attempts, created_at)
      select event.org_id, 'whd_' || substr(md5(random()::text || endpoint.id || event.id), 1, 24),
        endpoint.id, event.id, 'pending', 0, ${now}
      from event join webhook_endpoints endpoint on endpoint.org_id = event.org_id
      where endpoint.status = 'enabled' and endpoint.events && ${patterns}::text[]
      returning id`.execute(tx.db);
    for (const delivery of rows) {
      await enqueue(tx.db as Tx, WEBHOOK_DELIVERY_JOB, {
        org_id: ctx.tenant.orgId,
        delivery_id: delivery.id,
      });
    }
  });
}

/**
 * `emit` for many events at once (the billing run's batches): the events in one statement, with
 * their deliveries to the endpoints that want each, and a job per delivery.
 */
export async function emitMany(
  ctx: Ctx,
  items: readonly { orgId: string; type: EventType; object: object }[],
): Promise<void> {
  if (items.length === 0) return;
  await withTransaction(ctx, async (tx) => {
    const now = toDate(tx.clock.now());
    const values = items.map(
      (item) =>
        sql`(${item.orgId}, ${newId('event')}, ${item.type}, ${JSON.stringify({ object: item.object })}::jsonb, ${now}::timestamptz)`,
    );
    const { rows } = await sql<{ org_id: string; id: string }>`
      with event as (
        insert into events (org_id, id, type, data, created_at)
        values ${sql.join(values)}
        returning org_id, id, type
      )
      insert into webhook_deliveries (org_id, id, endpoint_id, event_id, status, attempts, created_at)
      select event.org_id, 'whd_' || substr(md5(random()::text || endpoint.id || event.id), 1, 24),
        endpoint.id, event.id, 'pending', 0, ${now}
      from event join webhook_endpoints endpoint on endpoint.org_id = event.org_id
      where endpoint.status = 'enabled'
        and endpoint.events && array['*', event.type, split_part(event.type, '.', 1) || '.*']::text[]
      returning org_id, id`.execute(tx.db);
    for (const delivery of rows) {
      await enqueue(tx.db as Tx, WEBHOOK_DELIVERY_JOB, { org_id: delivery.org_id, delivery_id: delivery.id });
    }
  });
}
