import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { api, type Body, type OfferedPlan, type PaymentLink } from '../api/client';
import { useSubmit } from '../api/forms';
import { queries, rowsOf } from '../api/queries';
import { formatDate } from '../shared/format';
import { decimalToMinor, formatAmount } from '../shared/money';
import {
  Alert,
  Button,
  Card,
  ConfirmDialog,
  CopyBox,
  Input,
  loadMoreOf,
  MorePages,
  Select,
  StatusBadge,
} from '../ui';
import { useBilling } from './BillingLayout';

/**
 * Billing's Payment links (`/billing/payment-links`). Payment links (C12): a link for a plan or an amount
 * that anyone can pay, without an account, at this organization's gateway. Owners and super admins make
 * and cancel them; admins see them.
 */
export function BillingPaymentLinksPage() {
  const { organizationId, customer, canAct } = useBilling();
  // Those who act on links ask the gateway about the active ones.
  const links = useInfiniteQuery(queries.paymentLinks(organizationId, canAct));
  const list = rowsOf(links.data);
  const [cancelling, setCancelling] = useState<PaymentLink | undefined>();
  const changes = [[organizationId, 'payment_links']];
  const cancel = useSubmit({
    send: (link: PaymentLink) =>
      api.POST('/v1/payment_links/{payment_link_id}/cancel', {
        params: { path: { payment_link_id: link.id } },
      }),
    onSuccess: () => setCancelling(undefined),
    invalidates: changes,
  });

  return (
    <section aria-labelledby="links-heading">
      <div className="section-heading">
        <h2 id="links-heading">Payment links</h2>
        <p>Share a link: anyone can pay it, without an account.</p>
      </div>
      {cancel.errors.general ? <Alert>{cancel.errors.general}</Alert> : null}
      <Card>
        {canAct ? <NewLink organizationId={organizationId} currency={customer.currency} /> : null}
        {list.length > 0 ? (
          <ul className="link-list" aria-label="Payment links">
            {list.map((link) => (
              <li key={link.id} className="link-item">
                <div className="link-head">
                  <span className="cell-primary">{link.description}</span>
                  <span className="link-amount">{formatAmount(link.amount, link.currency)}</span>
                  <StatusBadge status={link.status} />
                  <span className="link-when">
                    {link.status === 'paid' && link.paid_at && link.conflict
                      ? `Paid ${formatDate(link.paid_at)} and refunded: already subscribed to ${link.conflict.plan_name}`
                      : link.status === 'paid' && link.paid_at
                        ? `Paid ${formatDate(link.paid_at)}`
                        : link.status === 'active'
                          ? `Expires ${formatDate(link.expires_at)}`
                          : link.status === 'cancelled' && link.cancelled_at
                            ? `Cancelled ${formatDate(link.cancelled_at)}`
                            : `Expired ${formatDate(link.expires_at)}`}
                  </span>
                  {canAct && link.status === 'active' ? (
                    <Button size="small" variant="ghost" onClick={() => setCancelling(link)}>
                      Cancel link
                    </Button>
                  ) : null}
                </div>
                {link.status === 'active' ? (
                  <CopyBox value={link.url} label={`Link for ${link.description}`} />
                ) : null}
              </li>
            ))}
          </ul>
        ) : links.data ? (
          <p className="link-empty">No payment links yet.</p>
        ) : null}
        {links.error ? <Alert>{links.error.message}</Alert> : null}
        <MorePages shown={list.length} more={loadMoreOf(links, ['payment link', 'payment links'])} />
      </Card>
      {cancelling ? (
        <ConfirmDialog
          title="Cancel this payment link?"
          confirmLabel="Cancel link"
          busy={cancel.pending}
          onConfirm={() => cancel.submit(cancelling)}
          onCancel={() => setCancelling(undefined)}
        >
          Anyone opening it will be told it was cancelled, and nothing can be paid with it.
        </ConfirmDialog>
      ) : null}
    </section>
  );
}

function NewLink({ organizationId, currency }: { organizationId: string; currency: string }) {
  const plans = useQuery(queries.plans(organizationId));
  const payable = (plans.data?.data ?? []).filter((p: OfferedPlan) => p.version.base_price > 0);
  const [what, setWhat] = useState('amount');
  const [amount, setAmount] = useState('');
  const [description, setDescription] = useState('');
  const [days, setDays] = useState('7');
  const form = useSubmit({
    send: (body: Body<'/v1/payment_links', 'post'>) => api.POST('/v1/payment_links', { body }),
    fields: ['plan_id', 'amount', 'description', 'expires_in_days'],
    onSuccess: () => {
      setAmount('');
      setDescription('');
    },
    invalidates: [[organizationId, 'payment_links']],
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const minor = what === 'amount' ? decimalToMinor(amount, currency) : undefined;
    const ok = form.check({
      amount:
        what === 'amount' && (!minor || minor <= 0) && `Enter an amount in ${currency}, such as 250 or 99.50`,
      description: what === 'amount' && !description.trim() && 'Say what the amount is for',
    });
    if (!ok) return;
    const expires = Number.parseInt(days, 10);
    form.submit(
      what === 'amount'
        ? { amount: minor ?? 0, description: description.trim(), expires_in_days: expires }
        : { plan_id: what, expires_in_days: expires },
    );
  };

  return (
    <form className="link-form" onSubmit={submit} noValidate>
      {form.errors.general ? <Alert>{form.errors.general}</Alert> : null}
      <div className="link-form-fields">
        <Select
          label="Link for"
          value={what}
          onChange={(e) => setWhat(e.target.value)}
          options={[
            { value: 'amount', label: 'An amount' },
            ...payable.map((p) => ({
              value: p.id,
              label: `${p.name}: ${formatAmount(p.version.base_price, p.currency)}`,
            })),
          ]}
          error={form.field('plan_id')}
        />
        {what === 'amount' ? (
          <>
            <Input
              label={`Amount (${currency})`}
              inputMode="decimal"
              value={amount}
              onChange={(e) => setAmount(e.target.value)}
              error={form.field('amount')}
            />
            <Input
              label="For"
              placeholder="Setup fee"
              value={description}
              onChange={(e) => setDescription(e.target.value)}
              error={form.field('description')}
            />
          </>
        ) : null}
        <Select
          label="Expires in"
          value={days}
          onChange={(e) => setDays(e.target.value)}
          options={[
            { value: '1', label: '1 day' },
            { value: '7', label: '7 days' },
            { value: '30', label: '30 days' },
          ]}
        />
      </div>
      <div>
        <Button type="submit" variant="primary" busy={form.pending}>
          Create link
        </Button>
      </div>
    </form>
  );
}
