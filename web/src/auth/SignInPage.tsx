import { type FormEvent, useState } from 'react';
import { Link, Navigate, useNavigate, useSearchParams } from 'react-router';
import { api } from '../api/client';
import { isEmail, useSubmit } from '../api/forms';
import { useSession } from '../api/session';
import { Alert, Button, Input } from '../ui';
import { AuthLayout, nextAfterAuth, withNext } from './AuthLayout';

export function SignInPage() {
  const { state, accept } = useSession();
  const [search] = useSearchParams();
  const next = nextAfterAuth(search);
  const navigate = useNavigate();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const form = useSubmit({
    send: (body: { email: string; password: string }) => api.POST('/v1/session', { body }),
    fields: ['email', 'password'],
    onSuccess: (session) => {
      accept(session);
      navigate(next, { replace: true });
    },
  });

  if (state.status === 'signed_in' && !form.pending) return <Navigate to={next} replace />;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const ok = form.check({
      email: !isEmail(email) && 'Enter your email address',
      password: !password && 'Enter your password',
    });
    if (ok) form.submit({ email: email.trim(), password });
  };

  return (
    <AuthLayout
      title="Sign in"
      subtitle="Welcome back to Billfold."
      footer={
        <>
          New to Billfold? <Link to={withNext('/sign-up', next)}>Create an account</Link>
        </>
      }
    >
      <form className="stack" onSubmit={submit} noValidate>
        {form.errors.general ? <Alert>{form.errors.general}</Alert> : null}
        <Input
          label="Email"
          type="email"
          autoComplete="email"
          value={email}
          onChange={(e) => setEmail(e.target.value)}
          error={form.field('email')}
        />
        <Input
          label="Password"
          type="password"
          autoComplete="current-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
          error={form.field('password')}
        />
        <Button type="submit" variant="primary" block busy={form.pending}>
          {form.pending ? 'Signing in…' : 'Sign in'}
        </Button>
      </form>
    </AuthLayout>
  );
}
