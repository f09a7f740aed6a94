import { type FormEvent, useId, useState } from 'react';
import { api, type Subscription } from '../api/client';
import { useSubmit } from '../api/forms';
import { decimalToMinor, formatAmount } from '../shared/money';
import { Alert, Button, Input, Modal, SegmentedControl, Select } from '../ui';

type Direction = 'credit' | 'charge';

/**
 * A correction to one of the customer's subscription ledgers: a credit in the customer's favour or a
 * charge against it, with the reason the statement will show. The amount is typed as a decimal and
 * sent in minor units, never through a float.
 */
export function LedgerAdjustmentDialog({
  orgId,
  currency,
  subscriptions,
  onClose,
  onAdjusted,
}: {
  orgId: string;
  currency: string;
  subscriptions: readonly Subscription[];
  onClose: () => void;
  onAdjusted: (message: string) => void;
}) {
  const inForce = subscriptions.find((s) => s.status !== 'cancelled') ?? subscriptions[0];
  const [subscriptionId, setSubscriptionId] = useState(inForce?.id ?? '');
  const [direction, setDirection] = useState<Direction>('credit');
  const [amount, setAmount] = useState('');
  const [reason, setReason] = useState('');
  const formId = useId();
  const adjust = useSubmit({
    fields: ['amount', 'description'],
    send: (input: { subscriptionId: string; amount: number; description: string }) =>
      api.POST('/v1/operator/organizations/{org_id}/subscriptions/{subscription_id}/adjustments', {
        params: { path: { org_id: orgId, subscription_id: input.subscriptionId } },
        body: { amount: input.amount, description: input.description },
      }),
    onSuccess: (entry) => {
      const sub = subscriptions.find((s) => s.id === subscriptionId);
      const money = formatAmount(Math.abs(entry.amount), entry.currency);
      onAdjusted(
        `${entry.amount > 0 ? 'Credited' : 'Charged'} ${money} on the ${sub?.plan_name ?? ''} ledger: ${entry.description}.`,
      );
    },
    // Statements carry the ledger's entries and balances.
    invalidates: [
      [orgId, 'statements'],
      [orgId, 'ledger_entries'],
    ],
  });
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const minor = decimalToMinor(amount, currency);
    const ok = adjust.check({
      amount: minor && minor > 0 ? undefined : `Enter an amount in ${currency}, such as 12.50`,
      description: reason.trim() ? undefined : 'Say why: the statement shows it',
    });
    if (!ok || !minor) return;
    adjust.submit({
      subscriptionId,
      amount: direction === 'credit' ? minor : -minor,
      description: reason.trim(),
    });
  };
  return (
    <Modal
      title="Ledger adjustment"
      description="A correction posted to the subscription's ledger in this month's statement."
      onClose={onClose}
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" form={formId} variant="primary" busy={adjust.pending}>
            Post adjustment
          </Button>
        </>
      }
    >
      <form id={formId} className="stack" onSubmit={submit} noValidate>
        {adjust.errors.general ? <Alert>{adjust.errors.general}</Alert> : null}
        <Select
          label="Subscription"
          value={subscriptionId}
          onChange={(e) => setSubscriptionId(e.target.value)}
          options={subscriptions.map((s) => ({
            value: s.id,
            label: `${s.plan_name}, v${s.version.version} (${s.status})`,
          }))}
        />
        <SegmentedControl
          label="Direction"
          value={direction}
          onChange={setDirection}
          segments={[
            { value: 'credit', label: 'Credit the customer' },
            { value: 'charge', label: 'Charge the customer' },
          ]}
        />
        <Input
          label={`Amount (${currency})`}
          inputMode="decimal"
          placeholder="12.50"
          value={amount}
          onChange={(e) => setAmount(e.target.value)}
          error={adjust.field('amount')}
        />
        <Input
          label="Reason"
          placeholder="Goodwill credit for the outage"
          value={reason}
          onChange={(e) => setReason(e.target.value)}
          error={adjust.field('description')}
          maxLength={200}
        />
      </form>
    </Modal>
  );
}
