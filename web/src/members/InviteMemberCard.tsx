import { type FormEvent, useState } from 'react';
import { api, type Invitation } from '../api/client';
import { isEmail, useSubmit } from '../api/forms';
import { queries } from '../api/queries';
import { useSignedIn } from '../api/session';
import { Alert, Button, Card, CopyBox, Input, Select } from '../ui';
import { type AssignableRole, assignableRoles, isAssignable, roleHelp } from './roles';

/** Invites by email and shows the link to share (email delivery comes later). */
export function InviteMemberCard() {
  const { organization } = useSignedIn();
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<AssignableRole>('member');
  const [created, setCreated] = useState<Invitation | undefined>();
  const form = useSubmit({
    send: (body: { email: string; role: AssignableRole }) => api.POST('/v1/invitations', { body }),
    fields: ['email', 'role'],
    onSuccess: (invitation) => {
      setCreated(invitation);
      setEmail('');
    },
    invalidates: [queries.invitations(organization.id).queryKey],
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!form.check({ email: !isEmail(email) && 'Enter a valid email address' })) return;
    setCreated(undefined);
    form.submit({ email: email.trim(), role });
  };

  return (
    <Card title="Invite member" description={roleHelp}>
      <form className="stack" onSubmit={submit} noValidate>
        {form.errors.general ? <Alert>{form.errors.general}</Alert> : null}
        <div className="inline-form">
          <Input
            label="Email"
            type="email"
            autoComplete="off"
            placeholder="name@company.com"
            value={email}
            onChange={(e) => setEmail(e.target.value)}
            error={form.field('email')}
          />
          <Select
            label="Role"
            value={role}
            onChange={(e) => {
              if (isAssignable(e.target.value)) setRole(e.target.value);
            }}
            options={assignableRoles}
            error={form.field('role')}
          />
          <Button type="submit" variant="primary" busy={form.pending}>
            {form.pending ? 'Inviting…' : 'Invite'}
          </Button>
        </div>
      </form>
      {created?.url ? (
        <div className="callout callout-success invite-result">
          <div className="callout-title">Invitation created for {created.email}</div>
          <p>
            Share this link with them. It works once, expires in 7 days and is shown only now; sending it by
            email comes in a later version.
          </p>
          <CopyBox value={created.url} label="Invite link" />
        </div>
      ) : null}
    </Card>
  );
}
