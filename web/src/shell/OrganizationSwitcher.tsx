import type { MyOrganization } from '../api/client';
import { useSession } from '../api/session';
import { Button, PlusIcon, Select } from '../ui';
import { useShell } from './ShellContext';

export function organizationLabel(org: Pick<MyOrganization, 'kind' | 'name'>) {
  return org.kind === 'personal' ? 'Personal' : org.name;
}

/** Chooses the organization every org-scoped call acts on (the Billfold-Organization header). */
export function OrganizationSwitcher() {
  const { signedIn, switchOrganization } = useSession();
  const { openCreateOrganization } = useShell();
  if (!signedIn) return null;
  const ids = new Set(signedIn.organizations.map((o) => o.id));
  const options = signedIn.organizations.map((org) => ({
    value: org.id,
    label: org.parent_org_id && ids.has(org.parent_org_id) ? `↳ ${org.name}` : organizationLabel(org),
  }));
  return (
    <div className="org-switcher">
      <Select
        label="Organization"
        value={signedIn.organization?.id ?? ''}
        onChange={(e) => switchOrganization(e.target.value)}
        options={options}
      />
      <Button variant="ghost" className="org-switcher-create" onClick={openCreateOrganization}>
        <PlusIcon size={16} />
        New organization
      </Button>
    </div>
  );
}
