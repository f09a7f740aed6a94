import type { ReactNode } from 'react';

export type BadgeTone = 'neutral' | 'accent' | 'success' | 'warning' | 'danger';

export function Badge({
  tone = 'neutral',
  dot = false,
  children,
}: {
  tone?: BadgeTone;
  dot?: boolean;
  children: ReactNode;
}) {
  return <span className={`badge badge-${tone}${dot ? ' badge-dot' : ''}`}>{children}</span>;
}

const roleLabels: Record<string, string> = {
  owner: 'Owner',
  super_admin: 'Super admin',
  admin: 'Admin',
  member: 'Member',
};
const roleTones: Record<string, BadgeTone> = {
  owner: 'accent',
  super_admin: 'accent',
  admin: 'neutral',
  member: 'neutral',
};

export const roleLabel = (role: string | null | undefined) =>
  role ? (roleLabels[role] ?? role) : 'Operator (read-only)';

export function RoleBadge({ role }: { role: string | null | undefined }) {
  return <Badge tone={role ? (roleTones[role] ?? 'neutral') : 'warning'}>{roleLabel(role)}</Badge>;
}

const statusTones: Record<string, BadgeTone> = {
  active: 'success',
  pending: 'warning',
  accepted: 'success',
  revoked: 'danger',
  expired: 'neutral',
  paid: 'accent',
  cancelled: 'danger',
  succeeded: 'success',
  failed: 'danger',
  requires_action: 'warning',
  trialing: 'accent',
  past_due: 'warning',
  unpaid: 'danger',
  paused: 'neutral',
  incomplete: 'warning',
  open: 'warning',
  draft: 'neutral',
  void: 'neutral',
  uncollectible: 'danger',
  closed: 'neutral',
};

export function StatusBadge({ status }: { status: string }) {
  const words = status.replaceAll('_', ' ');
  const label = words.charAt(0).toUpperCase() + words.slice(1);
  return (
    <Badge tone={statusTones[status] ?? 'neutral'} dot>
      {label}
    </Badge>
  );
}
