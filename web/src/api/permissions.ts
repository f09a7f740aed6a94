import type { MyOrganization } from './client';

/**
 * What the signed-in person may use in the chosen organization, mirroring the server's policy table
 * (server/src/access/policy.ts). The server still decides; this only hides what would be refused.
 */
export interface Permissions {
  /** Owner or super admin: change the organization, members, keys and billing. */
  manage: boolean;
  /** Owner only. */
  transferOwnership: boolean;
  readApiKeys: boolean;
  readAuditLog: boolean;
  readBilling: boolean;
  /** A platform operator: the catalog and every customer. */
  operate: boolean;
}

export function permissionsFor(org: MyOrganization | undefined, isOperator: boolean): Permissions {
  const role = org?.role ?? null;
  const manage = role === 'owner' || role === 'super_admin';
  return {
    manage,
    transferOwnership: role === 'owner',
    readApiKeys: manage || isOperator,
    readAuditLog: manage || isOperator,
    readBilling: manage || role === 'admin' || isOperator,
    operate: isOperator,
  };
}
