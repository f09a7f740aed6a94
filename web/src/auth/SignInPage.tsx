import { type FormEvent, useState } from 'react';
import { Link, Navigate, useNavigate, useSearchParams } from 'react-router';
import { api, unwrap } from '../api/client';
import { isEmail, useFormErrors } from '../api/forms';
import { useSession } from '../api/session';
import { Alert, Button, Input } from '../ui';
import { AuthLayout, safeNext, withNext } from './AuthLayout';

export function SignInPage() {
  const { state, accept } = useSession();
  const [search] = useSearchParams();
  const next = safeNext(search);
  const navigate = useNavigate();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const form = useFormErrors(['email', 'password']);

  if (state.status === 'signed_in' && !busy) return <Navigate to={next} replace />;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const ok = form.check({
      email: !isEmail(email) && 'Enter your email address',
      password: !password && 'Enter your password',
    });
    if (!ok) return;
    setBusy(true);
    try {
      const session = await unwrap(api.POST('/v1/session', { body: { email: email.trim(), password } }));
      accept(session);
      navigate(next, { replace: true });
    } catch (error) {
      form.fromError(error);
      setBusy(false);
    }
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
        <Button type="submit" variant="primary" block busy={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </Button>
      </form>
    </AuthLayout>
  );
}
