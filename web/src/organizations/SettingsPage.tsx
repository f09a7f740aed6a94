import { useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { AccountSettings } from '../account/AccountSettings';
import { api, type Organization } from '../api/client';
import { useSubmit } from '../api/forms';
import { queries } from '../api/queries';
import { useSession, useSignedIn } from '../api/session';
import { formatDate } from '../shared/format';
import { Alert, Button, Card, CopyBox, Input, Loading, Page } from '../ui';
import './organizations.css';
import { BillingLocationFields } from '../shared/BillingLocationFields';

export function SettingsPage() {
  const { organization } = useSignedIn();
  const loaded = useQuery(queries.organization(organization.id));
  return (
    <Page
      title="Settings"
      description="Organization details used across Billfold and on invoices, and your account."
    >
      {loaded.error ? <Alert>{loaded.error.message}</Alert> : null}
      {loaded.data ? <SettingsForm org={loaded.data} /> : null}
      {loaded.isPending ? <Loading /> : null}
      {loaded.data ? (
        <Card
          title="For developers"
          description="Send this id as the Billfold-Organization header with a session."
        >
          <dl className="details-list">
            <dt>Organization ID</dt>
            <dd>
              <CopyBox value={loaded.data.id} label="Organization ID" />
            </dd>
            <dt>Created</dt>
            <dd>{formatDate(loaded.data.created_at)}</dd>
          </dl>
        </Card>
      ) : null}
      <AccountSettings />
    </Page>
  );
}

function SettingsForm({ org }: { org: Organization }) {
  const { permissions } = useSignedIn();
  const { refresh } = useSession();
  const client = useQueryClient();
  const [name, setName] = useState(org.name);
  const [country, setCountry] = useState(org.country);
  const [postalCode, setPostalCode] = useState(org.postal_code);
  const [saved, setSaved] = useState(false);
  const form = useSubmit({
    send: (body: { name: string; country: string; postal_code: string }) =>
      api.POST('/v1/organization', { body }),
    fields: ['name', 'country', 'postal_code'],
    onSuccess: async (updated) => {
      client.setQueryData(queries.organization(updated.id).queryKey, updated);
      setSaved(true);
      // The name shows in the organization switcher too.
      await refresh(updated.id);
    },
  });
  const readOnly = !permissions.manage;
  const personal = org.kind === 'personal';
  const changed = name !== org.name || country !== org.country || postalCode !== org.postal_code;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setSaved(false);
    const ok = form.check({
      name: !name.trim() && 'Enter a name',
      postal_code: postalCode.trim().length < 2 && 'Enter a postal or ZIP code',
    });
    if (ok) form.submit({ name: name.trim(), country, postal_code: postalCode.trim() });
  };

  return (
    <Card
      title={personal ? 'Personal account' : 'Organization details'}
      description={
        readOnly
          ? 'Only an owner or super admin can change these details.'
          : 'Country and postal code are used for billing and taxes.'
      }
    >
      <form className="form-grid" onSubmit={submit} noValidate>
        {form.errors.general ? (
          <div className="span-2">
            <Alert>{form.errors.general}</Alert>
          </div>
        ) : null}
        {saved && !changed ? (
          <div className="span-2">
            <Alert tone="success">Changes saved.</Alert>
          </div>
        ) : null}
        <Input
          className="span-2"
          label={personal ? 'Account name' : 'Organization name'}
          value={name}
          disabled={readOnly}
          onChange={(e) => setName(e.target.value)}
          error={form.field('name')}
        />
        <BillingLocationFields
          country={country}
          postalCode={postalCode}
          onCountry={setCountry}
          onPostalCode={setPostalCode}
          errors={{ country: form.field('country'), postal_code: form.field('postal_code') }}
          disabled={readOnly}
        />
        {readOnly ? null : (
          <div className="span-2 row-end">
            <Button type="submit" variant="primary" busy={form.pending} disabled={!changed}>
              {form.pending ? 'Saving…' : 'Save changes'}
            </Button>
          </div>
        )}
      </form>
    </Card>
  );
}
