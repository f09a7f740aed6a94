import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { queries } from '../api/queries';
import { useSignedIn } from '../api/session';
import { PaymentDueBanner } from '../billing/PaymentDueBanner';
import { useCheckout } from '../billing/useCheckout';
import { organizationLabel } from '../shell/OrganizationSwitcher';
import { useShell } from '../shell/ShellContext';
import { Alert, ArrowRightIcon, Card, Page, RoleBadge } from '../ui';
import './organizations.css';

export function OverviewPage() {
  const { organization, organizations, permissions, user } = useSignedIn();
  const { navigation } = useShell();
  const members = useQuery(queries.members(organization.id));
  const parent = organization.parent_org_id
    ? organizations.find((o) => o.id === organization.parent_org_id)
    : undefined;
  const kind =
    organization.kind === 'personal'
      ? 'Personal account'
      : organization.parent_org_id
        ? `Client of ${parent?.name ?? 'another organization'}`
        : 'Organization';
  const links = navigation.member.filter((entry) => entry.to !== '/');
  // The same banner as on Billing: a failed payment is news wherever one lands.
  const [paid, setPaid] = useState<string | undefined>();
  const saveCard = useCheckout();

  return (
    <Page
      title={organizationLabel(organization)}
      description={
        organization.kind === 'personal'
          ? `Your personal account, ${user.name}. Create an organization to work with others.`
          : `Overview of ${organization.name}.`
      }
    >
      {permissions.readBilling ? (
        <PaymentDueBanner
          organizationId={organization.id}
          canAct={permissions.manage}
          onPaid={setPaid}
          onSaveCard={() => saveCard.start(undefined)}
        />
      ) : null}
      {paid ? <Alert tone="success">{paid}</Alert> : null}
      {saveCard.error ? <Alert>{saveCard.error}</Alert> : null}
      <div className="stat-grid">
        <div className="card stat">
          <span className="stat-label">Your role</span>
          <span className="stat-value">
            <RoleBadge role={organization.role} />
          </span>
        </div>
        <div className="card stat">
          <span className="stat-label">Members</span>
          <span className="stat-value" data-testid="member-count">
            {members.data ? members.data.data.length : members.error ? '—' : '…'}
          </span>
        </div>
        <div className="card stat">
          <span className="stat-label">Type</span>
          <span className="stat-value stat-value-text">{kind}</span>
        </div>
      </div>
      <Card title="Quick links">
        <div className="quick-links">
          {links.map(({ to, label, icon: Icon, summary }) => (
            <Link key={to} to={to} className="quick-link">
              <span className="quick-link-icon">
                <Icon size={18} />
              </span>
              <span className="quick-link-text">
                <strong>{label}</strong>
                <span>
                  {to === '/members' && !permissions.manage ? 'See who works in this organization' : summary}
                </span>
              </span>
              <ArrowRightIcon size={16} />
            </Link>
          ))}
        </div>
      </Card>
    </Page>
  );
}
