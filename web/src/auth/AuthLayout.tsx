import type { ReactNode } from 'react';
import { useDocumentTitle } from '../ui';
import './auth.css';

export function BrandMark() {
  return (
    <span className="brand-mark" aria-hidden="true">
      B
    </span>
  );
}

/** The centered card the signed-out pages share (sign in, sign up, invitations). */
export function AuthLayout({
  title,
  subtitle,
  children,
  footer,
  wide = false,
}: {
  title: string;
  subtitle?: ReactNode;
  children: ReactNode;
  footer?: ReactNode;
  wide?: boolean;
}) {
  useDocumentTitle(title);
  return (
    <main className="auth-screen">
      <div className="auth-brand">
        <BrandMark />
        Billfold
      </div>
      <div className={`auth-card${wide ? ' auth-card-wide' : ''}`}>
        <header>
          <h1>{title}</h1>
          {subtitle ? <p>{subtitle}</p> : null}
        </header>
        {children}
      </div>
      {footer ? <div className="auth-footer">{footer}</div> : null}
    </main>
  );
}

/** Where to go after signing in: a same-site path from `?next=`, never another site. */
export function safeNext(search: URLSearchParams): string {
  const next = search.get('next');
  if (next?.startsWith('/') && !next.startsWith('//') && !next.startsWith('/\\')) return next;
  return '/';
}

/** A plan code as a marketing site's plans link names it (`team`, `team_in`); anything else is ignored. */
const PLAN_CODE = /^[a-z0-9][a-z0-9_-]{0,63}$/i;

/**
 * Where to go after signing up or in: `?next=` when given; else, from a marketing site's plans link
 * (`/sign-up?plan=team`), Billing with that plan's "Buy plan" dialog open, as the person came to buy it.
 */
export function nextAfterAuth(search: URLSearchParams): string {
  const plan = search.get('plan');
  if (!search.has('next') && plan && PLAN_CODE.test(plan)) return `/billing?buy=${encodeURIComponent(plan)}`;
  return safeNext(search);
}

export function withNext(path: string, next: string) {
  return next === '/' ? path : `${path}?next=${encodeURIComponent(next)}`;
}
