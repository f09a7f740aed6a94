import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { api, type PaymentMethod } from '../api/client';
import { useSubmit } from '../api/forms';
import { queries } from '../api/queries';
import { Alert, Badge, Button, Card, CardIcon, ConfirmDialog, EmptyState, Loading } from '../ui';
import { useBilling } from './BillingLayout';
import { useCheckout } from './useCheckout';

/** Billing's Payment methods (`/billing/payment-methods`): the saved cards, the default first. */
export function BillingPaymentMethodsPage() {
  const { organizationId, canAct } = useBilling();
  const methods = useQuery(queries.paymentMethods(organizationId));
  // Back from the gateway's page, the person lands here again, where the new card shows.
  const setup = useCheckout({ returnPath: '/billing/payment-methods' });
  const changes = [queries.paymentMethods(organizationId).queryKey];
  const [removing, setRemoving] = useState<PaymentMethod | undefined>();
  const makeDefault = useSubmit({
    send: (method: PaymentMethod) =>
      api.POST('/v1/payment_methods/{payment_method_id}/default', {
        params: { path: { payment_method_id: method.id } },
      }),
    invalidates: changes,
  });
  const remove = useSubmit({
    send: (method: PaymentMethod) =>
      api.DELETE('/v1/payment_methods/{payment_method_id}', {
        params: { path: { payment_method_id: method.id } },
      }),
    onSuccess: () => setRemoving(undefined),
    invalidates: changes,
  });

  // The default card first; the API lists them newest first.
  const list = [...(methods.data?.data ?? [])].sort((a, b) => Number(b.is_default) - Number(a.is_default));
  return (
    <section aria-labelledby="methods-heading">
      <div className="section-heading">
        <h2 id="methods-heading">Payment methods</h2>
        <p>Cards are kept by the payment gateway; Billfold stores only the brand and last four digits.</p>
      </div>
      {makeDefault.errors.general ? <Alert>{makeDefault.errors.general}</Alert> : null}
      {remove.errors.general ? <Alert>{remove.errors.general}</Alert> : null}
      {setup.error ? <Alert>{setup.error}</Alert> : null}
      <Card
        title="Saved cards"
        actions={
          canAct ? (
            <Button busy={setup.pending !== undefined} onClick={() => setup.start(undefined)}>
              Update payment details
            </Button>
          ) : undefined
        }
      >
        {methods.isPending ? <Loading /> : null}
        {methods.data && list.length === 0 ? (
          <EmptyState icon={<CardIcon />} title="No payment method saved">
            A card or mandate is saved at the gateway the first time you pay for a plan.
          </EmptyState>
        ) : null}
        {list.length > 0 ? (
          <ul className="payment-method-list">
            {list.map((method) => (
              <li key={method.id} className="payment-method">
                <span className="payment-method-brand">{method.brand}</span>
                <span className="cell-primary">•••• {method.last4}</span>
                {method.exp_month && method.exp_year ? (
                  <span className="payment-method-expiry">
                    Expires {String(method.exp_month).padStart(2, '0')}/{method.exp_year}
                  </span>
                ) : null}
                {method.is_default ? <Badge tone="accent">Default</Badge> : null}
                <span className="payment-method-spacer" />
                {canAct && !method.is_default ? (
                  <Button size="small" onClick={() => makeDefault.submit(method)}>
                    Make default
                  </Button>
                ) : null}
                {canAct ? (
                  <Button size="small" variant="ghost" onClick={() => setRemoving(method)}>
                    Remove
                  </Button>
                ) : null}
              </li>
            ))}
          </ul>
        ) : null}
      </Card>
      {removing ? (
        <ConfirmDialog
          title="Remove payment method?"
          confirmLabel="Remove"
          busy={remove.pending}
          onConfirm={() => remove.submit(removing)}
          onCancel={() => setRemoving(undefined)}
        >
          {`${removing.brand} •••• ${removing.last4} will no longer be charged.`}
          {removing.is_default ? ' The newest remaining method becomes the default.' : ''}
        </ConfirmDialog>
      ) : null}
    </section>
  );
}
