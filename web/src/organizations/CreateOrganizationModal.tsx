import { type FormEvent, useId, useState } from 'react';
import { useNavigate } from 'react-router';
import { api, type Body } from '../api/client';
import { useSubmit } from '../api/forms';
import { useSession } from '../api/session';
import { BillingLocationFields } from '../shared/BillingLocationFields';
import { Alert, Button, Input, Modal, Select } from '../ui';

/** A new organization, or a client organization under one you manage. */
export function CreateOrganizationModal({ onClose }: { onClose: () => void }) {
  const { signedIn, refresh } = useSession();
  const navigate = useNavigate();
  const [name, setName] = useState('');
  const [country, setCountry] = useState(signedIn?.organization?.country ?? 'US');
  const [postalCode, setPostalCode] = useState('');
  const [parent, setParent] = useState('');
  const formId = useId();
  const form = useSubmit({
    send: (body: Body<'/v1/organizations', 'post'>) => api.POST('/v1/organizations', { body }),
    fields: ['name', 'country', 'postal_code', 'parent_org_id'],
    onSuccess: async (org) => {
      await refresh(org.id);
      onClose();
      navigate('/');
    },
  });

  const parents = (signedIn?.organizations ?? []).filter(
    (o) => o.kind === 'organization' && (o.role === 'owner' || o.role === 'super_admin'),
  );

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const ok = form.check({
      name: !name.trim() && 'Enter a name',
      postal_code: postalCode.trim().length < 2 && 'Enter a postal or ZIP code',
    });
    if (!ok) return;
    form.submit({
      name: name.trim(),
      country,
      postal_code: postalCode.trim(),
      ...(parent ? { parent_org_id: parent } : {}),
    });
  };

  return (
    <Modal
      title="Create organization"
      description="A workspace with its own members, API keys and billing. You become its owner."
      onClose={onClose}
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" form={formId} variant="primary" busy={form.pending}>
            {form.pending ? 'Creating…' : 'Create organization'}
          </Button>
        </>
      }
    >
      <form id={formId} className="form-grid" onSubmit={submit} noValidate>
        {form.errors.general ? (
          <div className="span-2">
            <Alert>{form.errors.general}</Alert>
          </div>
        ) : null}
        <Input
          className="span-2"
          label="Organization name"
          autoComplete="organization"
          value={name}
          onChange={(e) => setName(e.target.value)}
          error={form.field('name')}
        />
        <BillingLocationFields
          country={country}
          postalCode={postalCode}
          onCountry={setCountry}
          onPostalCode={setPostalCode}
          errors={{ country: form.field('country'), postal_code: form.field('postal_code') }}
        />
        {parents.length > 0 ? (
          <Select
            className="span-2"
            label="Parent organization"
            labelHint="optional"
            hint="Choose a parent to create a client organization that it manages."
            value={parent}
            onChange={(e) => setParent(e.target.value)}
            options={[
              { value: '', label: 'None (a standalone organization)' },
              ...parents.map((o) => ({ value: o.id, label: o.name })),
            ]}
            error={form.field('parent_org_id')}
          />
        ) : null}
      </form>
    </Modal>
  );
}
