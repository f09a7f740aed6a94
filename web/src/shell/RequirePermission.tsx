import type { ReactNode } from 'react';
import { Link } from 'react-router';
import type { Permissions } from '../api/permissions';
import { useSignedIn } from '../api/session';
import { buttonClass, Card, EmptyState, Page, roleLabel, ShieldIcon } from '../ui';

/** Shows the page only to roles that may use it; others get a short explanation instead of errors. */
export function RequirePermission({
  can,
  title,
  children,
}: {
  can: keyof Permissions;
  title: string;
  children: ReactNode;
}) {
  const { permissions, organization } = useSignedIn();
  if (permissions[can]) return <>{children}</>;
  return (
    <Page title={title}>
      <Card>
        <EmptyState
          icon={<ShieldIcon />}
          title="Not available for your role"
          actions={
            <Link className={buttonClass('secondary')} to="/">
              Back to overview
            </Link>
          }
        >
          As {roleLabel(organization.role).toLowerCase()} of {organization.name} you cannot open this page. An
          owner or super admin can change your role.
        </EmptyState>
      </Card>
    </Page>
  );
}
