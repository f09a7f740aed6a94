import { type FormEvent, useEffect, useRef, useState } from 'react';
import { useLocation, useNavigate } from 'react-router';
import { api } from '../api/client';
import { useSubmit } from '../api/forms';
import { useSession } from '../api/session';
import { Alert, Button, Card, ConfirmDialog, Input } from '../ui';
import './account.css';

/** The signed-in person's own settings, whichever organization is chosen: password and sessions. */
export function AccountSettings() {
  const { hash } = useLocation();
  const heading = useRef<HTMLHeadingElement>(null);
  // Reached from the account menu (/settings#account): a client-side navigation does not scroll.
  useEffect(() => {
    if (hash === '#account') heading.current?.scrollIntoView({ block: 'start' });
  }, [hash]);
  return (
    <>
      <h2 className="settings-section-title" id="account" ref={heading}>
        Your account
      </h2>
      <PasswordCard />
      <SessionsCard />
    </>
  );
}

const MIN_PASSWORD = 10;

function PasswordCard() {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [repeated, setRepeated] = useState('');
  const [done, setDone] = useState<string | undefined>();
  const form = useSubmit({
    send: (body: { current_password: string; new_password: string }) =>
      api.POST('/v1/user/password', { body }),
    fields: ['current_password', 'new_password', 'repeated_password'],
    onSuccess: ({ other_sessions_ended: others }) => {
      setCurrent('');
      setNext('');
      setRepeated('');
      setDone(
        others === 0
          ? 'Password changed.'
          : `Password changed. ${others === 1 ? 'One other session was' : `${others} other sessions were`} signed out.`,
      );
    },
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setDone(undefined);
    const ok = form.check({
      current_password: !current && 'Enter your current password',
      new_password:
        (next.length < MIN_PASSWORD && `Use at least ${MIN_PASSWORD} characters`) ||
        (next === current && 'Choose a password other than the current one'),
      repeated_password: repeated !== next && 'The two new passwords differ',
    });
    if (ok) form.submit({ current_password: current, new_password: next });
  };

  return (
    <Card
      title="Password"
      description="Changing it signs you out on every other browser and device; this one stays signed in."
    >
      <form className="form-grid" onSubmit={submit} noValidate aria-label="Change password">
        {form.errors.general ? (
          <div className="span-2">
            <Alert>{form.errors.general}</Alert>
          </div>
        ) : null}
        {done ? (
          <div className="span-2">
            <Alert tone="success">{done}</Alert>
          </div>
        ) : null}
        <Input
          className="span-2"
          label="Current password"
          type="password"
          autoComplete="current-password"
          value={current}
          onChange={(e) => setCurrent(e.target.value)}
          error={form.field('current_password')}
        />
        <Input
          label="New password"
          type="password"
          autoComplete="new-password"
          value={next}
          onChange={(e) => setNext(e.target.value)}
          hint={`At least ${MIN_PASSWORD} characters`}
          error={form.field('new_password')}
        />
        <Input
          label="Repeat new password"
          type="password"
          autoComplete="new-password"
          value={repeated}
          onChange={(e) => setRepeated(e.target.value)}
          error={form.field('repeated_password')}
        />
        <div className="span-2 row-end">
          <Button type="submit" variant="primary" busy={form.pending}>
            {form.pending ? 'Changing…' : 'Change password'}
          </Button>
        </div>
      </form>
    </Card>
  );
}

function SessionsCard() {
  const { signedOut } = useSession();
  const navigate = useNavigate();
  const [confirming, setConfirming] = useState(false);
  // Ends every session of the person, in every browser; only once the server has, this one too.
  const signOutEverywhere = useSubmit({
    send: () => api.DELETE('/v1/sessions'),
    onSuccess: () => {
      signedOut();
      navigate('/sign-in', { replace: true });
    },
  });

  return (
    <Card
      title="Sessions"
      description="Signed in on a computer you no longer use, or lost a phone? End every session at once."
    >
      <Button variant="danger" onClick={() => setConfirming(true)}>
        Sign out everywhere
      </Button>
      {confirming ? (
        <ConfirmDialog
          title="Sign out everywhere?"
          confirmLabel="Sign out everywhere"
          busy={signOutEverywhere.pending}
          onCancel={() => setConfirming(false)}
          onConfirm={() => signOutEverywhere.submit()}
          error={
            signOutEverywhere.errors.general ? <Alert>{signOutEverywhere.errors.general}</Alert> : undefined
          }
        >
          Every browser and device signed in as you is signed out at once, this one included. API keys keep
          working.
        </ConfirmDialog>
      ) : null}
    </Card>
  );
}
