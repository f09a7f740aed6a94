import type { BillingCustomer } from '../api/client';
import { countryName } from '../shared/countries';
import { gatewayName } from '../shared/gateways';
import { Alert, Button, Card } from '../ui';
import { useBilling } from './BillingLayout';
import { SubscriptionOverview } from './SubscriptionOverview';
import { useCheckout } from './useCheckout';

/**
 * Billing's Overview (`/billing`), where gateways send people back after a checkout: the
 * subscription as it stands, and who is billed. The other sections are Plans, Payment methods,
 * Invoices, Statements and Payment links.
 */
export function BillingPage() {
  const { organizationId, customer, canAct, notify, editCustomer } = useBilling();
  const saveCard = useCheckout();
  return (
    <>
      <SubscriptionOverview
        organizationId={organizationId}
        canAct={canAct}
        onChanged={notify}
        onSaveCard={() => saveCard.start(undefined)}
      />
      {saveCard.error ? <Alert>{saveCard.error}</Alert> : null}
      <CustomerDetails customer={customer} canAct={canAct} onEdit={editCustomer} />
    </>
  );
}

function CustomerDetails({
  customer,
  canAct,
  onEdit,
}: {
  customer: BillingCustomer;
  canAct: boolean;
  onEdit: () => void;
}) {
  const address = [
    customer.address_line1,
    customer.address_line2,
    [customer.city, [customer.state, customer.postal_code].filter(Boolean).join(' ')]
      .filter(Boolean)
      .join(', '),
    countryName(customer.country),
  ].filter(Boolean);
  return (
    <Card
      title="Billing details"
      description={`Paid through ${gatewayName(customer.gateway)}, in ${customer.currency}.`}
      actions={canAct ? <Button onClick={onEdit}>Update customer details</Button> : undefined}
    >
      <dl className="billing-details">
        <div>
          <dt>Billed to</dt>
          <dd>{customer.name}</dd>
        </div>
        <div>
          <dt>Email</dt>
          <dd>{customer.email}</dd>
        </div>
        <div>
          <dt>Address</dt>
          <dd>
            {address.map((line) => (
              <div key={line}>{line}</div>
            ))}
          </dd>
        </div>
        <div>
          <dt>Phone</dt>
          <dd>{customer.phone || '—'}</dd>
        </div>
        <div>
          <dt>Tax ID</dt>
          <dd>{customer.tax_id || '—'}</dd>
        </div>
        <div>
          <dt>Time zone</dt>
          <dd>{customer.time_zone.replaceAll('_', ' ')}</dd>
        </div>
      </dl>
    </Card>
  );
}
