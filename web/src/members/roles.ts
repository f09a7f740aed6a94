import type { SelectOption } from '../ui';

/** Roles an owner or super admin can give; ownership moves only by a transfer. */
export const assignableRoles: readonly SelectOption[] = [
  { value: 'super_admin', label: 'Super admin' },
  { value: 'admin', label: 'Admin' },
  { value: 'member', label: 'Member' },
];

export type AssignableRole = 'super_admin' | 'admin' | 'member';

export const isAssignable = (value: string): value is AssignableRole =>
  value === 'super_admin' || value === 'admin' || value === 'member';

export const roleHelp =
  'Super admins manage everything but ownership; admins can view billing; members use the product only.';

/** Roles from least to most power, so that a list sorted by role descending starts at the owner. */
export const roleRank: readonly string[] = ['member', 'admin', 'super_admin', 'owner'];
