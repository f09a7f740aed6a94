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
  /** API keys: 'read' lets read-only and full keys in, 'full' only full keys. Absent: no key. */
  keys?: 'read' | 'full';
}

const everyone: readonly Role[] = ['owner', 'super_admin', 'admin', 'member'];
const managers: readonly Role[] = ['owner', 'super_admin'];
const billingViewers: readonly Role[] = ['owner', 'super_admin', 'admin'];

export const policy = {
  public: { public: true },
  signed_in: { signedIn: true },
  'organization.read': { roles: everyone, operator: true, keys: 'read' },
  'organization.write': { roles: managers, keys: 'full' },
  'organization.transfer': { roles: ['owner'] },
  'members.read': { roles: everyone, operator: true, keys: 'read' },
  'members.write': { roles: managers },
  'api_keys.read': { roles: managers, operator: true },
  'api_keys.write': { roles: managers },
  'audit.read': { roles: managers, operator: true, keys: 'read' },
  'billing.read': { roles: billingViewers, operator: true, keys: 'read' },
  'billing.write': { roles: managers, keys: 'full' },
  'operator.read': { operator: true },
  'operator.write': { operator: true },
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
    if (!holder.sameOrg || !rule.keys) return false;
    return rule.keys === 'read' || holder.mode === 'full';
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
