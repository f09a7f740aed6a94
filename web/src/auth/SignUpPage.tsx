import { type FormEvent, useState } from 'react';
import { Link, Navigate, useNavigate, useSearchParams } from 'react-router';
import { api, type Body } from '../api/client';
import { isEmail, useSubmit } from '../api/forms';
import { useSession } from '../api/session';
import { BillingLocationFields } from '../shared/BillingLocationFields';
import { Alert, Button, Input } from '../ui';
import { AuthLayout, nextAfterAuth, withNext } from './AuthLayout';

export const MIN_PASSWORD = 10;

export function SignUpPage() {
  const { state, accept } = useSession();
  const [search] = useSearchParams();
  const next = nextAfterAuth(search);
  const navigate = useNavigate();
  const [name, setName] = useState('');
  const [email, setEmail] = useState(search.get('email') ?? '');
  const [password, setPassword] = useState('');
  const [country, setCountry] = useState('US');
  const [postalCode, setPostalCode] = useState('');
  const form = useSubmit({
    send: (body: Body<'/v1/users', 'post'>) => api.POST('/v1/users', { body }),
    fields: ['name', 'email', 'password', 'country', 'postal_code'],
    onSuccess: (session) => {
      accept(session);
      navigate(next, { replace: true });
    },
  });

  if (state.status === 'signed_in' && !form.pending) return <Navigate to={next} replace />;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const ok = form.check({
      name: !name.trim() && 'Enter your name',
      email: !isEmail(email) && 'Enter a valid email address',
      password: password.length < MIN_PASSWORD && `Use at least ${MIN_PASSWORD} characters`,
      postal_code: postalCode.trim().length < 2 && 'Enter your postal or ZIP code',
    });
    if (ok)
      form.submit({
        name: name.trim(),
        email: email.trim(),
        password,
        country,
        postal_code: postalCode.trim(),
      });
  };

  return (
    <AuthLayout
      title="Create your account"
      subtitle={
        next.startsWith('/billing?buy=')
          ? 'Your personal account is created with it; then you buy the plan you chose.'
          : 'Start billing in minutes. Your personal account is created with it.'
      }
      wide
      footer={
        <>
          Already have an account? <Link to={withNext('/sign-in', next)}>Sign in</Link>
        </>
      }
    >
      <form className="form-grid" onSubmit={submit} noValidate>
        {form.errors.general ? (
          <div className="span-2">
            <Alert>{form.errors.general}</Alert>
          </div>
        ) : null}
        <Input
          className="span-2"
          label="Full name"
          autoComplete="name"
          value={name}
          onChange={(e) => setName(e.target.value)}
          error={form.field('name')}
        />
        <Input
          className="span-2"
          label="Email"
          type="email"
          autoComplete="email"
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          error={form.field('email')}
        />
        <Input
          className="span-2"
          label="Password"
          type="password"
          autoComplete="new-password"
          hint={`At least ${MIN_PASSWORD} characters.`}
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          error={form.field('password')}
        />
        <BillingLocationFields
          country={country}
          postalCode={postalCode}
          onCountry={setCountry}
          onPostalCode={setPostalCode}
          errors={{ country: form.field('country'), postal_code: form.field('postal_code') }}
        />
        <div className="span-2">
          <Button type="submit" variant="primary" block busy={form.pending}>
            {form.pending ? 'Creating account…' : 'Create account'}
          </Button>
        </div>
      </form>
    </AuthLayout>
  );
}
