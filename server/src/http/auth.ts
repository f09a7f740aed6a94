import type { FastifyRequest } from 'fastify';
import {
  type ApiKeyAuthenticator,
  allows,
  findSession,
  type Holder,
  needsOrganization,
  type Permission,
  policy,
  roleIn,
  safeEqual,
} from '../access/index.js';
import type { Db } from '../db/database.js';
import { isId } from '../db/ids.js';
import { forbidden, invalid, unauthenticated } from '../errors.js';
import type { Clock } from '../time/index.js';
import { toDate } from '../time/index.js';
import type { Access, Principal } from './route.js';

export const SESSION_COOKIE = 'billfold_session';
/** Chooses the organization a signed-in person acts on, like Stripe-Account. */
export const ORG_HEADER = 'billfold-organization';
export const CSRF_HEADER = 'x-csrf-token';

const readMethods = new Set(['GET', 'HEAD', 'OPTIONS']);
const isPublic = (permission: Permission) => 'public' in policy[permission];

async function resolvePrincipal(
  request: FastifyRequest,
  deps: { db: Db; clock: Clock; keys: ApiKeyAuthenticator },
): Promise<Principal> {
  const authorization = request.headers.authorization;
  if (authorization !== undefined) {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization);
    const key = match?.[1] ? await deps.keys.authenticate(match[1]) : null;
    if (!key) throw unauthenticated('api_key.invalid', 'The API key is not valid or was revoked');
    return { kind: 'api_key', ...key };
  }
  const token = request.cookies[SESSION_COOKIE];
  if (token) {
    const session = await findSession(deps.db, token, toDate(deps.clock.now()));
    if (session) {
      const { csrf_token, ...user } = session;
      return { kind: 'user', user, csrfToken: csrf_token, sessionToken: token };
    }
  }
  return { kind: 'anonymous' };
}

/**
 * Who is asking, in which organization, and whether the route's permission lets them. Runs before
 * the body is read, so a caller without the permission learns nothing about validation.
 */
export async function authorize(
  request: FastifyRequest,
  permission: Permission,
  deps: { db: Db; clock: Clock; keys: ApiKeyAuthenticator },
): Promise<Access> {
  const principal = await resolvePrincipal(request, deps);
  // Public routes (sign-in, sign-up) act on no session, so a stale cookie must not block them.
  if (principal.kind === 'user' && !readMethods.has(request.method) && !isPublic(permission)) {
    // Cookie-authenticated writes must prove they come from our page (double-submit token).
    const sent = request.headers[CSRF_HEADER];
    if (typeof sent !== 'string' || !safeEqual(sent, principal.csrfToken)) {
      throw forbidden('csrf.invalid', 'Missing or wrong X-CSRF-Token for a write made with a session cookie');
    }
  }

  let orgId: string | undefined;
  let role: Access['role'];
  const header = request.headers[ORG_HEADER];
  const requestedOrg = typeof header === 'string' && header !== '' ? header : undefined;
  if (requestedOrg !== undefined && !isId('organization', requestedOrg)) {
    throw invalid('organization.invalid_id', 'Billfold-Organization is not an organization id', ORG_HEADER);
  }
  let holder: Holder;
  if (principal.kind === 'anonymous') {
    holder = { kind: 'anonymous' };
  } else if (principal.kind === 'api_key') {
    orgId = principal.orgId;
    holder = {
      kind: 'api_key',
      mode: principal.mode,
      sameOrg: requestedOrg === undefined || requestedOrg === orgId,
    };
  } else {
    orgId = requestedOrg;
    role = orgId ? await roleIn({ db: deps.db }, orgId, principal.user.id) : undefined;
    holder = { kind: 'user', isOperator: principal.user.is_operator, role };
  }

  if (!allows(permission, holder)) {
    if (holder.kind === 'anonymous') throw unauthenticated('session.required', 'Sign in or send an API key');
    if (holder.kind === 'user' && needsOrganization(permission) && orgId === undefined) {
      throw invalid(
        'organization.required',
        'Choose an organization with the Billfold-Organization header',
        ORG_HEADER,
      );
    }
    throw forbidden('permission.denied', `Your role does not allow ${permission}`);
  }
  if (
    needsOrganization(permission) &&
    orgId !== undefined &&
    principal.kind === 'user' &&
    role === undefined
  ) {
    // An operator acting on an organization that does not exist.
    const exists = await deps.db
      .selectFrom('organizations')
      .select('id')
      .where('id', '=', orgId)
      .executeTakeFirst();
    if (!exists) throw forbidden('permission.denied', 'No such organization');
  }
  return { principal, orgId, role };
}
