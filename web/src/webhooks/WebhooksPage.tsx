import { type FormEvent, useState } from 'react';
import { api, toApiError, unwrap, type WebhookEndpoint } from '../api/client';
import { useFormErrors } from '../api/forms';
import { allPages } from '../api/pages';
import { useSignedIn } from '../api/session';
import { useApi } from '../api/useApi';
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

export function WebhooksPage() {
  const { organization, permissions } = useSignedIn();
  const endpoints = useApi(
    () => allPages((query) => api.GET('/v1/webhook_endpoints', { params: { query } })),
    [organization.id],
  );
  const [selected, setSelected] = useState<string | undefined>();
  const [disabling, setDisabling] = useState<WebhookEndpoint | undefined>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const list = endpoints.data?.data ?? [];
  const shown = list.find((e) => e.id === selected) ?? list[0];

  const disable = async () => {
    if (!disabling) return;
    setBusy(true);
    try {
      await unwrap(
        api.DELETE('/v1/webhook_endpoints/{webhook_endpoint_id}', {
          params: { path: { webhook_endpoint_id: disabling.id } },
        }),
      );
      setDisabling(undefined);
      await endpoints.reload();
    } catch (e) {
      setError(toApiError(e).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Page
      title="Webhooks"
      description="Billfold tells your servers when subscriptions, invoices and payments change."
    >
      {permissions.manage ? <CreateEndpointCard onCreated={() => endpoints.reload()} /> : null}
      {error ? <Alert>{error}</Alert> : null}
      {endpoints.loading && !endpoints.data ? <Loading /> : null}
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
          busy={busy}
          onConfirm={disable}
          onCancel={() => setDisabling(undefined)}
        >
          {`Nothing more is sent to ${disabling.url}. Its delivery log stays.`}
        </ConfirmDialog>
      ) : null}
    </Page>
  );
}

function CreateEndpointCard({ onCreated }: { onCreated: () => void }) {
  const [url, setUrl] = useState('');
  const [family, setFamily] = useState<string>('*');
  const [busy, setBusy] = useState(false);
  const form = useFormErrors(['url', 'events']);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!form.check({ url: !/^https?:\/\/\S+$/.test(url.trim()) && 'An http or https URL' })) return;
    setBusy(true);
    try {
      await unwrap(api.POST('/v1/webhook_endpoints', { body: { url: url.trim(), events: [family] } }));
      setUrl('');
      onCreated();
    } catch (error) {
      form.fromError(error);
    } finally {
      setBusy(false);
    }
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
          <Button type="submit" variant="primary" busy={busy}>
            Add endpoint
          </Button>
        </div>
      </form>
    </Card>
  );
}

function Deliveries({ endpoint }: { endpoint: WebhookEndpoint }) {
  const deliveries = useApi(
    () =>
      unwrap(
        api.GET('/v1/webhook_endpoints/{webhook_endpoint_id}/deliveries', {
          params: { path: { webhook_endpoint_id: endpoint.id }, query: { limit: 100 } },
        }),
      ),
    [endpoint.id],
  );
  return (
    <Card
      title="Delivery log"
      description={endpoint.url}
      flush
      actions={
        <Button size="small" onClick={() => deliveries.reload()}>
          Refresh
        </Button>
      }
    >
      {deliveries.loading && !deliveries.data ? <Loading /> : null}
      {deliveries.data ? (
        <Table
          label="Deliveries"
          rows={deliveries.data.data}
          rowKey={(d) => d.id}
          empty={<EmptyState title="Nothing sent yet">Events appear here as they are sent.</EmptyState>}
          columns={[
            { key: 'type', header: 'Event', render: (d) => <code>{d.event_type}</code> },
            {
              key: 'when',
              header: 'Created',
              className: 'cell-nowrap',
              render: (d) => `${formatDate(d.created_at)} ${formatTime(d.created_at)}`,
            },
            { key: 'status', header: 'Status', render: (d) => <StatusBadge status={d.status} /> },
            { key: 'attempts', header: 'Attempts', render: (d) => d.attempts },
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
