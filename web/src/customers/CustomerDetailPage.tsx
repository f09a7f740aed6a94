import { useQuery } from '@tanstack/react-query';
import { type FormEvent, useId, useState } from 'react';
import { Link, useParams } from 'react-router';
import { api, type PaymentWithRefunds, type Plan } from '../api/client';
import { useSubmit } from '../api/forms';
import { billingChanges, queries } from '../api/queries';
import { useSignedIn } from '../api/session';
import { countryName } from '../shared/countries';
import { formatDate } from '../shared/format';
import { decimalToMinor, formatAmount, minorToDecimal } from '../shared/money';
import {
  Alert,
  Badge,
  Button,
  buttonClass,
  Card,
  type Column,
  EmptyState,
  Input,
  Loading,
  Modal,
  Page,
  Select,
  StatusBadge,
  Table,
} from '../ui';
import '../catalog/catalog.css';
import { gatewayName } from '../shared/gateways';
import { CustomerInvoices, useOpenInvoice } from './CustomerInvoices';
import { LedgerAdjustmentDialog } from './LedgerAdjustmentDialog';

/** The reason a refund was given with; the API's default reads as words. */
const reasonLabel = (reason: string) =>
  reason === 'requested_by_customer' ? 'Requested by the customer' : reason;

/**
 * One customer for operators: details, subscriptions (moving to a plan, adjusting a ledger), payments
 * with what they paid for and their refunds, invoices to void or stop collecting. What
 * is read is the customer's organization's, as its key says (the reads name that organization).
 */
export function CustomerDetailPage() {
  const { orgId = '' } = useParams();
  const customerQuery = useQuery(queries.billingCustomer(orgId));
  const subscriptionsQuery = useQuery(queries.subscriptions(orgId));
  const paymentsQuery = useQuery(queries.payments(orgId));
  const [refunding, setRefunding] = useState<PaymentWithRefunds | undefined>();
  const [notice, setNotice] = useState<string | undefined>();
  const [adjusting, setAdjusting] = useState(false);
  const openInvoice = useOpenInvoice(orgId);

  if (customerQuery.isPending || subscriptionsQuery.isPending || paymentsQuery.isPending) return <Loading />;
  if (!customerQuery.data || !subscriptionsQuery.data || !paymentsQuery.data) {
    const failed = customerQuery.error ?? subscriptionsQuery.error ?? paymentsQuery.error;
    return (
      <Page title="Customer">
        <Alert>{failed?.message ?? 'No such customer'}</Alert>
      </Page>
    );
  }
  const customer = customerQuery.data;
  const subscriptions = subscriptionsQuery.data.data;
  const payments = paymentsQuery.data.data;

  const paymentColumns: Column<PaymentWithRefunds>[] = [
    { key: 'date', header: 'Date', className: 'cell-nowrap', render: (p) => formatDate(p.created_at) },
    {
      key: 'for',
      header: 'For',
      render: (p) => (
        <span className="payment-for">
          <span>{p.description || '—'}</span>
          {p.invoices.length > 0 ? (
            <span className="payment-invoices">
              {p.invoices.map((invoice) => (
                <Button
                  key={invoice.id}
                  size="small"
                  variant="ghost"
                  className="invoice-link"
                  aria-label={`View invoice ${invoice.number ?? invoice.id}`}
                  onClick={() => openInvoice.mutate(invoice)}
                >
                  {invoice.number ?? 'Draft invoice'}
                </Button>
              ))}
            </span>
          ) : null}
        </span>
      ),
    },
    { key: 'amount', header: 'Amount', className: 'num', render: (p) => formatAmount(p.amount, p.currency) },
    {
      key: 'status',
      header: 'Status',
      render: (p) => (
        <span className="payment-status">
          <StatusBadge status={p.status} />
          {p.failure_message ? <span className="text-muted-small">{p.failure_message}</span> : null}
        </span>
      ),
    },
    {
      key: 'refunded',
      header: 'Refunds',
      render: (p) =>
        p.refunds.length === 0 ? (
          '—'
        ) : (
          <ul className="refund-list">
            {p.refunds.map((r) => (
              <li key={r.id}>
                <span className="cell-primary">{formatAmount(r.amount, r.currency)}</span>
                {r.status === 'succeeded' ? '' : ` (${r.status})`} on {formatDate(r.created_at)}
                <span className="text-muted-small refund-reason">{reasonLabel(r.reason)}</span>
              </li>
            ))}
          </ul>
        ),
    },
    {
      key: 'actions',
      header: <span className="visually-hidden">Actions</span>,
      render: (p) =>
        p.status === 'succeeded' && p.refunded < p.amount ? (
          <Button size="small" onClick={() => setRefunding(p)}>
            Refund
          </Button>
        ) : null,
    },
  ];

  return (
    <Page
      title={customer.name}
      description={`${countryName(customer.country)} · ${customer.currency} · ${gatewayName(customer.gateway)}`}
      actions={
        <Link className={buttonClass('secondary')} to="/operator/customers">
          All customers
        </Link>
      }
    >
      {notice ? <Alert tone="success">{notice}</Alert> : null}
      {openInvoice.error ? <Alert>{openInvoice.error.message}</Alert> : null}
      <Card
        title="Subscriptions"
        description="Each is billed by the plan version it started on."
        actions={
          subscriptions.length > 0 ? (
            <Button onClick={() => setAdjusting(true)}>Ledger adjustment</Button>
          ) : null
        }
      >
        <ul className="link-list">
          {subscriptions.map((s) => (
            <li key={s.id} className="badge-row">
              <span className="cell-primary">{s.plan_name}</span>
              <Badge>v{s.version.version}</Badge>
              <span>
                {formatAmount(s.version.base_price, s.currency)} / {s.interval}
              </span>
              <StatusBadge status={s.status} />
              <span className="text-muted-small">
                since {formatDate(s.started_at)}
                {s.ended_at ? `, ended ${formatDate(s.ended_at)}` : ''}
              </span>
            </li>
          ))}
        </ul>
        <MoveToPlan
          orgId={orgId}
          currency={customer.currency}
          onMoved={(name) => setNotice(`Moved to ${name}.`)}
        />
      </Card>
      <Card flush title="Payments" description="Refunds go back to the card at the gateway.">
        <Table
          label="Payments"
          columns={paymentColumns}
          rows={payments}
          rowKey={(p) => p.id}
          empty={<EmptyState title="No payments yet" />}
        />
      </Card>
      <CustomerInvoices orgId={orgId} onDone={setNotice} />
      {adjusting ? (
        <LedgerAdjustmentDialog
          orgId={orgId}
          currency={customer.currency}
          subscriptions={subscriptions}
          onClose={() => setAdjusting(false)}
          onAdjusted={(message) => {
            setAdjusting(false);
            setNotice(message);
          }}
        />
      ) : null}
      {refunding ? (
        <RefundDialog
          orgId={orgId}
          payment={refunding}
          onClose={() => setRefunding(undefined)}
          onRefunded={(amount) => {
            setRefunding(undefined);
            setNotice(`Refunded ${formatAmount(amount, refunding.currency)}.`);
          }}
        />
      ) : null}
    </Page>
  );
}

function MoveToPlan({
  orgId,
  currency,
  onMoved,
}: {
  orgId: string;
  currency: string;
  onMoved: (name: string) => void;
}) {
  const { organization } = useSignedIn();
  const plans = useQuery(queries.operatorPlanChoices(organization.id));
  const [planId, setPlanId] = useState('');
  const choices = (plans.data?.data ?? []).filter(
    (p) => p.currency === currency || p.version.base_price === 0,
  );
  const move = useSubmit({
    send: (plan: Plan) =>
      api.POST('/v1/operator/organizations/{org_id}/subscription', {
        params: { path: { org_id: orgId } },
        body: { plan_id: plan.id },
      }),
    onSuccess: (_, plan) => onMoved(`${plan.name} (version ${plan.version.version})`),
    invalidates: billingChanges(orgId),
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const plan = choices.find((p) => p.id === planId);
    if (plan) move.submit(plan);
  };
  return (
    <form className="move-plan" onSubmit={submit}>
      {move.errors.general ? <Alert>{move.errors.general}</Alert> : null}
      <Select
        label="Move to plan"
        value={planId}
        onChange={(e) => setPlanId(e.target.value)}
        options={[
          { value: '', label: 'Choose a plan' },
          ...choices.map((p) => ({ value: p.id, label: `${p.name}, v${p.version.version}` })),
        ]}
      />
      <Button type="submit" disabled={!planId} busy={move.pending}>
        Move
      </Button>
      <p className="text-muted-small move-plan-note">
        Ends the active subscription and starts one on the plan's current version, without a charge.
      </p>
    </form>
  );
}

function RefundDialog({
  orgId,
  payment,
  onClose,
  onRefunded,
}: {
  orgId: string;
  payment: PaymentWithRefunds;
  onClose: () => void;
  onRefunded: (amount: number) => void;
}) {
  const left = payment.amount - payment.refunded;
  const [amount, setAmount] = useState(minorToDecimal(left, payment.currency));
  const [reason, setReason] = useState('');
  const formId = useId();
  const refund = useSubmit({
    send: (body: { amount: number; reason?: string }) =>
      api.POST('/v1/operator/organizations/{org_id}/payments/{payment_id}/refunds', {
        params: { path: { org_id: orgId, payment_id: payment.id } },
        body,
      }),
    onSuccess: (refunded) => onRefunded(refunded.amount),
    // The payment's refunds, and the credit its statement records.
    invalidates: [queries.payments(orgId).queryKey, [orgId, 'statements']],
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const minor = decimalToMinor(amount, payment.currency);
    if (!minor || minor <= 0 || minor > left)
      return refund.fail(`Enter an amount up to ${formatAmount(left, payment.currency)}`);
    refund.submit({ amount: minor, ...(reason.trim() ? { reason: reason.trim() } : {}) });
  };
  return (
    <Modal
      title="Refund payment"
      description={`${formatAmount(payment.amount, payment.currency)} paid ${formatDate(payment.created_at)}; ${formatAmount(left, payment.currency)} can be refunded.`}
      onClose={onClose}
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" form={formId} variant="danger" busy={refund.pending}>
            Refund
          </Button>
        </>
      }
    >
      <form id={formId} className="form-grid" onSubmit={submit} noValidate>
        {refund.errors.general ? (
          <div className="span-2">
            <Alert>{refund.errors.general}</Alert>
          </div>
        ) : null}
        <Input
          label={`Amount (${payment.currency})`}
          inputMode="decimal"
          value={amount}
          onChange={(e) => setAmount(e.target.value)}
        />
        <Input
          label="Reason"
          placeholder="Outage credit"
          value={reason}
          onChange={(e) => setReason(e.target.value)}
        />
      </form>
    </Modal>
  );
}
