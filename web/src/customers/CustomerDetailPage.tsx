import { type FormEvent, useId, useState } from 'react';
import { Link, useParams } from 'react-router';
import { api, type PaymentWithRefunds, toApiError, unwrap } from '../api/client';
import { allPages } from '../api/pages';
import { useApi } from '../api/useApi';
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

const gatewayLabel: Record<string, string> = { stripe: 'Stripe', cashfree: 'Cashfree', test: 'Test gateway' };

/** One customer for operators: details, subscriptions, payments with refunds, moving to a plan. */
export function CustomerDetailPage() {
  const { orgId = '' } = useParams();
  const headers = { 'billfold-organization': orgId };
  const data = useApi(async () => {
    const [customer, subscriptions, payments] = await Promise.all([
      unwrap(api.GET('/v1/billing_customer', { headers })),
      allPages((query) => api.GET('/v1/subscriptions', { headers, params: { query } })),
      allPages((query) =>
        api.GET('/v1/operator/organizations/{org_id}/payments', {
          params: { path: { org_id: orgId }, query },
        }),
      ),
    ]);
    return { customer, subscriptions: subscriptions.data, payments: payments.data };
  }, [orgId]);
  const [refunding, setRefunding] = useState<PaymentWithRefunds | undefined>();
  const [notice, setNotice] = useState<string | undefined>();

  if (data.loading && !data.data) return <Loading />;
  if (data.error || !data.data) {
    return (
      <Page title="Customer">
        <Alert>{data.error?.message ?? 'No such customer'}</Alert>
      </Page>
    );
  }
  const { customer, subscriptions, payments } = data.data;

  const paymentColumns: Column<PaymentWithRefunds>[] = [
    { key: 'date', header: 'Date', className: 'cell-nowrap', render: (p) => formatDate(p.created_at) },
    { key: 'amount', header: 'Amount', render: (p) => formatAmount(p.amount, p.currency) },
    { key: 'status', header: 'Status', render: (p) => <StatusBadge status={p.status} /> },
    {
      key: 'refunded',
      header: 'Refunded',
      render: (p) => (p.refunded > 0 ? formatAmount(p.refunded, p.currency) : '—'),
    },
    { key: 'failure', header: 'Note', render: (p) => p.failure_message ?? '' },
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
      description={`${countryName(customer.country)} · ${customer.currency} · ${gatewayLabel[customer.gateway] ?? customer.gateway}`}
      actions={
        <Link className={buttonClass('secondary')} to="/operator/customers">
          All customers
        </Link>
      }
    >
      {notice ? <Alert tone="success">{notice}</Alert> : null}
      <Card title="Subscriptions" description="Each is billed by the plan version it started on.">
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
          onMoved={(name) => {
            setNotice(`Moved to ${name}.`);
            void data.reload();
          }}
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
      {refunding ? (
        <RefundDialog
          orgId={orgId}
          payment={refunding}
          onClose={() => setRefunding(undefined)}
          onRefunded={(amount) => {
            setRefunding(undefined);
            setNotice(`Refunded ${formatAmount(amount, refunding.currency)}.`);
            void data.reload();
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
  const plans = useApi(() => allPages((query) => api.GET('/v1/operator/plans', { params: { query } })), []);
  const [planId, setPlanId] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const choices = (plans.data?.data ?? []).filter(
    (p) => p.currency === currency || p.version.base_price === 0,
  );
  const move = async (event: FormEvent) => {
    event.preventDefault();
    const plan = choices.find((p) => p.id === planId);
    if (!plan) return;
    setBusy(true);
    setError(undefined);
    try {
      await unwrap(
        api.POST('/v1/operator/organizations/{org_id}/subscription', {
          params: { path: { org_id: orgId } },
          body: { plan_id: plan.id },
        }),
      );
      onMoved(`${plan.name} (version ${plan.version.version})`);
    } catch (e) {
      setError(toApiError(e).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="move-plan" onSubmit={move}>
      {error ? <Alert>{error}</Alert> : null}
      <Select
        label="Move to plan"
        value={planId}
        onChange={(e) => setPlanId(e.target.value)}
        options={[
          { value: '', label: 'Choose a plan' },
          ...choices.map((p) => ({ value: p.id, label: `${p.name}, v${p.version.version}` })),
        ]}
      />
      <Button type="submit" disabled={!planId} busy={busy}>
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
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const formId = useId();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const minor = decimalToMinor(amount, payment.currency);
    if (!minor || minor <= 0 || minor > left) {
      setError(`Enter an amount up to ${formatAmount(left, payment.currency)}`);
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      const refund = await unwrap(
        api.POST('/v1/operator/organizations/{org_id}/payments/{payment_id}/refunds', {
          params: { path: { org_id: orgId, payment_id: payment.id } },
          body: { amount: minor, ...(reason.trim() ? { reason: reason.trim() } : {}) },
        }),
      );
      onRefunded(refund.amount);
    } catch (e) {
      setError(toApiError(e).message);
      setBusy(false);
    }
  };
  return (
    <Modal
      title="Refund payment"
      description={`${formatAmount(payment.amount, payment.currency)} paid ${formatDate(payment.created_at)}; ${formatAmount(left, payment.currency)} can be refunded.`}
      onClose={onClose}
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" form={formId} variant="danger" busy={busy}>
            Refund
          </Button>
        </>
      }
    >
      <form id={formId} className="form-grid" onSubmit={submit} noValidate>
        {error ? (
          <div className="span-2">
            <Alert>{error}</Alert>
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
