import { z } from 'zod';
import { recordAudit } from '../access/index.js';
import { idOf } from '../api-shapes.js';
import { newId, randomToken } from '../db/ids.js';
import type { WebhookDeliveryRow, WebhookEndpointRow } from '../db/schema.js';
import { notFound } from '../errors.js';
import { listPage, type PageRequest, type Slice } from '../pagination.js';
import { scoped, type TenantCtx } from '../tenant.js';
import { toDate } from '../time/index.js';
import { EVENT_TYPES } from './events.js';

/** Webhook endpoints an organization registers, and the log of what was sent to them. */

const eventPattern = z
  .string()
  .refine(
    (p) =>
      p === '*' ||
      (EVENT_TYPES as readonly string[]).includes(p) ||
      EVENT_TYPES.some((t) => p.endsWith('.*') && t.startsWith(p.slice(0, -1))),
    'An event type (invoice.paid), a family (invoice.*) or * for all',
  );

export const createEndpointBody = z.strictObject({
  url: z
    .string()
    .url()
    .refine((u) => /^https?:\/\//.test(u), 'An http or https URL'),
  description: z.string().trim().max(200).default(''),
  events: z
    .array(eventPattern)
    .min(1)
    .max(20)
    .default(['*'])
    .describe(`What to send: event types (${EVENT_TYPES.join(', ')}), families (usage.*) or * for all`),
});

export const endpointParams = z.strictObject({ webhook_endpoint_id: idOf('webhookEndpoint') });

export const endpointObject = z.object({
  id: z.string(),
  object: z.literal('webhook_endpoint'),
  url: z.string(),
  description: z.string(),
  events: z.array(z.string()),
  status: z.enum(['enabled', 'disabled']),
  secret: z.string().describe('Signs each delivery (Billfold-Signature); see the README'),
  created_at: z.string(),
});

export const deliveryObject = z.object({
  id: z.string(),
  event_id: z.string(),
  event_type: z.string(),
  status: z.enum(['pending', 'succeeded', 'failed']),
  attempts: z.number().int(),
  response_status: z.number().int().nullable(),
  error: z.string().nullable(),
  last_attempt_at: z.string().nullable(),
  delivered_at: z.string().nullable(),
  created_at: z.string(),
});

export function presentEndpoint(row: WebhookEndpointRow): z.infer<typeof endpointObject> {
  return {
    id: row.id,
    object: 'webhook_endpoint',
    url: row.url,
    description: row.description,
    events: row.events,
    status: row.status,
    secret: row.secret,
    created_at: row.created_at.toISOString(),
  };
}

export async function createEndpoint(
  ctx: TenantCtx,
  input: z.infer<typeof createEndpointBody>,
): Promise<WebhookEndpointRow> {
  const row: WebhookEndpointRow = {
    org_id: ctx.tenant.orgId,
    id: newId('webhookEndpoint'),
    url: input.url,
    description: input.description,
    secret: `whsec_${randomToken(32)}`,
    events: input.events,
    status: 'enabled',
    created_at: toDate(ctx.clock.now()),
  };
  await ctx.db.insertInto('webhook_endpoints').values(row).execute();
  await recordAudit(ctx, {
    action: 'webhook_endpoint.created',
    targetType: 'webhook_endpoint',
    targetId: row.id,
    after: { url: row.url, events: row.events },
  });
  return row;
}

/** The enabled endpoints, oldest first; the cursor is an endpoint's id. */
export async function listEndpoints(ctx: TenantCtx, page: PageRequest): Promise<Slice<WebhookEndpointRow>> {
  return listPage(
    scoped(ctx).selectFrom('webhook_endpoints').selectAll().where('status', '=', 'enabled'),
    {
      by: [
        ['webhook_endpoints.created_at', 'asc'],
        ['webhook_endpoints.id', 'asc'],
      ],
      id: 'webhook_endpoints.id',
      cursorFrom: scoped(ctx).selectFrom('webhook_endpoints'),
      noun: 'webhook endpoint',
    },
    page,
  );
}

/** Disabled, not deleted: its delivery log stays, and nothing more is sent to it. */
export async function disableEndpoint(ctx: TenantCtx, id: string): Promise<WebhookEndpointRow> {
  const row = await scoped(ctx)
    .updateTable('webhook_endpoints')
    .set({ status: 'disabled' })
    .where('id', '=', id)
    .where('status', '=', 'enabled')
    .returningAll()
    .executeTakeFirst();
  if (!row) throw notFound('webhook_endpoint.not_found', 'No such webhook endpoint');
  await recordAudit(ctx, {
    action: 'webhook_endpoint.disabled',
    targetType: 'webhook_endpoint',
    targetId: id,
    before: { status: 'enabled', url: row.url },
    after: { status: 'disabled' },
  });
  return row;
}

/** An endpoint this organization does not have is a 404, as for any other object, not an empty log. */
export async function listDeliveries(
  ctx: TenantCtx,
  endpointId: string,
  page: PageRequest,
): Promise<Slice<WebhookDeliveryRow & { event_type: string }>> {
  // Another organization's endpoint (or none) is not found, rather than found empty.
  const endpoint = await scoped(ctx)
    .selectFrom('webhook_endpoints')
    .select('id')
    .where('id', '=', endpointId)
    .executeTakeFirst();
  if (!endpoint) throw notFound('webhook_endpoint.not_found', 'No such webhook endpoint');
  const deliveries = scoped(ctx)
    .selectFrom('webhook_deliveries')
    .innerJoin('events as v', (j) =>
      j.onRef('v.org_id', '=', 'webhook_deliveries.org_id').onRef('v.id', '=', 'webhook_deliveries.event_id'),
    )
    .selectAll('webhook_deliveries')
    .select('v.type as event_type')
    .where('webhook_deliveries.endpoint_id', '=', endpointId);
  return listPage(
    deliveries,
    {
      by: [
        ['webhook_deliveries.created_at', 'desc'],
        ['webhook_deliveries.id', 'desc'],
      ],
      id: 'webhook_deliveries.id',
      cursorFrom: scoped(ctx).selectFrom('webhook_deliveries').where('endpoint_id', '=', endpointId),
      noun: 'delivery',
    },
    page,
  );
}

export function presentDelivery(
  row: WebhookDeliveryRow & { event_type: string },
): z.infer<typeof deliveryObject> {
  return {
    id: row.id,
    event_id: row.event_id,
    event_type: row.event_type,
    status: row.status,
    attempts: row.attempts,
    response_status: row.response_status,
    error: row.error,
    last_attempt_at: row.last_attempt_at?.toISOString() ?? null,
    delivered_at: row.delivered_at?.toISOString() ?? null,
    created_at: row.created_at.toISOString(),
  };
}
