import type { ReactNode } from 'react';

export interface CardProps {
  title?: ReactNode;
  description?: ReactNode;
  actions?: ReactNode;
  /** Lets a table run edge to edge under the header. */
  flush?: boolean;
  children: ReactNode;
  className?: string;
  labelledBy?: string;
}

export function Card({ title, description, actions, flush = false, children, className }: CardProps) {
  return (
    <section className={['card', flush ? 'card-flush' : '', className ?? ''].filter(Boolean).join(' ')}>
      {title || actions ? (
        <header className="card-header">
          <div>
            {title ? <h2>{title}</h2> : null}
            {description ? <p>{description}</p> : null}
          </div>
          {actions ? <div className="row">{actions}</div> : null}
        </header>
      ) : null}
      <div className="card-body">{children}</div>
    </section>
  );
}
