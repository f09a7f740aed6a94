import { useInfiniteQuery, useMutation } from '@tanstack/react-query';
import type { Invoice } from '../api/client';
import { queries, rowsOf } from '../api/queries';
import { formatDate } from '../shared/format';
import { formatAmount } from '../shared/money';
import { Alert, Button, Card, EmptyState, Loading, loadMoreOf, StatusBadge, Table } from '../ui';
import { useBilling } from './BillingLayout';
import { openInvoiceDocument } from './documents';

/**
 * Billing's Invoices (`/billing/invoices`). Invoices, newest first, with their status and their documents
 * (C20, C31), a page at a time.
 */
export function BillingInvoicesPage() {
  const { organizationId } = useBilling();
  const invoices = useInfiniteQuery(queries.invoices(organizationId));
  const rows = rowsOf(invoices.data);
  const download = useMutation({
    mutationFn: ({ invoice, format }: { invoice: Invoice; format: 'pdf' | 'html' }) =>
      openInvoiceDocument(invoice.id, format, `${invoice.number ?? invoice.id}.${format}`),
  });
  const open = (invoice: Invoice, format: 'pdf' | 'html') => download.mutate({ invoice, format });
  return (
    <section aria-labelledby="invoices-heading">
      <div className="section-heading">
        <h2 id="invoices-heading">Invoices</h2>
        <p>Issued when a period starts and charged to your default card.</p>
      </div>
      {download.error ? <Alert>{download.error.message}</Alert> : null}
      <Card flush>
        {invoices.isPending ? <Loading /> : null}
        {invoices.error ? <Alert>{invoices.error.message}</Alert> : null}
        {invoices.data ? (
          <Table
            label="Invoices"
            rows={rows}
            loadMore={loadMoreOf(invoices, ['invoice', 'invoices'])}
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
