import { useState } from 'react';
import { Link } from 'react-router';
import { api } from '../api/client';
import { allPages } from '../api/pages';
import { useSignedIn } from '../api/session';
import { useApi } from '../api/useApi';
import { PaymentDueBanner } from '../billing/PaymentDueBanner';
import { useCheckout } from '../billing/useCheckout';
import { visibleEntries } from '../shell/nav';
import { organizationLabel } from '../shell/OrganizationSwitcher';
import { Alert, ArrowRightIcon, Card, Page, RoleBadge } from '../ui';
import './organizations.css';

const blurbs: Record<string, string> = {
  '/members': 'Invite people and choose their roles',
  '/api-keys': 'Keys for your servers and integrations',
  '/audit-log': 'Who changed what, and when',
  '/billing': 'Plans, invoices and payment methods',
  '/usage': 'Metered usage of your services',
  '/settings': 'Name and billing address',
};

export function OverviewPage() {
  const { organization, organizations, permissions, user } = useSignedIn();
  const members = useApi(
    () =>
      allPages(
        (query) => api.GET('/v1/members', { params: { query } }),
        (m) => m.user_id,
      ),
    [organization.id],
  );
  const parent = organization.parent_org_id
    ? organizations.find((o) => o.id === organization.parent_org_id)
    : undefined;
  const kind =
    organization.kind === 'personal'
      ? 'Personal account'
      : organization.parent_org_id
        ? `Client of ${parent?.name ?? 'another organization'}`
        : 'Organization';
  const links = visibleEntries(permissions).filter((entry) => entry.to !== '/');
  // The same banner as on Billing: a failed payment is news wherever one lands.
  const [paid, setPaid] = useState<string | undefined>();
  const [statusKey, setStatusKey] = useState(0);
  const saveCard = useCheckout(() => undefined);

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
          refreshKey={statusKey}
          canAct={permissions.manage}
          onPaid={(message) => {
            setPaid(message);
            setStatusKey((k) => k + 1);
          }}
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
          {links.map(({ to, label, icon: Icon }) => (
            <Link key={to} to={to} className="quick-link">
              <span className="quick-link-icon">
                <Icon size={18} />
              </span>
              <span className="quick-link-text">
                <strong>{label}</strong>
                <span>
                  {to === '/members' && !permissions.manage
                    ? 'See who works in this organization'
                    : blurbs[to]}
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
