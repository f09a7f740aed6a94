import { useInfiniteQuery, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { api, type Body, type GatewayRouting, type OperatorCustomer } from '../api/client';
import { type Submit, useSubmit } from '../api/forms';
import { queries, rowsOf } from '../api/queries';
import { useSignedIn } from '../api/session';
import { countryName, countryOptions } from '../shared/countries';
import { formatDate } from '../shared/format';
import {
  Alert,
  Badge,
  Button,
  Card,
  type Column,
  EmptyState,
  Input,
  Loading,
  loadMoreOf,
  Page,
  PlusIcon,
  Select,
  StatusBadge,
  Table,
  UsersIcon,
} from '../ui';
import '../catalog/catalog.css';
import './customers.css';
import { type Gateway, gatewayName, gateways, isGateway } from '../shared/gateways';
import { useDebounced } from '../shared/useDebounced';
import { BillingSettingsCard } from './BillingSettingsCard';

const subscriptionStates = [
  { value: 'active', label: 'Active' },
  { value: 'trialing', label: 'Trialing' },
  { value: 'past_due', label: 'Past due' },
  { value: 'unpaid', label: 'Unpaid' },
  { value: 'paused', label: 'Paused' },
  { value: 'incomplete', label: 'Incomplete (first payment due)' },
  // The API's cancelled: customers who had subscriptions and have none left in force.
  { value: 'cancelled', label: 'Cancelled, none in force' },
] as const;
type SubscriptionState = (typeof subscriptionStates)[number]['value'];
const isSubscriptionState = (value: string): value is SubscriptionState =>
  subscriptionStates.some((s) => s.value === value);

/**
 * Every billing customer, searchable and filtered on the server, and the rule that routes countries
 * to gateways. The search and filters live in the address (?q=&country=&gateway=&status=), so a
 * reload, a shared link or the back button keeps them.
 */
export function CustomersPage() {
  const { organization } = useSignedIn();
  const [params, setParams] = useSearchParams();
  const [q, setQ] = useState(() => params.get('q') ?? '');
  const search = useDebounced(q.trim(), 250);
  const country = params.get('country') ?? '';
  const gatewayParam = params.get('gateway') ?? '';
  const gateway = isGateway(gatewayParam) ? gatewayParam : '';
  const statusParam = params.get('status') ?? '';
  const status = isSubscriptionState(statusParam) ? statusParam : '';
  const setFilter = (name: string, value: string) =>
    setParams(
      (current) => {
        const next = new URLSearchParams(current);
        if (value) next.set(name, value);
        else next.delete(name);
        return next;
      },
      { replace: true },
    );
  // The search reaches the address once typing pauses, as it reaches the server.
  // biome-ignore lint/correctness/useExhaustiveDependencies: setFilter is remade each render; the search alone matters
  useEffect(() => setFilter('q', search), [search]);
  const filtered = Boolean(search || country || gateway || status);
  const pages = useInfiniteQuery(
    queries.operatorCustomers(organization.id, {
      ...(search ? { q: search } : {}),
      ...(country ? { country } : {}),
      ...(gateway ? { gateway } : {}),
      ...(status ? { subscription_status: status } : {}),
    }),
  );
  const rows = rowsOf(pages.data);

  const columns: Column<OperatorCustomer>[] = [
    {
      key: 'name',
      header: 'Customer',
      render: (c) => (
        <span className="plan-name-cell">
          <Link to={`/operator/customers/${c.org_id}`} className="cell-primary">
            {c.name}
          </Link>
          <span className="text-muted-small">{c.email}</span>
        </span>
      ),
    },
    { key: 'org', header: 'Organization', render: (c) => c.org_name },
    {
      key: 'subscription',
      header: 'Subscription',
      render: (c) =>
        c.subscription ? (
          <span className="badge-row">
            <span>{c.subscription.plan_name}</span>
            <StatusBadge status={c.subscription.status} />
          </span>
        ) : (
          <span className="text-muted-small">None</span>
        ),
    },
    {
      key: 'country',
      header: 'Country',
      render: (c) => (
        <span className="plan-name-cell">
          <span>{countryName(c.country)}</span>
          <span className="text-muted-small">{c.currency}</span>
        </span>
      ),
    },
    {
      key: 'gateway',
      header: 'Gateway',
      render: (c) => (
        <Badge tone={c.gateway === 'test' ? 'warning' : 'neutral'}>{gatewayName(c.gateway)}</Badge>
      ),
    },
    { key: 'created', header: 'Since', className: 'cell-nowrap', render: (c) => formatDate(c.created_at) },
  ];

  return (
    <Page title="Customers" description="Every organization's billing customer.">
      <Card>
        <div className="filters customer-filters">
          <Input
            label="Search"
            type="search"
            placeholder="Name, email or organization"
            value={q}
            onChange={(e) => setQ(e.target.value)}
          />
          <Select
            label="Country"
            value={country}
            onChange={(e) => setFilter('country', e.target.value)}
            options={[{ value: '', label: 'Any country' }, ...countryOptions()]}
          />
          <Select
            label="Gateway"
            value={gateway}
            onChange={(e) => setFilter('gateway', e.target.value)}
            options={[{ value: '', label: 'Any gateway' }, ...gateways]}
          />
          <Select
            label="Subscription"
            value={status}
            onChange={(e) => setFilter('status', e.target.value)}
            options={[{ value: '', label: 'Any state' }, ...subscriptionStates]}
          />
        </div>
        {filtered ? (
          <div className="row-end">
            <Button
              size="small"
              variant="ghost"
              onClick={() => {
                setQ('');
                setParams(new URLSearchParams(), { replace: true });
              }}
            >
              Clear search and filters
            </Button>
          </div>
        ) : null}
      </Card>
      {pages.error ? <Alert>{pages.error.message}</Alert> : null}
      <Card flush>
        {pages.isPending ? (
          <Loading />
        ) : (
          <Table
            label="Customers"
            columns={columns}
            rows={rows}
            rowKey={(c) => c.id}
            loadMore={loadMoreOf(pages, ['customer', 'customers'])}
            empty={
              <EmptyState
                icon={<UsersIcon />}
                title={filtered ? 'No customer matches' : 'No billing customers yet'}
              >
                {filtered
                  ? 'Try another search.'
                  : 'They appear when organizations create them on their Billing page.'}
              </EmptyState>
            }
          />
        )}
      </Card>
      <GatewayRoutingCard />
      <BillingSettingsCard />
    </Page>
  );
}

function GatewayRoutingCard() {
  const { organization } = useSignedIn();
  const client = useQueryClient();
  const routing = useQuery(queries.gatewayRouting(organization.id));
  // Kept here: the editor starts afresh from what was saved, and says it was.
  const save = useSubmit({
    send: (body: Body<'/v1/operator/gateway_routing', 'post'>) =>
      api.POST('/v1/operator/gateway_routing', { body }),
    onSuccess: (next) => client.setQueryData(queries.gatewayRouting(organization.id).queryKey, next),
  });
  if (!routing.data) return routing.error ? <Alert>{routing.error.message}</Alert> : <Loading />;
  return <RoutingEditor key={JSON.stringify(routing.data)} routing={routing.data} save={save} />;
}

function RoutingEditor({
  routing,
  save,
}: {
  routing: GatewayRouting;
  save: Submit<Body<'/v1/operator/gateway_routing', 'post'>, GatewayRouting>;
}) {
  const [fallback, setFallback] = useState<Gateway>(routing.default_gateway);
  const [rules, setRules] = useState<{ country: string; gateway: Gateway }[]>(
    Object.entries(routing.countries).map(([c, g]) => ({ country: c, gateway: g })),
  );
  const configured = routing.configured_gateways.filter((g) => g !== 'test').map(gatewayName);

  return (
    <Card
      title="Gateway routing"
      description={`Which gateway a new customer pays at, by country. Keys are set for: ${configured.join(', ') || 'none'}; customers routed to a gateway without keys pay at the test gateway.`}
    >
      {save.errors.general ? <Alert>{save.errors.general}</Alert> : null}
      {save.result ? (
        <Alert tone="success">
          Routing saved. New customers, and customers who change country, follow it.
        </Alert>
      ) : null}
      <div className="editor-rows">
        {rules.map((rule, i) => (
          <div key={rule.country || `rule-${i}`} className="routing-row">
            <Select
              label="Country"
              aria-label={`Rule ${i + 1} country`}
              value={rule.country}
              onChange={(e) =>
                setRules(rules.map((r, j) => (j === i ? { ...r, country: e.target.value } : r)))
              }
              options={countryOptions(rule.country)}
            />
            <Select
              label="Gateway"
              aria-label={`Rule ${i + 1} gateway`}
              value={rule.gateway}
              onChange={(e) =>
                setRules(rules.map((r, j) => (j === i ? { ...r, gateway: e.target.value as Gateway } : r)))
              }
              options={gateways}
            />
            <Button size="small" variant="ghost" onClick={() => setRules(rules.filter((_, j) => j !== i))}>
              Remove
            </Button>
          </div>
        ))}
        <div className="routing-row">
          <Select
            label="Every other country"
            value={fallback}
            onChange={(e) => setFallback(e.target.value as Gateway)}
            options={gateways}
          />
        </div>
        <div className="form-actions">
          <Button
            size="small"
            onClick={() =>
              setRules([
                ...rules,
                { country: rules.some((r) => r.country === 'US') ? 'GB' : 'US', gateway: 'stripe' },
              ])
            }
          >
            <PlusIcon size={16} />
            Add country rule
          </Button>
          <Button
            variant="primary"
            busy={save.pending}
            onClick={() =>
              save.submit({
                default_gateway: fallback,
                countries: Object.fromEntries(rules.map((r) => [r.country, r.gateway])),
              })
            }
          >
            Save routing
          </Button>
        </div>
      </div>
    </Card>
  );
}
