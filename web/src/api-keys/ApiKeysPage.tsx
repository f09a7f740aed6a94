import { useQuery } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { type ApiKey, api } from '../api/client';
import { useSubmit } from '../api/forms';
import { queries } from '../api/queries';
import { useSignedIn } from '../api/session';
import { formatDate } from '../shared/format';
import {
  Alert,
  AlertIcon,
  Badge,
  Button,
  Card,
  type Column,
  ConfirmDialog,
  CopyBox,
  EmptyState,
  Input,
  KeyIcon,
  Loading,
  Page,
  Select,
  StatusBadge,
  Table,
} from '../ui';
import '../members/members.css';

const modes = [
  { value: 'read_only', label: 'Read-only' },
  { value: 'full', label: 'Full access' },
] as const;
type Mode = (typeof modes)[number]['value'];
const isMode = (value: string): value is Mode => value === 'read_only' || value === 'full';
const modeLabel = (mode: string) => modes.find((m) => m.value === mode)?.label ?? mode;

export const maskedKey = (last4: string) => `bfk_…${last4}`;

export function ApiKeysPage() {
  const { organization, permissions } = useSignedIn();
  const keys = useQuery(queries.apiKeys(organization.id));
  const [created, setCreated] = useState<ApiKey | undefined>();
  const [revoking, setRevoking] = useState<ApiKey | undefined>();
  const [notice, setNotice] = useState<string | undefined>();
  const revoke = useSubmit({
    send: (key: ApiKey) =>
      api.DELETE('/v1/api_keys/{api_key_id}', { params: { path: { api_key_id: key.id } } }),
    onSuccess: (revoked) => {
      if (created?.id === revoked.id) setCreated(undefined);
      setNotice(`“${revoked.name}” was revoked. Requests with it now fail.`);
      setRevoking(undefined);
    },
    invalidates: [queries.apiKeys(organization.id).queryKey],
  });

  const columns: Column<ApiKey>[] = [
    {
      key: 'name',
      header: 'Name',
      sortValue: (k) => k.name,
      render: (k) => <span className="cell-primary">{k.name}</span>,
    },
    {
      key: 'mode',
      header: 'Mode',
      render: (k) => <Badge tone={k.mode === 'full' ? 'accent' : 'neutral'}>{modeLabel(k.mode)}</Badge>,
    },
    { key: 'key', header: 'Key', className: 'cell-nowrap', render: (k) => <code>{maskedKey(k.last4)}</code> },
    {
      key: 'created',
      header: 'Created',
      className: 'cell-nowrap',
      sortValue: (k) => new Date(k.created_at),
      render: (k) => formatDate(k.created_at),
    },
    {
      key: 'status',
      header: 'Status',
      // Active keys before revoked ones when ascending.
      sortValue: (k) => (k.revoked_at ? 1 : 0),
      render: (k) => <StatusBadge status={k.revoked_at ? 'revoked' : 'active'} />,
    },
    ...(permissions.manage
      ? [
          {
            key: 'actions',
            header: <span className="visually-hidden">Actions</span>,
            className: 'cell-actions',
            render: (k: ApiKey) =>
              k.revoked_at ? null : (
                <Button
                  size="small"
                  variant="ghost"
                  aria-label={`Revoke ${k.name}`}
                  onClick={() => {
                    revoke.clear();
                    setRevoking(k);
                  }}
                >
                  Revoke
                </Button>
              ),
          },
        ]
      : []),
  ];

  return (
    <Page
      title="API keys"
      description="Keys let your servers call Billfold as this organization. Keep them secret."
    >
      {permissions.manage ? (
        <CreateApiKeyCard
          onCreated={(key) => {
            setNotice(undefined);
            setCreated(key);
          }}
        />
      ) : null}
      {created?.secret ? <SecretOnce apiKey={created} onDone={() => setCreated(undefined)} /> : null}
      {notice ? <Alert tone="success">{notice}</Alert> : null}
      <Card title="Keys" flush>
        {keys.error ? (
          <div className="card-body">
            <Alert>{keys.error.message}</Alert>
          </div>
        ) : keys.data ? (
          <Table
            label="API keys"
            columns={columns}
            rows={keys.data.data}
            rowKey={(k) => k.id}
            empty={
              <EmptyState icon={<KeyIcon />} title="No API keys yet">
                Create a key to call the Billfold API from your own servers.
              </EmptyState>
            }
          />
        ) : (
          <Loading />
        )}
      </Card>
      {revoking ? (
        <ConfirmDialog
          title={`Revoke “${revoking.name}”?`}
          confirmLabel="Revoke key"
          busy={revoke.pending}
          onCancel={() => setRevoking(undefined)}
          onConfirm={() => revoke.submit(revoking)}
          error={revoke.errors.general ? <Alert>{revoke.errors.general}</Alert> : undefined}
        >
          Requests made with {maskedKey(revoking.last4)} stop working at once. This cannot be undone.
        </ConfirmDialog>
      ) : null}
    </Page>
  );
}

function CreateApiKeyCard({ onCreated }: { onCreated: (key: ApiKey) => void }) {
  const { organization } = useSignedIn();
  const [name, setName] = useState('');
  const [mode, setMode] = useState<Mode>('read_only');
  const form = useSubmit({
    send: (body: { name: string; mode: Mode }) => api.POST('/v1/api_keys', { body }),
    fields: ['name', 'mode'],
    onSuccess: (key) => {
      setName('');
      onCreated(key);
    },
    invalidates: [queries.apiKeys(organization.id).queryKey],
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (form.check({ name: !name.trim() && 'Give the key a name' })) form.submit({ name: name.trim(), mode });
  };

  return (
    <Card
      title="Create API key"
      description="Read-only keys can fetch data; full-access keys can also change it."
    >
      <form className="stack" onSubmit={submit} noValidate>
        {form.errors.general ? <Alert>{form.errors.general}</Alert> : null}
        <div className="inline-form">
          <Input
            label="Key name"
            placeholder="e.g. Production server"
            autoComplete="off"
            value={name}
            onChange={(e) => setName(e.target.value)}
            error={form.field('name')}
          />
          <Select
            label="Mode"
            value={mode}
            onChange={(e) => {
              if (isMode(e.target.value)) setMode(e.target.value);
            }}
            options={modes}
            error={form.field('mode')}
          />
          <Button type="submit" variant="primary" busy={form.pending}>
            {form.pending ? 'Creating…' : 'Create key'}
          </Button>
        </div>
      </form>
    </Card>
  );
}

function SecretOnce({ apiKey, onDone }: { apiKey: ApiKey; onDone: () => void }) {
  if (!apiKey.secret) return null;
  return (
    <section className="callout" aria-labelledby="new-secret-title">
      <div className="callout-title" id="new-secret-title">
        <AlertIcon size={18} />
        Copy the secret of “{apiKey.name}” now
      </div>
      <p>
        This is the only time the secret is shown. Store it somewhere safe; if you lose it, create a new key.
      </p>
      <CopyBox value={apiKey.secret} label="API key secret" highlight />
      <div>
        <Button size="small" onClick={onDone}>
          I have copied it
        </Button>
      </div>
    </section>
  );
}
