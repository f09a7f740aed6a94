import type { z } from 'zod';
import { type Page, toPage } from '../api-shapes.js';
import type { Ctx } from '../context.js';
import type { Db } from '../db/database.js';
import { newId } from '../db/ids.js';
import type { OrganizationRow, Role } from '../db/schema.js';
import { forbidden, invalid, notFound } from '../errors.js';
import { listPage, type PageRequest } from '../pagination.js';
import type { TenantCtx } from '../tenant.js';
import { toDate } from '../time/index.js';
import type { createOrganizationBody, OrganizationObject, updateOrganizationBody } from './access.schema.js';
import { recordAudit } from './audit.js';
import { announceAccessChange } from './changes.js';
import { ReadCache } from './read-cache.js';

/** Organizations, personal accounts and client organizations under a parent (C1). */

export { PLATFORM_ORG_ID } from '../tenant.js';

interface NewOrganization {
  kind: OrganizationRow['kind'];
  name: string;
  country: string;
  postal_code: string;
  parent_org_id?: string | undefined;
  ownerId: string;
}

/** Inserts the organization and its owner's membership; callers audit. */
export async function createOrganizationRecord(ctx: Ctx, input: NewOrganization): Promise<OrganizationRow> {
  const now = toDate(ctx.clock.now());
  const org: OrganizationRow = {
    id: newId('organization'),
    kind: input.kind,
    name: input.name,
    country: input.country,
    postal_code: input.postal_code,
    parent_org_id: input.parent_org_id ?? null,
    created_by: input.ownerId,
    created_at: now,
  };
  await ctx.db.insertInto('organizations').values(org).execute();
  await ctx.db
    .insertInto('memberships')
    .values({ org_id: org.id, user_id: input.ownerId, role: 'owner', created_at: now })
    .execute();
  return org;
}

export async function createOrganization(
  ctx: Ctx,
  userId: string,
  input: z.infer<typeof createOrganizationBody>,
): Promise<OrganizationRow> {
  if (input.parent_org_id) {
    // A client organization is created by someone who manages the parent (a reseller, C1/C33).
    const role = await roleIn(ctx, input.parent_org_id, userId);
    if (role === undefined) throw notFound('organization.not_found', 'No such parent organization');
    if (role !== 'owner' && role !== 'super_admin') {
      throw forbidden(
        'organization.parent_forbidden',
        'Only an owner or super admin of the parent may add clients',
      );
    }
    const parent = await getOrganization(ctx, input.parent_org_id);
    if (parent.kind === 'personal') {
      throw invalid(
        'organization.parent_personal',
        'A personal account cannot have clients',
        'parent_org_id',
      );
    }
  }
  const org = await createOrganizationRecord(ctx, { ...input, kind: 'organization', ownerId: userId });
  await recordAudit(ctx, {
    orgId: org.id,
    action: 'organization.created',
    targetType: 'organization',
    targetId: org.id,
    after: presentOrganization(org),
  });
  if (org.parent_org_id) {
    // The parent sees its new client in its own log.
    await recordAudit(ctx, {
      orgId: org.parent_org_id,
      action: 'organization.client_created',
      targetType: 'organization',
      targetId: org.id,
      after: { name: org.name, country: org.country },
    });
  }
  return org;
}

export async function getOrganization(ctx: Ctx, orgId: string): Promise<OrganizationRow> {
  const org = await ctx.db.selectFrom('organizations').selectAll().where('id', '=', orgId).executeTakeFirst();
  if (!org) throw notFound('organization.not_found', 'No such organization');
  return org;
}

export async function updateOrganization(
  ctx: TenantCtx,
  changes: z.infer<typeof updateOrganizationBody>,
): Promise<OrganizationRow> {
  const { orgId } = ctx.tenant;
  const before = await getOrganization(ctx, orgId);
  const after = await ctx.db
    .updateTable('organizations')
    .set(changes)
    .where('id', '=', orgId)
    .returningAll()
    .executeTakeFirstOrThrow();
  await announceAccessChange(ctx.db, { kind: 'organization_changed', orgId });
  await recordAudit(ctx, {
    action: 'organization.updated',
    targetType: 'organization',
    targetId: orgId,
    before: presentOrganization(before),
    after: presentOrganization(after),
  });
  return after;
}

/** Organizations a person belongs to, with their role; an operator sees every organization. */
/**
 * The organizations a person belongs to (an operator: all of them), the personal account first, then
 * the oldest first. A cursor names one of them: another organization is no place in this list.
 */
export async function listOrganizationsFor(
  ctx: Ctx,
  userId: string,
  isOperator: boolean,
  page: PageRequest,
): Promise<Page<OrganizationObject & { role: Role | null }>> {
  const visible = ctx.db
    .selectFrom('organizations')
    .leftJoin('memberships', (join) =>
      join.onRef('memberships.org_id', '=', 'organizations.id').on('memberships.user_id', '=', userId),
    )
    .$if(!isOperator, (q) => q.where('memberships.user_id', '=', userId))
    .where('organizations.kind', '<>', 'platform');
  const slice = await listPage(
    visible.selectAll('organizations').select('memberships.role'),
    {
      by: [
        ['organizations.kind', 'desc'],
        ['organizations.created_at', 'asc'],
        ['organizations.id', 'asc'],
      ],
      id: 'organizations.id',
      cursorFrom: visible,
      noun: 'organization',
    },
    page,
  );
  return toPage(slice, (rows) => rows.map((row) => ({ ...presentOrganization(row), role: row.role })));
}

/** The caller's role in `orgId`: asked at the edge, before the request has a tenant. */
export async function roleIn(ctx: Pick<Ctx, 'db'>, orgId: string, userId: string): Promise<Role | undefined> {
  const row = await ctx.db
    .selectFrom('memberships')
    .select('role')
    .where('org_id', '=', orgId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  return row?.role;
}

// Cached rows are presented on every read; the same row object always presents the same way.
const presented = new WeakMap<OrganizationRow, OrganizationObject>();

export function presentOrganization(org: OrganizationRow): OrganizationObject {
  let object = presented.get(org);
  if (!object) {
    object = presentOrganizationRow(org);
    presented.set(org, object);
  }
  return object;
}

function presentOrganizationRow(org: OrganizationRow): OrganizationObject {
  return {
    id: org.id,
    object: 'organization',
    kind: org.kind,
    name: org.name,
    country: org.country,
    postal_code: org.postal_code,
    parent_org_id: org.parent_org_id,
    created_at: org.created_at.toISOString(),
  };
}

/**
 * Organizations read on every API call, kept in memory for a few seconds. A change is forgotten at
 * once after it commits: in this process by the route, in the others by its announcement
 * (changes.ts). The time-to-live is only a backstop.
 */
export class OrganizationCache {
  readonly #cache: ReadCache<{ org: OrganizationRow | undefined }>;

  constructor(db: Db, ttlMs = 5_000) {
    this.#cache = new ReadCache({
      ttlMs,
      load: async (id) => ({
        org: await db.selectFrom('organizations').selectAll().where('id', '=', id).executeTakeFirst(),
      }),
    });
  }

  async get(orgId: string): Promise<OrganizationRow> {
    const { org } = await this.#cache.get(orgId);
    if (!org) throw notFound('organization.not_found', 'No such organization');
    return org;
  }

  forget(orgId: string): void {
    this.#cache.forget((id) => id === orgId);
  }

  /** Forgets every organization; with `caching` false, reads every time until called with true. */
  clear(caching: boolean): void {
    this.#cache.clear(caching);
  }
}
