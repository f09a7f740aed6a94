import { useInfiniteQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import type { Plan } from '../api/client';
import { type OperatorPlanQuery, queries, rowsOf } from '../api/queries';
import { useSignedIn } from '../api/session';
import { formatPlanPrice, intervalOptions, type PlanInterval } from '../shared/plans';
import {
  Alert,
  Badge,
  buttonClass,
  Card,
  type Column,
  EmptyState,
  Input,
  LayersIcon,
  Loading,
  loadMoreOf,
  Page,
  Select,
  Table,
} from '../ui';
import './catalog.css';

interface Filters {
  status: 'active' | 'disabled' | 'all';
  currency: string;
  interval: '' | PlanInterval;
  environment: '' | 'production' | 'staging' | 'any';
  q: string;
}

function queryOf(filters: Filters): OperatorPlanQuery {
  return {
    status: filters.status,
    ...(filters.currency ? { currency: filters.currency } : {}),
    ...(filters.interval ? { interval: filters.interval } : {}),
    ...(filters.environment ? { environment: filters.environment } : {}),
    ...(filters.q.trim() ? { q: filters.q.trim() } : {}),
  };
}

/** The operator's catalog: every plan with its current version, filtered, a page at a time. */
export function PlansPage() {
  const { organization } = useSignedIn();
  const [filters, setFilters] = useState<Filters>({
    status: 'active',
    currency: '',
    interval: '',
    environment: '',
    q: '',
  });
  const pages = useInfiniteQuery(queries.operatorPlans(organization.id, queryOf(filters)));
  const plans = rowsOf(pages.data);
  const set =
    <K extends keyof Filters>(field: K) =>
    (value: Filters[K]) =>
      setFilters((f) => ({ ...f, [field]: value }));

  const columns: Column<Plan>[] = [
    {
      key: 'name',
      header: 'Plan',
      render: (p) => (
        <Link to={`/operator/plans/${p.id}`} className="plan-name-cell">
          <span className="cell-primary">{p.name}</span>
          <code>{p.code}</code>
        </Link>
      ),
    },
    {
      key: 'price',
      header: 'Price',
      className: 'cell-nowrap',
      render: (p) => formatPlanPrice(p.version.base_price, p.currency, p.interval),
    },
    { key: 'version', header: 'Version', render: (p) => `v${p.version.version}` },
    {
      key: 'usage',
      header: 'Usage charges',
      render: (p) => (p.version.charges.length === 0 ? '—' : p.version.charges.map((c) => c.name).join(', ')),
    },
    {
      key: 'audience',
      header: 'Offered to',
      render: (p) =>
        p.unbilled
          ? 'Assigned by operators'
          : p.visibility === 'public'
            ? 'Everyone'
            : `${p.audience_org_ids.length} organization${p.audience_org_ids.length === 1 ? '' : 's'}`,
    },
    {
      key: 'status',
      header: 'Status',
      render: (p) => (
        <span className="badge-row">
          {p.disabled ? <Badge tone="danger">Disabled</Badge> : <Badge tone="success">Active</Badge>}
          {p.is_default ? <Badge tone="accent">Default</Badge> : null}
          {p.unbilled ? <Badge>Unbilled</Badge> : null}
          {p.environment !== 'any' ? <Badge>{p.environment}</Badge> : null}
        </span>
      ),
    },
  ];

  return (
    <Page
      title="Plans"
      description="What customers can subscribe to. Editing prices or limits publishes a new version; subscribers keep theirs."
      actions={
        <Link className={buttonClass('primary')} to="/operator/plans/new">
          New plan
        </Link>
      }
    >
      <Card>
        <div className="filters">
          <Input
            label="Search"
            placeholder="Code or name"
            value={filters.q}
            onChange={(e) => set('q')(e.target.value)}
          />
          <Select
            label="Status"
            value={filters.status}
            onChange={(e) => set('status')(e.target.value as Filters['status'])}
            options={[
              { value: 'active', label: 'Active' },
              { value: 'disabled', label: 'Disabled' },
              { value: 'all', label: 'All' },
            ]}
          />
          <Select
            label="Currency"
            value={filters.currency}
            onChange={(e) => set('currency')(e.target.value)}
            options={[
              { value: '', label: 'Any' },
              ...['USD', 'INR', 'EUR', 'GBP', 'JPY'].map((c) => ({ value: c, label: c })),
            ]}
          />
          <Select
            label="Interval"
            value={filters.interval}
            onChange={(e) => set('interval')(e.target.value as Filters['interval'])}
            options={[{ value: '', label: 'Any' }, ...intervalOptions]}
          />
          <Select
            label="Environment"
            value={filters.environment}
            onChange={(e) => set('environment')(e.target.value as Filters['environment'])}
            options={[
              { value: '', label: 'Any' },
              { value: 'production', label: 'Production' },
              { value: 'staging', label: 'Staging' },
              { value: 'any', label: 'Both' },
            ]}
          />
        </div>
      </Card>
      {pages.error ? <Alert>{pages.error.message}</Alert> : null}
      <Card flush>
        {pages.isPending ? (
          <Loading />
        ) : (
          <Table
            label="Plans"
            columns={columns}
            rows={plans}
            rowKey={(p) => p.id}
            empty={
              <EmptyState icon={<LayersIcon />} title="No plans match">
                Change the filters, or create a plan.
              </EmptyState>
            }
            loadMore={loadMoreOf(pages, ['plan', 'plans'])}
          />
        )}
      </Card>
    </Page>
  );
}
