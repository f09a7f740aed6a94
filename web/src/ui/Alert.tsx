import type { ReactNode } from 'react';
import { AlertIcon, CheckIcon, InfoIcon } from './icons';

export type AlertTone = 'error' | 'success' | 'warning' | 'info';

export function Alert({
  tone = 'error',
  title,
  children,
}: {
  tone?: AlertTone;
  title?: ReactNode;
  children?: ReactNode;
}) {
  const icon =
    tone === 'success' ? (
      <CheckIcon className="alert-icon" />
    ) : tone === 'info' ? (
      <InfoIcon className="alert-icon" />
    ) : (
      <AlertIcon className="alert-icon" />
    );
  return (
    <div className={`alert alert-${tone}`} role={tone === 'error' ? 'alert' : 'status'}>
      {icon}
      <div>
        {title ? <div className="alert-title">{title}</div> : null}
        {children ? <div>{children}</div> : null}
      </div>
    </div>
  );
}
