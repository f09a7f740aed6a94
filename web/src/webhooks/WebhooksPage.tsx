import { useQuery } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { api, type WebhookEndpoint } from '../api/client';
import { useSubmit } from '../api/forms';
import { queries, WEBHOOK_DELIVERIES_SHOWN } from '../api/queries';
import { useSignedIn } from '../api/session';
import { formatDate, formatTime } from '../shared/format';
import {
  Alert,
  Badge,
  Button,
  Card,
  ConfirmDialog,
  CopyBox,
  EmptyState,
  Input,
  Loading,
  Page,
  Select,
  StatusBadge,
  Table,
} from '../ui';
import '../members/members.css';
import './webhooks.css';

/**
 * Webhooks (C36): where this organization's billing events are sent (subscription.*, invoice.*,
 * payment.*, usage.*), each delivery signed with the endpoint's secret, and the log of what was sent.
 */

const families = [
  { value: '*', label: 'All events' },
  { value: 'subscription.*', label: 'Subscriptions' },
  { value: 'invoice.*', label: 'Invoices' },
  { value: 'payment.*', label: 'Payments' },
  { value: 'usage.*', label: 'Usage alerts' },
] as const;

/** How often the delivery log is read again while a delivery waits for its first attempt. */
const PENDING_POLL_MS = 5_000;

export function WebhooksPage() {
  const { organization, permissions } = useSignedIn();
  const endpoints = useQuery(queries.webhookEndpoints(organization.id));
  const [selected, setSelected] = useState<string | undefined>();
  const [disabling, setDisabling] = useState<WebhookEndpoint | undefined>();
  const list = endpoints.data?.data ?? [];
  const shown = list.find((e) => e.id === selected) ?? list[0];
  const disable = useSubmit({
    send: (endpoint: WebhookEndpoint) =>
      api.DELETE('/v1/webhook_endpoints/{webhook_endpoint_id}', {
        params: { path: { webhook_endpoint_id: endpoint.id } },
      }),
    onSuccess: () => setDisabling(undefined),
    invalidates: [queries.webhookEndpoints(organization.id).queryKey],
  });

  return (
    <Page
      title="Webhooks"
      description="Billfold tells your servers when subscriptions, invoices and payments change."
    >
      {permissions.manage ? <CreateEndpointCard /> : null}
      {disable.errors.general ? <Alert>{disable.errors.general}</Alert> : null}
      {endpoints.isPending ? <Loading /> : null}
      {endpoints.data && list.length === 0 ? (
        <Card>
          <EmptyState title="No endpoints yet">
            Add a URL above. Each event is sent as a signed POST, and retried until your server answers 2xx.
          </EmptyState>
        </Card>
      ) : null}
      {list.map((endpoint) => (
        <Card
          key={endpoint.id}
          title={endpoint.url}
          description={endpoint.description || undefined}
          actions={
            <>
              <Button
                size="small"
                variant={shown?.id === endpoint.id ? 'primary' : 'secondary'}
                onClick={() => setSelected(endpoint.id)}
              >
                Deliveries
              </Button>
              {permissions.manage ? (
                <Button size="small" variant="ghost" onClick={() => setDisabling(endpoint)}>
                  Disable
                </Button>
              ) : null}
            </>
          }
        >
          <div className="webhook-endpoint">
            <div className="row">
              {endpoint.events.map((pattern) => (
                <Badge key={pattern} tone="accent">
                  {families.find((f) => f.value === pattern)?.label ?? pattern}
                </Badge>
              ))}
            </div>
            <div className="webhook-secret">
              <span>Signing secret</span>
              <CopyBox label="Signing secret" value={endpoint.secret} />
            </div>
          </div>
        </Card>
      ))}
      {shown ? <Deliveries endpoint={shown} /> : null}
      {disabling ? (
        <ConfirmDialog
          title="Disable this endpoint?"
          confirmLabel="Disable"
          busy={disable.pending}
          onConfirm={() => disable.submit(disabling)}
          onCancel={() => setDisabling(undefined)}
        >
          {`Nothing more is sent to ${disabling.url}. Its delivery log stays.`}
        </ConfirmDialog>
      ) : null}
    </Page>
  );
}

function CreateEndpointCard() {
  const { organization } = useSignedIn();
  const [url, setUrl] = useState('');
  const [family, setFamily] = useState<string>('*');
  const form = useSubmit({
    send: (body: { url: string; events: string[] }) => api.POST('/v1/webhook_endpoints', { body }),
    fields: ['url', 'events'],
    onSuccess: () => setUrl(''),
    invalidates: [queries.webhookEndpoints(organization.id).queryKey],
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (form.check({ url: !/^https?:\/\/\S+$/.test(url.trim()) && 'An http or https URL' }))
      form.submit({ url: url.trim(), events: [family] });
  };
  return (
    <Card
      title="Add an endpoint"
      description="Deliveries carry a Billfold-Signature header: check it with the secret."
    >
      <form className="stack" onSubmit={submit} noValidate>
        {form.errors.general ? <Alert>{form.errors.general}</Alert> : null}
        <div className="inline-form">
          <Input
            label="Endpoint URL"
            placeholder="https://example.com/billfold/webhooks"
            autoComplete="off"
            value={url}
            onChange={(e) => setUrl(e.target.value)}
            error={form.field('url')}
          />
          <Select
            label="Events"
            value={family}
            onChange={(e) => setFamily(e.target.value)}
            options={families.map((f) => ({ value: f.value, label: f.label }))}
          />
          <Button type="submit" variant="primary" busy={form.pending}>
            Add endpoint
          </Button>
        </div>
      </form>
    </Card>
  );
}

function Deliveries({ endpoint }: { endpoint: WebhookEndpoint }) {
  const { organization } = useSignedIn();
  const deliveries = useQuery({
    ...queries.webhookDeliveries(organization.id, endpoint.id),
    // A delivery not yet tried is sent within seconds: the log follows it until it is.
    refetchInterval: (query) =>
      query.state.data?.data.some((delivery) => delivery.status === 'pending') ? PENDING_POLL_MS : false,
  });
  return (
    <Card
      title="Delivery log"
      // The filter and the pages work on these alone: "1–25 of 100" is not every delivery ever sent.
      description={`The latest ${WEBHOOK_DELIVERIES_SHOWN} deliveries to ${endpoint.url}`}
      flush
      actions={
        <Button size="small" onClick={() => deliveries.refetch()}>
          Refresh
        </Button>
      }
    >
      {deliveries.isPending ? <Loading /> : null}
      {deliveries.data ? (
        <Table
          label="Deliveries"
          rows={deliveries.data.data}
          rowKey={(d) => d.id}
          empty={<EmptyState title="Nothing sent yet">Events appear here as they are sent.</EmptyState>}
          filterPlaceholder="Filter by event or status"
          pageSize={25}
          columns={[
            {
              key: 'type',
              header: 'Event',
              sortValue: (d) => d.event_type,
              render: (d) => <code>{d.event_type}</code>,
            },
            {
              key: 'when',
              header: 'Created',
              className: 'cell-nowrap',
              sortValue: (d) => new Date(d.created_at),
              render: (d) => `${formatDate(d.created_at)} ${formatTime(d.created_at)}`,
            },
            {
              key: 'status',
              header: 'Status',
              sortValue: (d) => d.status,
              render: (d) => <StatusBadge status={d.status} />,
            },
            { key: 'attempts', header: 'Attempts', sortValue: (d) => d.attempts, render: (d) => d.attempts },
            {
              key: 'response',
              header: 'Response',
              render: (d) => (d.response_status ? `HTTP ${d.response_status}` : (d.error ?? '—')),
            },
          ]}
        />
      ) : null}
    </Card>
  );
}
