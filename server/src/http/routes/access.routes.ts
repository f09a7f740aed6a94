import { z } from 'zod';
import * as access from '../../access/index.js';
import { listOf, listQuery, MAX_PAGE } from '../../api-shapes.js';
import type { Ctx } from '../../context.js';
import { BillfoldError } from '../../errors.js';
import { platformContext } from '../../tenant.js';
import { type Access, defineRoute } from '../route.js';

/** Sign-up, sessions, organizations, members, invitations, API keys and the audit log (C1–C4). */

const TAG = 'Accounts and access';

/** Narrows to a signed-in person; the policy already let only such callers in. */
function userOf(a: Access) {
  if (a.principal.kind !== 'user')
    throw new BillfoldError('authentication', 'session.required', 'Sign in first');
  return a.principal.user;
}

/**
 * The organizations a session offers to act in: the first of their list, as many as the app's
 * organization switcher has ever shown; GET /v1/organizations pages through every one.
 */
const SESSION_ORGANIZATIONS = 500;
async function sessionOrganizations(ctx: Ctx, user: { id: string; is_operator: boolean }) {
  const page = await access.listOrganizationsFor(ctx, user.id, user.is_operator, {
    limit: SESSION_ORGANIZATIONS,
  });
  return page.data;
}
/** The organization the policy checked the caller against. */
export const accessRoutes = [
  defineRoute({
    method: 'POST',
    path: '/v1/users',
    operationId: 'signUp',
    summary: 'Sign up: creates the person, their personal account and a session',
    tag: TAG,
    permission: 'public',
    idempotency: 'off',
    body: access.signUpBody,
    response: access.sessionObject,
    status: 201,
    transaction: 'own',
    rateLimits: [{ name: 'sign-up per address', max: 30, windowMs: 10 * 60_000, key: ({ ip }) => ip }],
    handler: async ({ ctx, body, session }) => {
      const result = await access.signUp(ctx, body);
      session.set(result.session.token, result.session.expiresAt);
      return {
        object: 'session' as const,
        user: access.presentUser(result.user),
        csrf_token: result.session.csrfToken,
        organizations: [{ ...access.presentOrganization(result.personal), role: 'owner' as const }],
      };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/session',
    operationId: 'signIn',
    summary: 'Sign in with email and password; sets the session cookie',
    tag: TAG,
    permission: 'public',
    idempotency: 'off',
    audit: 'off',
    body: access.signInBody,
    response: access.sessionObject,
    transaction: 'own',
    rateLimits: [
      { name: 'sign-in per email', max: 10, windowMs: 10 * 60_000, key: ({ body }) => body.email },
      { name: 'sign-in per address', max: 100, windowMs: 10 * 60_000, key: ({ ip }) => ip },
    ],
    handler: async ({ ctx, body, session }) => {
      const { user, session: started } = await access.signIn(ctx, body);
      session.set(started.token, started.expiresAt);
      return {
        object: 'session' as const,
        user: access.presentUser(user),
        csrf_token: started.csrfToken,
        organizations: await sessionOrganizations(ctx, user),
      };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/session',
    operationId: 'getSession',
    summary: 'The signed-in person, their CSRF token and organizations',
    tag: TAG,
    permission: 'signed_in',
    response: access.sessionObject,
    handler: async ({ ctx, access: a }) => {
      const user = userOf(a);
      if (a.principal.kind !== 'user') throw new Error('unreachable');
      return {
        object: 'session' as const,
        user: access.presentUser(user),
        csrf_token: a.principal.csrfToken,
        organizations: await sessionOrganizations(ctx, user),
      };
    },
  }),
  defineRoute({
    method: 'DELETE',
    path: '/v1/session',
    operationId: 'signOut',
    summary: 'Sign out: ends the session',
    tag: TAG,
    permission: 'signed_in',
    idempotency: 'off',
    audit: 'off',
    response: z.object({ object: z.literal('session'), deleted: z.literal(true) }),
    handler: async ({ ctx, access: a, session }) => {
      if (a.principal.kind !== 'user')
        throw new BillfoldError('authentication', 'session.required', 'Sign in first');
      await access.endSession(ctx.db, a.principal.sessionToken);
      session.clear();
      return { object: 'session' as const, deleted: true as const };
    },
  }),

  defineRoute({
    method: 'DELETE',
    path: '/v1/sessions',
    operationId: 'signOutEverywhere',
    summary: 'Sign out everywhere: ends every session of the signed-in person, this one included',
    tag: TAG,
    permission: 'signed_in',
    idempotency: 'off',
    response: access.sessionsEndedObject,
    handler: async ({ ctx, access: a, session }) => {
      const sessionsEnded = await access.endAllSessions(ctx, userOf(a).id);
      session.clear();
      return { object: 'session' as const, deleted: true as const, sessions_ended: sessionsEnded };
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/user/password',
    operationId: 'changePassword',
    summary: 'Change your password; your other sessions are signed out, this one stays',
    tag: TAG,
    permission: 'signed_in',
    idempotency: 'off',
    body: access.changePasswordBody,
    response: access.passwordChangeObject,
    transaction: 'own',
    // Checking the current password is a way to guess it, from a session left open on someone's desk.
    rateLimits: [
      {
        name: 'password change per person',
        max: 5,
        windowMs: 10 * 60_000,
        key: ({ userId }) => userId ?? '',
      },
      { name: 'password change per address', max: 30, windowMs: 10 * 60_000, key: ({ ip }) => ip },
    ],
    handler: async ({ ctx, body, access: a }) => {
      if (a.principal.kind !== 'user')
        throw new BillfoldError('authentication', 'session.required', 'Sign in first');
      const { user, otherSessionsEnded } = await access.changePassword(
        ctx,
        a.principal.user.id,
        a.principal.sessionToken,
        body,
      );
      return {
        object: 'password_change' as const,
        user: access.presentUser(user),
        other_sessions_ended: otherSessionsEnded,
      };
    },
  }),

  defineRoute({
    method: 'POST',
    path: '/v1/organizations',
    operationId: 'createOrganization',
    summary: 'Create an organization (country and postal code are asked for billing); you become its owner',
    tag: TAG,
    permission: 'signed_in',
    body: access.createOrganizationBody,
    response: access.myOrganizationObject,
    status: 201,
    handler: async ({ ctx, body, access: a }) => {
      const org = await access.createOrganization(ctx, userOf(a).id, body);
      return { ...access.presentOrganization(org), role: 'owner' as const };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/organizations',
    operationId: 'listOrganizations',
    summary: 'Organizations you belong to (an operator sees all)',
    tag: TAG,
    permission: 'signed_in',
    query: listQuery,
    response: listOf(access.myOrganizationObject),
    handler: async ({ ctx, access: a, query }) => {
      const user = userOf(a);
      return access.listOrganizationsFor(ctx, user.id, user.is_operator, query);
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/organization',
    operationId: 'getOrganization',
    summary: 'The organization acted on',
    tag: TAG,
    permission: 'organization.read',
    response: access.organizationObject,
    handler: async ({ tenant, caches }) =>
      access.presentOrganization(await caches.organizations.get(tenant.tenant.orgId)),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/organization',
    operationId: 'updateOrganization',
    summary: "Update the organization's name, country or postal code",
    tag: TAG,
    permission: 'organization.write',
    body: access.updateOrganizationBody,
    response: access.organizationObject,
    handler: async ({ tenant, body, afterCommit, caches }) => {
      afterCommit(() => caches.organizations.forget(tenant.tenant.orgId));
      return access.presentOrganization(await access.updateOrganization(tenant, body));
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/organization/transfer_ownership',
    operationId: 'transferOwnership',
    summary: 'Make another member the owner; you become a super admin',
    tag: TAG,
    permission: 'organization.transfer',
    body: access.transferOwnershipBody,
    response: listOf(access.membershipObject),
    // The members as they are now: the first page, as large as a page can be.
    handler: async ({ tenant, body, access: a }) => {
      await access.transferOwnership(tenant, userOf(a).id, body.user_id);
      return access.listMembers(tenant, { limit: MAX_PAGE });
    },
  }),

  defineRoute({
    method: 'GET',
    path: '/v1/members',
    operationId: 'listMembers',
    summary: 'Members of the organization and their roles',
    tag: TAG,
    permission: 'members.read',
    query: listQuery,
    response: listOf(access.membershipObject),
    handler: async ({ tenant, query }) => access.listMembers(tenant, query),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/members/:user_id',
    operationId: 'changeMemberRole',
    summary: "Change a member's role",
    tag: TAG,
    permission: 'members.write',
    params: access.userParams,
    body: access.changeRoleBody,
    response: access.membershipObject,
    handler: async ({ tenant, params, body }) => {
      await access.changeRole(tenant, params.user_id, body.role);
      return access.getMember(tenant, params.user_id);
    },
  }),
  defineRoute({
    method: 'DELETE',
    path: '/v1/members/:user_id',
    operationId: 'removeMember',
    summary: 'Remove a member from the organization',
    tag: TAG,
    permission: 'members.write',
    params: access.userParams,
    response: z.object({ object: z.literal('membership'), user_id: z.string(), deleted: z.literal(true) }),
    handler: async ({ tenant, params }) => {
      await access.removeMember(tenant, params.user_id);
      return { object: 'membership' as const, user_id: params.user_id, deleted: true as const };
    },
  }),

  defineRoute({
    method: 'POST',
    path: '/v1/invitations',
    operationId: 'createInvitation',
    summary: 'Invite a person by email; the response carries the invite link, once',
    tag: TAG,
    permission: 'members.write',
    body: access.createInvitationBody,
    response: access.invitationObject,
    status: 201,
    redact: ['url'],
    handler: async ({ tenant, body, publicUrl }) =>
      access.createInvitation(tenant, body, (token) => publicUrl(`/invite/${token}`)),
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/invitations',
    operationId: 'listInvitations',
    summary: 'Invitations of the organization',
    tag: TAG,
    permission: 'members.read',
    query: listQuery,
    response: listOf(access.invitationObject),
    handler: async ({ tenant, query }) => access.listInvitations(tenant, query),
  }),
  defineRoute({
    method: 'DELETE',
    path: '/v1/invitations/:invitation_id',
    operationId: 'revokeInvitation',
    summary: 'Revoke a pending invitation',
    tag: TAG,
    permission: 'members.write',
    params: access.invitationParams,
    response: access.invitationObject,
    handler: async ({ tenant, params }) => access.revokeInvitation(tenant, params.invitation_id),
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/invitation_previews/:token',
    operationId: 'previewInvitation',
    summary: 'What an invite link is for: organization, email, role, status',
    tag: TAG,
    permission: 'public',
    params: z.strictObject({ token: z.string().min(20).max(100) }),
    response: access.invitationPreviewObject,
    handler: async ({ ctx, params }) => access.previewInvitation(ctx, params.token),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/invitations/accept',
    operationId: 'acceptInvitation',
    summary: 'Accept an invitation as the signed-in person',
    tag: TAG,
    permission: 'signed_in',
    body: access.acceptInvitationBody,
    response: access.myOrganizationObject,
    handler: async ({ ctx, body, access: a }) => {
      const { orgId, role } = await access.acceptInvitation(ctx, userOf(a), body.token);
      return { ...access.presentOrganization(await access.getOrganization(ctx, orgId)), role };
    },
  }),

  defineRoute({
    method: 'GET',
    path: '/v1/api_keys',
    operationId: 'listApiKeys',
    summary: "The organization's API keys (secrets are never shown again)",
    tag: TAG,
    permission: 'api_keys.read',
    query: listQuery,
    response: listOf(access.apiKeyObject),
    handler: async ({ tenant, query }) => access.listApiKeys(tenant, query),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/api_keys',
    operationId: 'createApiKey',
    summary: 'Create an API key, read-only or full; the secret is in this response only',
    tag: TAG,
    permission: 'api_keys.write',
    body: access.createApiKeyBody,
    response: access.apiKeyObject,
    status: 201,
    redact: ['secret'],
    handler: async ({ tenant, body }) => access.createApiKey(tenant, body),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/platform/ingest_keys',
    operationId: 'createIngestKey',
    summary:
      "Create the platform's ingest key (usage events and entitlement checks); the secret is in this response only",
    tag: TAG,
    permission: 'operator.write',
    body: access.createIngestKeyBody,
    response: access.apiKeyObject,
    status: 201,
    redact: ['secret'],
    handler: async ({ ctx, body }) =>
      access.createApiKey(platformContext(ctx), { name: body.name, mode: 'ingest' }),
  }),
  defineRoute({
    method: 'DELETE',
    path: '/v1/api_keys/:api_key_id',
    operationId: 'revokeApiKey',
    summary: 'Revoke an API key; it stops working at once',
    tag: TAG,
    permission: 'api_keys.write',
    params: access.apiKeyParams,
    response: access.apiKeyObject,
    handler: async ({ tenant, params, afterCommit, caches }) => {
      const key = await access.revokeApiKey(tenant, params.api_key_id);
      afterCommit(() => caches.apiKeys.forget(key.id));
      return key;
    },
  }),

  defineRoute({
    method: 'GET',
    path: '/v1/audit_events',
    operationId: 'listAuditEvents',
    summary: 'The audit log: who changed what, when, before and after; newest first',
    tag: TAG,
    permission: 'audit.read',
    query: access.auditQuery,
    response: listOf(access.auditEventObject),
    handler: async ({ tenant, query }) => access.listAuditEvents(tenant, query),
  }),
];
