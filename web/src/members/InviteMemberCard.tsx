import { type FormEvent, useState } from 'react';
import { api, type Invitation, unwrap } from '../api/client';
import { isEmail, useFormErrors } from '../api/forms';
import { Alert, Button, Card, CopyBox, Input, Select } from '../ui';
import { type AssignableRole, assignableRoles, isAssignable, roleHelp } from './roles';

/** Invites by email and shows the link to share (email delivery comes later). */
export function InviteMemberCard({ onInvited }: { onInvited: (invitation: Invitation) => void }) {
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<AssignableRole>('member');
  const [busy, setBusy] = useState(false);
  const [created, setCreated] = useState<Invitation | undefined>();
  const form = useFormErrors(['email', 'role']);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!form.check({ email: !isEmail(email) && 'Enter a valid email address' })) return;
    setBusy(true);
    setCreated(undefined);
    try {
      const invitation = await unwrap(api.POST('/v1/invitations', { body: { email: email.trim(), role } }));
      setCreated(invitation);
      setEmail('');
      onInvited(invitation);
    } catch (error) {
      form.fromError(error);
    } finally {
      setBusy(false);
    }
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
          <Button type="submit" variant="primary" busy={busy}>
            {busy ? 'Inviting…' : 'Invite'}
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
