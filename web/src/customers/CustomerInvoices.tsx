import { useInfiniteQuery, useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { api, type Invoice } from '../api/client';
import { useSubmit } from '../api/forms';
import { billingChanges, queries, rowsOf } from '../api/queries';
import { openInvoiceDocument } from '../billing/documents';
import { formatDate } from '../shared/format';
import { formatAmount } from '../shared/money';
import './customers.css';
import {
  Alert,
  Button,
  Card,
  ConfirmDialog,
  EmptyState,
  Input,
  Loading,
  loadMoreOf,
  StatusBadge,
  Table,
} from '../ui';

type InvoiceAction = 'void' | 'mark_uncollectible';

const actionWords: Record<InvoiceAction, { title: string; confirm: string; done: string; explain: string }> =
  {
    void: {
      title: 'Void invoice',
      confirm: 'Void invoice',
      done: 'voided',
      explain:
        'A voided invoice is no longer owed: a credit note takes its charges back in the ledger, and the subscription is released if it was held for it. This cannot be undone.',
    },
    mark_uncollectible: {
      title: 'Mark invoice uncollectible',
      confirm: 'Mark uncollectible',
      done: 'marked uncollectible',
      explain:
        'Billfold stops charging the card for it. It stays owed in the ledger until it is voided or paid.',
    },
  };

/** Opens an invoice's HTML in a new tab, as the customer's Billing page does, for the operator. */
export function useOpenInvoice(orgId: string) {
  return useMutation({
    mutationFn: (invoice: { id: string; number: string | null }) =>
      openInvoiceDocument(invoice.id, 'html', `${invoice.number ?? invoice.id}.html`, orgId),
  });
}

/**
 * A customer's invoices for operators: each one's document, and the two ways to stop collecting an
 * unpaid one, voiding it or marking it uncollectible, each asked again with a reason (kept in the
 * audit log) before it is done.
 */
export function CustomerInvoices({ orgId, onDone }: { orgId: string; onDone: (message: string) => void }) {
  const invoices = useInfiniteQuery(queries.invoices(orgId));
  const open = useOpenInvoice(orgId);
  const [acting, setActing] = useState<{ invoice: Invoice; action: InvoiceAction } | undefined>();

  return (
    <Card flush title="Invoices" description="Open invoices can be voided or marked uncollectible.">
      {open.error ? <Alert>{open.error.message}</Alert> : null}
      {invoices.isPending ? <Loading /> : null}
      {invoices.error ? <Alert>{invoices.error.message}</Alert> : null}
      {invoices.data ? (
        <Table
          label="Invoices"
          rows={rowsOf(invoices.data)}
          loadMore={loadMoreOf(invoices, ['invoice', 'invoices'])}
          rowKey={(i) => i.id}
          empty={<EmptyState title="No invoices yet" />}
          columns={[
            {
              key: 'number',
              header: 'Number',
              className: 'cell-nowrap',
              render: (i) =>
                i.number ? (
                  <Button
                    size="small"
                    variant="ghost"
                    className="invoice-link"
                    aria-label={`View invoice ${i.number}`}
                    onClick={() => open.mutate(i)}
                  >
                    {i.number}
                  </Button>
                ) : (
                  'Draft'
                ),
            },
            {
              key: 'date',
              header: 'Date',
              className: 'cell-nowrap',
              render: (i) => (i.finalized_at ? formatDate(i.finalized_at) : '—'),
            },
            {
              key: 'for',
              header: 'For',
              render: (i) => (
                <span className="customer-invoice-for">{i.lines.map((l) => l.description).join('; ')}</span>
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
              key: 'actions',
              header: <span className="visually-hidden">Actions</span>,
              render: (i) =>
                i.status === 'open' || i.status === 'uncollectible' ? (
                  <span className="row invoice-actions">
                    {i.status === 'open' ? (
                      <Button
                        size="small"
                        onClick={() => setActing({ invoice: i, action: 'mark_uncollectible' })}
                      >
                        Mark uncollectible
                      </Button>
                    ) : null}
                    <Button
                      size="small"
                      variant="danger"
                      onClick={() => setActing({ invoice: i, action: 'void' })}
                    >
                      Void
                    </Button>
                  </span>
                ) : null,
            },
          ]}
        />
      ) : null}
      {acting ? (
        <InvoiceActionDialog
          orgId={orgId}
          invoice={acting.invoice}
          action={acting.action}
          onClose={() => setActing(undefined)}
          onDone={(invoice) => {
            setActing(undefined);
            onDone(`Invoice ${invoice.number ?? invoice.id} ${actionWords[acting.action].done}.`);
          }}
        />
      ) : null}
    </Card>
  );
}

function InvoiceActionDialog({
  orgId,
  invoice,
  action,
  onClose,
  onDone,
}: {
  orgId: string;
  invoice: Invoice;
  action: InvoiceAction;
  onClose: () => void;
  onDone: (invoice: Invoice) => void;
}) {
  const [reason, setReason] = useState('');
  const words = actionWords[action];
  const act = useSubmit({
    fields: ['reason'],
    send: (body: { reason: string }) => {
      const params = { path: { org_id: orgId, invoice_id: invoice.id } };
      return action === 'void'
        ? api.POST('/v1/operator/organizations/{org_id}/invoices/{invoice_id}/void', { params, body })
        : api.POST('/v1/operator/organizations/{org_id}/invoices/{invoice_id}/mark_uncollectible', {
            params,
            body,
          });
    },
    onSuccess: (result) => onDone(result),
    // The invoice, the subscription it held, the ledger's credit note and the customer's standing.
    invalidates: billingChanges(orgId),
  });
  const confirm = () => {
    if (!act.check({ reason: reason.trim() ? undefined : 'Say why, for the audit log' })) return;
    act.submit({ reason: reason.trim() });
  };
  return (
    <ConfirmDialog
      title={`${words.title} ${invoice.number ?? ''}`.trim()}
      confirmLabel={words.confirm}
      onConfirm={confirm}
      onCancel={onClose}
      busy={act.pending}
      error={act.errors.general ? <Alert>{act.errors.general}</Alert> : null}
    >
      <div className="stack">
        <p className="confirm-text">
          {formatAmount(invoice.total, invoice.currency)}
          {invoice.finalized_at ? `, issued ${formatDate(invoice.finalized_at)}` : ''}. {words.explain}
        </p>
        <Input
          label="Reason"
          placeholder="Billed in error"
          value={reason}
          onChange={(e) => setReason(e.target.value)}
          error={act.field('reason')}
        />
      </div>
    </ConfirmDialog>
  );
}
