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

export function withNext(path: string, next: string) {
  return next === '/' ? path : `${path}?next=${encodeURIComponent(next)}`;
}
