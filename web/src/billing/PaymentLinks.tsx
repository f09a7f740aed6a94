import { type FormEvent, useEffect, useState } from 'react';
import { api, type OfferedPlan, type PaymentLink, toApiError, unwrap } from '../api/client';
import { useFormErrors } from '../api/forms';
import { allPages } from '../api/pages';
import { useApi } from '../api/useApi';
import { formatDate } from '../shared/format';
import { decimalToMinor, formatAmount } from '../shared/money';
import { Alert, Button, Card, ConfirmDialog, CopyBox, Input, Select, StatusBadge } from '../ui';

/**
 * Payment links (C12): a link for a plan or an amount that anyone can pay, without an account, at
 * this organization's gateway. Owners and super admins make and cancel them; admins see them.
 */
export function PaymentLinks({
  organizationId,
  currency,
  canAct,
  onPaid,
}: {
  organizationId: string;
  currency: string;
  canAct: boolean;
  onPaid: () => void;
}) {
  const links = useApi(async () => {
    const list = await allPages((query) => api.GET('/v1/payment_links', { params: { query } }));
    if (!canAct) return list.data;
    // Ask the gateway about links still active: one may have been paid since (the webhook tells us
    // too; asking twice changes nothing).
    const fresh = await Promise.all(
      list.data.map((link) =>
        link.status === 'active'
          ? unwrap(
              api.POST('/v1/payment_links/{payment_link_id}/sync', {
                params: { path: { payment_link_id: link.id } },
              }),
            )
          : link,
      ),
    );
    return fresh;
  }, [organizationId, canAct]);
  const [cancelling, setCancelling] = useState<PaymentLink | undefined>();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const paidNow = (links.data ?? []).some((l) => l.status === 'paid' && l.plan_id);

  // biome-ignore lint/correctness/useExhaustiveDependencies: tell the page once when a plan link turns up paid
  useEffect(() => {
    if (paidNow) onPaid();
  }, [paidNow]);

  const cancel = async () => {
    if (!cancelling) return;
    setBusy(true);
    setError(undefined);
    try {
      await unwrap(
        api.POST('/v1/payment_links/{payment_link_id}/cancel', {
          params: { path: { payment_link_id: cancelling.id } },
        }),
      );
      setCancelling(undefined);
      await links.reload();
    } catch (e) {
      setError(toApiError(e).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-labelledby="links-heading">
      <div className="section-heading">
        <h2 id="links-heading">Payment links</h2>
        <p>Share a link: anyone can pay it, without an account.</p>
      </div>
      {error ? <Alert>{error}</Alert> : null}
      <Card>
        {canAct ? <NewLink currency={currency} onCreated={() => links.reload()} /> : null}
        {links.data && links.data.length > 0 ? (
          <ul className="link-list" aria-label="Payment links">
            {links.data.map((link) => (
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
      </Card>
      {cancelling ? (
        <ConfirmDialog
          title="Cancel this payment link?"
          confirmLabel="Cancel link"
          busy={busy}
          onConfirm={cancel}
          onCancel={() => setCancelling(undefined)}
        >
          Anyone opening it will be told it was cancelled, and nothing can be paid with it.
        </ConfirmDialog>
      ) : null}
    </section>
  );
}

function NewLink({ currency, onCreated }: { currency: string; onCreated: () => void }) {
  const plans = useApi(() => allPages((query) => api.GET('/v1/plans', { params: { query } })), [currency]);
  const payable = (plans.data?.data ?? []).filter((p: OfferedPlan) => p.version.base_price > 0);
  const [what, setWhat] = useState('amount');
  const [amount, setAmount] = useState('');
  const [description, setDescription] = useState('');
  const [days, setDays] = useState('7');
  const [busy, setBusy] = useState(false);
  const form = useFormErrors(['plan_id', 'amount', 'description', 'expires_in_days']);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const minor = what === 'amount' ? decimalToMinor(amount, currency) : undefined;
    const ok = form.check({
      amount:
        what === 'amount' && (!minor || minor <= 0) && `Enter an amount in ${currency}, such as 250 or 99.50`,
      description: what === 'amount' && !description.trim() && 'Say what the amount is for',
    });
    if (!ok) return;
    setBusy(true);
    try {
      const expires = Number.parseInt(days, 10);
      await unwrap(
        api.POST('/v1/payment_links', {
          body:
            what === 'amount'
              ? { amount: minor ?? 0, description: description.trim(), expires_in_days: expires }
              : { plan_id: what, expires_in_days: expires },
        }),
      );
      setAmount('');
      setDescription('');
      onCreated();
    } catch (error) {
      form.fromError(error);
    } finally {
      setBusy(false);
    }
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
        <Button type="submit" variant="primary" busy={busy}>
          Create link
        </Button>
      </div>
    </form>
  );
}
