import type { ApiKeyMode, Role } from '../db/schema.js';

/**
 * The one policy table: every route names one of these permissions, and this table alone says who
 * holds it. Roles follow Prism and ROCON: owner and super_admin do everything, admin views billing,
 * member has no billing access; a platform operator reads every organization and runs the catalog.
 */
export interface PermissionRule {
  /** Needs no sign-in at all. */
  public?: true;
  /** Any signed-in person, no organization needed. */
  signedIn?: true;
  /** Roles inside the organization that hold it. */
  roles?: readonly Role[];
  /** Platform operators hold it in every organization. */
  operator?: true;
  /** The API key modes that hold it ('full' keys hold every permission keys may have). Absent: no key. */
  keys?: readonly ApiKeyMode[];
}

const readKeys: readonly ApiKeyMode[] = ['read_only', 'full'];
const fullKeys: readonly ApiKeyMode[] = ['full'];
/** A backend sending usage and checking limits. */
const ingestKeys: readonly ApiKeyMode[] = ['ingest', 'full'];

const everyone: readonly Role[] = ['owner', 'super_admin', 'admin', 'member'];
const managers: readonly Role[] = ['owner', 'super_admin'];
const billingViewers: readonly Role[] = ['owner', 'super_admin', 'admin'];

export const policy = {
  public: { public: true },
  signed_in: { signedIn: true },
  'organization.read': { roles: everyone, operator: true, keys: readKeys },
  'organization.write': { roles: managers, keys: fullKeys },
  'organization.transfer': { roles: ['owner'] },
  'members.read': { roles: everyone, operator: true, keys: readKeys },
  'members.write': { roles: managers },
  'api_keys.read': { roles: managers, operator: true },
  'api_keys.write': { roles: managers },
  'audit.read': { roles: managers, operator: true, keys: readKeys },
  'billing.read': { roles: billingViewers, operator: true, keys: readKeys },
  'billing.write': { roles: managers, keys: fullKeys },
  'operator.read': { operator: true },
  'operator.write': { operator: true },
  /** The issuer's backend: usage events in, limits checked and consumed. */
  'usage.ingest': { operator: true, keys: ingestKeys },
  /** Usage read back: the organization's own billing viewers, operators and the issuer's backend. */
  'usage.read': { roles: billingViewers, operator: true, keys: ['read_only', 'full', 'ingest'] },
} as const satisfies Record<string, PermissionRule>;

export type Permission = keyof typeof policy;

/** Who is asking, as far as the policy cares. */
export type Holder =
  | { kind: 'anonymous' }
  | { kind: 'user'; isOperator: boolean; role: Role | undefined }
  | { kind: 'api_key'; mode: ApiKeyMode; sameOrg: boolean };

export function allows(permission: Permission, holder: Holder): boolean {
  const rule: PermissionRule = policy[permission];
  if (rule.public) return true;
  if (holder.kind === 'anonymous') return false;
  if (holder.kind === 'api_key') {
    return holder.sameOrg && (rule.keys?.includes(holder.mode) ?? false);
  }
  if (rule.signedIn) return true;
  if (holder.isOperator && rule.operator) return true;
  return holder.role !== undefined && (rule.roles?.includes(holder.role) ?? false);
}

/** Whether the permission is about one organization (and so needs one chosen). */
export const needsOrganization = (permission: Permission) => {
  const rule: PermissionRule = policy[permission];
  return !rule.public && !rule.signedIn && !(rule.operator && !rule.roles);
};
