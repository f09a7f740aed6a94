import { type ReactNode, useEffect } from 'react';

/** A page's title (also the document title), one-line description and primary actions. */
export function Page({
  title,
  documentTitle = title,
  description,
  actions,
  children,
}: {
  title: string;
  /** When the tab should say more than the heading (a section of the page). */
  documentTitle?: string;
  description?: ReactNode;
  actions?: ReactNode;
  children: ReactNode;
}) {
  useDocumentTitle(documentTitle);
  return (
    <div className="page">
      <header className="page-header">
        <div>
          <h1>{title}</h1>
          {description ? <p>{description}</p> : null}
        </div>
        {actions ? <div className="row">{actions}</div> : null}
      </header>
      {children}
    </div>
  );
}

export function useDocumentTitle(title: string) {
  useEffect(() => {
    document.title = `${title} · Billfold`;
  }, [title]);
}

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <div className="loading" role="status">
      <div className="spinner" aria-hidden="true" />
      <span>{label}</span>
    </div>
  );
}
