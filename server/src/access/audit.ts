import { sql } from 'kysely';
import { type Page, toPage } from '../api-shapes.js';
import type { Ctx } from '../context.js';
import { idPrefixes, newId } from '../db/ids.js';
import type { AuditEventRow } from '../db/schema.js';
import { listPage } from '../pagination.js';
import { scoped, type TenantCtx } from '../tenant.js';
import { toDate } from '../time/index.js';
import type { AuditEventObject } from './access.schema.js';
import { type AuditAction, type AuditNames, auditSentence } from './audit-sentences.js';

export interface AuditEntry {
  orgId: string;
  /** One of the actions the log has a sentence for (audit-sentences.ts). */
  action: AuditAction;
  targetType: string;
  targetId: string;
  before?: unknown;
  after?: unknown;
}

/**
 * Records who did what to which, before and after, in the same transaction as the change: in the
 * tenant's log, or (creating an organization, accepting an invitation) in the one `orgId` names.
 */
export async function recordAudit(ctx: TenantCtx, entry: Omit<AuditEntry, 'orgId'>): Promise<void>;
export async function recordAudit(ctx: Ctx, entry: AuditEntry): Promise<void>;
export async function recordAudit(ctx: Ctx | TenantCtx, entry: Partial<AuditEntry>): Promise<void> {
  const orgId = entry.orgId ?? ('tenant' in ctx ? ctx.tenant.orgId : undefined);
  if (!orgId) throw new Error(`audit entry ${entry.action} names no organization`);
  await recordAudits(ctx, [{ ...(entry as AuditEntry), orgId }]);
}

/** `recordAudit` for many entries of one actor at once (the billing run's batches): one statement. */
export async function recordAudits(ctx: Ctx, entries: readonly AuditEntry[]): Promise<void> {
  if (entries.length === 0) return;
  const now = toDate(ctx.clock.now());
  await ctx.db
    .insertInto('audit_events')
    .values(
      entries.map((entry) => ({
        org_id: entry.orgId,
        id: newId('auditEvent'),
        actor_type: ctx.actor.type,
        actor_id: ctx.actor.id,
        action: entry.action,
        target_type: entry.targetType,
        target_id: entry.targetId,
        before: entry.before === undefined ? null : JSON.stringify(entry.before),
        after: entry.after === undefined ? null : JSON.stringify(entry.after),
        request_id: ctx.requestId,
        created_at: now,
      })),
    )
    .execute();
}

/** Whether a request recorded its change; the HTTP layer refuses to commit one that did not. */
export async function wasAudited(ctx: Ctx): Promise<boolean> {
  const row = await ctx.db
    .selectFrom('audit_events')
    .select('id')
    .where('request_id', '=', ctx.requestId)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

export interface AuditFilter {
  limit: number;
  starting_after?: string | undefined;
  action?: string | undefined;
  actor_id?: string | undefined;
  target_id?: string | undefined;
  created_gte?: string | undefined;
  created_lt?: string | undefined;
}

export async function listAuditEvents(ctx: TenantCtx, filter: AuditFilter): Promise<Page<AuditEventObject>> {
  let query = scoped(ctx).selectFrom('audit_events').selectAll();
  // A prefix such as `member.` selects a family of actions.
  if (filter.action) query = query.where('action', 'like', `${filter.action.replace(/[%_\\]/g, '\\$&')}%`);
  if (filter.actor_id) query = query.where('actor_id', '=', filter.actor_id);
  if (filter.target_id) query = query.where('target_id', '=', filter.target_id);
  if (filter.created_gte) query = query.where('created_at', '>=', new Date(filter.created_gte));
  if (filter.created_lt) query = query.where('created_at', '<', new Date(filter.created_lt));
  // The sequence is the order events were recorded in, and unique: newest first.
  const slice = await listPage(
    query,
    {
      by: [['audit_events.seq', 'desc']],
      id: 'audit_events.id',
      cursorFrom: scoped(ctx).selectFrom('audit_events'),
      noun: 'audit event',
    },
    filter,
  );
  const names = await namesFor(ctx, slice.rows);
  return toPage(slice, (rows) => rows.map((row) => presentAuditEvent(row, names)));
}

/** The kinds of ids a sentence names rather than shows: people, API keys, plans, invoices. */
const namedPrefixes = new Map<string, NamedKind>([
  [idPrefixes.user, 'user'],
  [idPrefixes.apiKey, 'apiKey'],
  [idPrefixes.plan, 'plan'],
  [idPrefixes.invoice, 'invoice'],
]);
type NamedKind = 'user' | 'apiKey' | 'plan' | 'invoice';

/**
 * The ids a page of events refers to that have names: its actors and targets, and the ids its
 * before and after hold (a plan changed to, the invoices one payment paid).
 */
function namedIds(rows: readonly AuditEventRow[]): Record<NamedKind, Set<string>> {
  const ids: Record<NamedKind, Set<string>> = {
    user: new Set(),
    apiKey: new Set(),
    plan: new Set(),
    invoice: new Set(),
  };
  const note = (value: unknown) => {
    if (typeof value !== 'string') return;
    const kind = namedPrefixes.get(value.slice(0, value.indexOf('_')));
    if (kind) ids[kind].add(value);
  };
  for (const row of rows) {
    note(row.actor_id);
    note(row.target_id);
    for (const fields of [row.before, row.after]) {
      if (typeof fields !== 'object' || fields === null) continue;
      for (const value of Object.values(fields)) {
        if (Array.isArray(value)) value.forEach(note);
        else note(value);
      }
    }
  }
  return ids;
}

/**
 * The names of what a page of events refers to, in one statement for the whole page: people's, API
 * keys' and plans' names as they are now (a renamed plan reads by its new name), invoices' numbers.
 */
async function namesFor(ctx: TenantCtx, rows: readonly AuditEventRow[]): Promise<AuditNames> {
  const ids = namedIds(rows);
  const noLast4 = sql<string | null>`null::text`.as('last4');
  const parts = [
    // People are named to the organization's members only when they are members too: an operator who
    // acted on the organization (a refund) is "A Billfold operator", anyone else stays an id.
    ids.user.size > 0 &&
      ctx.db
        .selectFrom('users')
        .select((eb) => [
          'users.id',
          eb
            .case()
            .when(
              eb.exists(
                eb
                  .selectFrom('memberships')
                  .select('memberships.user_id')
                  .where('memberships.org_id', '=', ctx.tenant.orgId)
                  .whereRef('memberships.user_id', '=', 'users.id'),
              ),
            )
            .then(eb.ref('users.name'))
            .when('users.is_operator', '=', true)
            .then(sql.lit('A Billfold operator'))
            .end()
            .as('name'),
          noLast4,
        ])
        .where('users.id', 'in', [...ids.user]),
    // Only the organization's own keys are named: another's (the issuer's) is its business.
    ids.apiKey.size > 0 &&
      scoped(ctx)
        .selectFrom('api_keys')
        .select(['id', 'name', 'last4'])
        .where('id', 'in', [...ids.apiKey]),
    ids.plan.size > 0 &&
      scoped(ctx, 'issuer')
        .selectFrom('plans')
        .select(['id', 'name', noLast4])
        .where('id', 'in', [...ids.plan]),
    ids.invoice.size > 0 &&
      scoped(ctx)
        .selectFrom('invoices')
        .select(['id', 'number as name', noLast4])
        .where('id', 'in', [...ids.invoice])
        .where('number', 'is not', null),
  ].filter((part) => part !== false);
  if (parts.length === 0) return new Map();
  const named = await sql<{ id: string; name: string | null; last4: string | null }>`${sql.join(
    parts,
    sql` union all `,
  )}`.execute(ctx.db);
  return new Map(
    named.rows.flatMap((row) => (row.name === null ? [] : [[row.id, { name: row.name, last4: row.last4 }]])),
  );
}

export function presentAuditEvent(row: AuditEventRow, names: AuditNames): AuditEventObject {
  return {
    id: row.id,
    object: 'audit_event',
    org_id: row.org_id,
    actor_type: row.actor_type,
    actor_id: row.actor_id,
    action: row.action,
    target_type: row.target_type,
    target_id: row.target_id,
    before: row.before ?? null,
    after: row.after ?? null,
    request_id: row.request_id,
    created_at: row.created_at.toISOString(),
    summary: auditSentence(
      {
        action: row.action,
        actorType: row.actor_type,
        actorId: row.actor_id,
        targetId: row.target_id,
        before: row.before,
        after: row.after,
      },
      names,
    ),
  };
}
