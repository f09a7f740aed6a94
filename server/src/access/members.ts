import { type Page, toPage } from '../api-shapes.js';
import type { Ctx } from '../context.js';
import { newId } from '../db/ids.js';
import type { InvitationsTable, Role } from '../db/schema.js';
import { conflict, forbidden, invalid, notFound } from '../errors.js';
import { listPage, type PageRequest } from '../pagination.js';
import { scoped, type TenantCtx, tenantContext } from '../tenant.js';
import { toDate } from '../time/index.js';
import type { InvitationObject, MembershipObject } from './access.schema.js';
import { recordAudit } from './audit.js';
import { getOrganization, roleIn } from './organizations.js';
import { newSecret, sha256 } from './secrets.js';

/** Members, roles, invitations and ownership of an organization (C1, C2). */

export const INVITATION_DAYS = 7;

const membersQuery = (ctx: TenantCtx) =>
  scoped(ctx)
    .selectFrom('memberships')
    .innerJoin('users', 'users.id', 'memberships.user_id')
    .select(['memberships.org_id', 'memberships.user_id', 'memberships.role', 'memberships.created_at'])
    .select(['users.email', 'users.name']);

function presentMember(row: {
  org_id: string;
  user_id: string;
  email: string;
  name: string;
  role: Role;
  created_at: Date;
}): MembershipObject {
  return {
    object: 'membership',
    org_id: row.org_id,
    user_id: row.user_id,
    email: row.email,
    name: row.name,
    role: row.role,
    created_at: row.created_at.toISOString(),
  };
}

/** Members in the order they joined (the owner who made the organization first); the cursor is a user id. */
export async function listMembers(ctx: TenantCtx, page: PageRequest): Promise<Page<MembershipObject>> {
  const slice = await listPage(
    membersQuery(ctx),
    {
      by: [
        ['memberships.created_at', 'asc'],
        ['memberships.user_id', 'asc'],
      ],
      id: 'memberships.user_id',
      cursorFrom: scoped(ctx).selectFrom('memberships'),
      noun: 'member',
    },
    page,
  );
  return toPage(slice, (rows) => rows.map(presentMember));
}

export async function getMember(ctx: TenantCtx, userId: string): Promise<MembershipObject> {
  const row = await membersQuery(ctx).where('memberships.user_id', '=', userId).executeTakeFirst();
  if (!row) throw notFound('member.not_found', 'This person is not a member of the organization');
  return presentMember(row);
}

const concurrentChange = () =>
  conflict('member.changed_concurrently', 'This membership changed meanwhile; reload and try again');

async function memberOrThrow(ctx: TenantCtx, userId: string): Promise<Role> {
  const role = await roleIn(ctx, ctx.tenant.orgId, userId);
  if (!role) throw notFound('member.not_found', 'This person is not a member of the organization');
  return role;
}

export async function changeRole(ctx: TenantCtx, userId: string, role: Exclude<Role, 'owner'>) {
  const before = await memberOrThrow(ctx, userId);
  if (before === 'owner') {
    throw invalid(
      'member.owner_role_fixed',
      "The owner's role changes only by transferring ownership",
      'role',
    );
  }
  // Conditional on the role read above: a concurrent ownership transfer must not be undone.
  const changed = await scoped(ctx)
    .updateTable('memberships')
    .set({ role })
    .where('user_id', '=', userId)
    .where('role', '=', before)
    .executeTakeFirst();
  if (changed.numUpdatedRows !== 1n) throw concurrentChange();
  await recordAudit(ctx, {
    action: 'member.role_changed',
    targetType: 'user',
    targetId: userId,
    before: { role: before },
    after: { role },
  });
}

export async function removeMember(ctx: TenantCtx, userId: string) {
  const role = await memberOrThrow(ctx, userId);
  if (role === 'owner')
    throw invalid('member.owner_not_removable', 'Transfer ownership before removing the owner');
  const removed = await scoped(ctx)
    .deleteFrom('memberships')
    .where('user_id', '=', userId)
    .where('role', '<>', 'owner')
    .executeTakeFirst();
  if (removed.numDeletedRows !== 1n) throw concurrentChange();
  await recordAudit(ctx, {
    action: 'member.removed',
    targetType: 'user',
    targetId: userId,
    before: { role },
  });
}

export async function transferOwnership(ctx: TenantCtx, fromUserId: string, toUserId: string) {
  if (fromUserId === toUserId)
    throw invalid('member.already_owner', 'You already own this organization', 'user_id');
  const org = await getOrganization(ctx, ctx.tenant.orgId);
  if (org.kind === 'personal') throw invalid('organization.personal', 'A personal account keeps its owner');
  const targetRole = await memberOrThrow(ctx, toUserId);
  // Demote first: the schema allows exactly one owner at any moment. Each step must change exactly
  // one row, or a concurrent change got there first and the whole transfer rolls back.
  const demoted = await scoped(ctx)
    .updateTable('memberships')
    .set({ role: 'super_admin' })
    .where('user_id', '=', fromUserId)
    .where('role', '=', 'owner')
    .executeTakeFirst();
  const promoted = await scoped(ctx)
    .updateTable('memberships')
    .set({ role: 'owner' })
    .where('user_id', '=', toUserId)
    .where('role', '=', targetRole)
    .executeTakeFirst();
  if (demoted.numUpdatedRows !== 1n || promoted.numUpdatedRows !== 1n) throw concurrentChange();
  await recordAudit(ctx, {
    action: 'organization.ownership_transferred',
    targetType: 'user',
    targetId: toUserId,
    before: { owner: fromUserId, role: targetRole },
    after: { owner: toUserId, previous_owner_role: 'super_admin' },
  });
}

type InvitationRecord = Omit<InvitationsTable, 'created_at' | 'expires_at' | 'accepted_at' | 'revoked_at'> & {
  created_at: Date;
  expires_at: Date;
  accepted_at: Date | null;
  revoked_at: Date | null;
};

function invitationStatus(row: InvitationRecord, now: Date): InvitationObject['status'] {
  if (row.accepted_at) return 'accepted';
  if (row.revoked_at) return 'revoked';
  return row.expires_at <= now ? 'expired' : 'pending';
}

function presentInvitation(row: InvitationRecord, now: Date, url: string | null): InvitationObject {
  return {
    id: row.id,
    object: 'invitation',
    org_id: row.org_id,
    email: row.email,
    role: row.role,
    status: invitationStatus(row, now),
    created_at: row.created_at.toISOString(),
    expires_at: row.expires_at.toISOString(),
    url,
  };
}

/** Creates an invitation; the token is returned once, only its digest is kept. */
export async function createInvitation(
  ctx: TenantCtx,
  input: { email: string; role: Exclude<Role, 'owner'> },
  inviteUrl: (token: string) => string,
): Promise<InvitationObject> {
  const alreadyMember = await scoped(ctx)
    .selectFrom('memberships')
    .innerJoin('users', 'users.id', 'memberships.user_id')
    .select('users.id')
    .where((eb) => eb(eb.fn('lower', ['users.email']), '=', input.email))
    .executeTakeFirst();
  if (alreadyMember) throw conflict('invitation.already_member', 'This person is already a member', 'email');
  const now = toDate(ctx.clock.now());
  const token = newSecret('bfi');
  const row: InvitationRecord = {
    org_id: ctx.tenant.orgId,
    id: newId('invitation'),
    email: input.email,
    role: input.role,
    token_hash: sha256(token),
    invited_by: ctx.actor.id,
    created_at: now,
    expires_at: new Date(now.getTime() + INVITATION_DAYS * 86_400_000),
    accepted_at: null,
    accepted_by: null,
    revoked_at: null,
  };
  await ctx.db.insertInto('invitations').values(row).execute();
  const invitation = presentInvitation(row, now, inviteUrl(token));
  await recordAudit(ctx, {
    action: 'invitation.created',
    targetType: 'invitation',
    targetId: row.id,
    after: { email: row.email, role: row.role },
  });
  return invitation;
}

/** Invitations, newest first. */
export async function listInvitations(ctx: TenantCtx, page: PageRequest): Promise<Page<InvitationObject>> {
  const now = toDate(ctx.clock.now());
  const slice = await listPage(
    scoped(ctx).selectFrom('invitations').selectAll(),
    {
      by: [
        ['invitations.created_at', 'desc'],
        ['invitations.id', 'desc'],
      ],
      id: 'invitations.id',
      cursorFrom: scoped(ctx).selectFrom('invitations'),
      noun: 'invitation',
    },
    page,
  );
  return toPage(slice, (rows) => rows.map((row) => presentInvitation(row, now, null)));
}

export async function revokeInvitation(ctx: TenantCtx, invitationId: string): Promise<InvitationObject> {
  const now = toDate(ctx.clock.now());
  const row = await scoped(ctx)
    .updateTable('invitations')
    .set({ revoked_at: now })
    .where('id', '=', invitationId)
    .where('accepted_at', 'is', null)
    .where('revoked_at', 'is', null)
    .returningAll()
    .executeTakeFirst();
  if (!row) throw notFound('invitation.not_found', 'No pending invitation with this id');
  await recordAudit(ctx, {
    action: 'invitation.revoked',
    targetType: 'invitation',
    targetId: invitationId,
    before: { email: row.email, role: row.role },
  });
  return presentInvitation(row, now, null);
}

async function findInvitationByToken(ctx: Ctx, token: string) {
  const row = await ctx.db
    .selectFrom('invitations')
    .innerJoin('organizations', 'organizations.id', 'invitations.org_id')
    .selectAll('invitations')
    .select('organizations.name as org_name')
    .where('invitations.token_hash', '=', sha256(token))
    .executeTakeFirst();
  if (!row) throw notFound('invitation.not_found', 'This invite link is not valid');
  return row;
}

export async function previewInvitation(ctx: Ctx, token: string) {
  const row = await findInvitationByToken(ctx, token);
  const status = invitationStatus(row, toDate(ctx.clock.now()));
  return {
    object: 'invitation_preview' as const,
    org_name: row.org_name,
    email: row.email,
    role: row.role,
    status,
  };
}

/** The invited person, signed in with the invited email, joins with the invited role. */
export async function acceptInvitation(ctx: Ctx, user: { id: string; email: string }, token: string) {
  const now = toDate(ctx.clock.now());
  const row = await findInvitationByToken(ctx, token);
  const status = invitationStatus(row, now);
  if (status !== 'pending') throw conflict(`invitation.${status}`, `This invitation is ${status}`);
  if (row.email.toLowerCase() !== user.email.toLowerCase()) {
    throw forbidden(
      'invitation.email_mismatch',
      `This invitation is for ${row.email}; sign in with that email`,
    );
  }
  if (await roleIn(ctx, row.org_id, user.id))
    throw conflict('invitation.already_member', 'You are already a member');
  // The invitation names the organization the person joins: from here on, its tenant.
  const joined = tenantContext(ctx, row.org_id);
  await scoped(joined)
    .updateTable('invitations')
    .set({ accepted_at: now, accepted_by: user.id })
    .where('id', '=', row.id)
    .execute();
  await scoped(joined)
    .insertInto('memberships', { user_id: user.id, role: row.role, created_at: now })
    .execute();
  await recordAudit(joined, {
    action: 'member.joined',
    targetType: 'user',
    targetId: user.id,
    after: { role: row.role, invitation_id: row.id },
  });
  return { orgId: row.org_id, role: row.role };
}
