import { useState } from 'react';
import { api, type Invoice, toApiError } from '../api/client';
import { allPages } from '../api/pages';
import { useApi } from '../api/useApi';
import { formatDate } from '../shared/format';
import { formatAmount } from '../shared/money';
import { Alert, Button, Card, EmptyState, Loading, StatusBadge, Table } from '../ui';
import { openInvoiceDocument } from './documents';

/** Invoices, newest first, with their status and their documents (C20, C31). */
export function Invoices({ organizationId, refreshKey }: { organizationId: string; refreshKey: number }) {
  const invoices = useApi(
    () => allPages((query) => api.GET('/v1/invoices', { params: { query } })),
    [organizationId, refreshKey],
  );
  const [error, setError] = useState<string | undefined>();
  const open = async (invoice: Invoice, format: 'pdf' | 'html') => {
    setError(undefined);
    try {
      await openInvoiceDocument(invoice.id, format, `${invoice.number ?? invoice.id}.${format}`);
    } catch (e) {
      setError(toApiError(e).message);
    }
  };
  return (
    <section aria-labelledby="invoices-heading">
      <div className="section-heading">
        <h2 id="invoices-heading">Invoices</h2>
        <p>Issued when a period starts and charged to your default card.</p>
      </div>
      {error ? <Alert>{error}</Alert> : null}
      <Card flush>
        {invoices.loading && !invoices.data ? <Loading /> : null}
        {invoices.error ? <Alert>{invoices.error.message}</Alert> : null}
        {invoices.data ? (
          <Table
            label="Invoices"
            rows={invoices.data.data}
            rowKey={(invoice) => invoice.id}
            empty={
              <EmptyState title="No invoices yet">Invoices appear here when you pay for a plan.</EmptyState>
            }
            columns={[
              {
                key: 'number',
                header: 'Number',
                className: 'invoice-number',
                render: (i) => <span className="cell-primary">{i.number}</span>,
              },
              {
                key: 'date',
                header: 'Date',
                className: 'invoice-date',
                render: (i) => (i.finalized_at ? formatDate(i.finalized_at) : '—'),
              },
              {
                key: 'what',
                header: 'For',
                render: (i) => (
                  <span className="invoice-what">{i.lines.map((line) => line.description).join('; ')}</span>
                ),
              },
              {
                key: 'total',
                header: 'Total',
                className: 'num',
                render: (i) => formatAmount(i.total, i.currency),
              },
              { key: 'status', header: 'Status', render: (i) => <StatusBadge status={i.status} /> },
              {
                key: 'documents',
                header: <span className="visually-hidden">Documents</span>,
                className: 'num',
                render: (i) => (
                  <span className="row invoice-documents">
                    <Button size="small" variant="ghost" onClick={() => open(i, 'html')}>
                      View
                    </Button>
                    <Button size="small" onClick={() => open(i, 'pdf')}>
                      PDF
                    </Button>
                  </span>
                ),
              },
            ]}
          />
        ) : null}
      </Card>
    </section>
  );
}
