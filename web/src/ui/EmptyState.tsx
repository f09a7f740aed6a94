import type { ReactNode } from 'react';

export function EmptyState({
  icon,
  title,
  children,
  actions,
}: {
  icon?: ReactNode;
  title: ReactNode;
  children?: ReactNode;
  actions?: ReactNode;
}) {
  return (
    <div className="empty-state">
      {icon ? <div className="empty-state-icon">{icon}</div> : null}
      <h2>{title}</h2>
      {children ? <p>{children}</p> : null}
      {actions ? <div className="row empty-state-actions">{actions}</div> : null}
    </div>
  );
}
