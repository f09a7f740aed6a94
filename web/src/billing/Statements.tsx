import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import type { Subscription } from '../api/client';
import { queries, rowsOf } from '../api/queries';
import { formatAmount } from '../shared/money';
import { Alert, Card, EmptyState, Loading, loadMoreOf, StatusBadge, Table } from '../ui';
import { useBilling } from './BillingLayout';

/**
 * Billing's Statements (`/billing/statements`). Monthly statements (C27) of each live subscription: the
 * balance brought forward, what was paid or credited, what was charged, and the balance carried into the
 * next month. Closed months never change.
 */
export function BillingStatementsPage() {
  const { organizationId } = useBilling();
  const subscriptions = useQuery(queries.subscriptions(organizationId));
  const live = subscriptions.data?.data.filter((s) => s.status !== 'cancelled') ?? [];
  return (
    <section aria-labelledby="statements-heading">
      <div className="section-heading">
        <h2 id="statements-heading">Statements</h2>
        <p>
          One a month per subscription, closed at midnight on the 1st in your time zone. A balance is either
          owed by you or a credit in your favour, used for your next invoices.
        </p>
      </div>
      {subscriptions.error ? <Alert>{subscriptions.error.message}</Alert> : null}
      {subscriptions.isPending ? <Loading /> : null}
      {subscriptions.data && live.length === 0 ? (
        <Card>
          <EmptyState title="No statements yet">
            The first appears with your first subscription's invoice.
          </EmptyState>
        </Card>
      ) : null}
      {live.map((subscription) => (
        <SubscriptionStatements
          key={subscription.id}
          organizationId={organizationId}
          subscription={subscription}
          several={live.length > 1}
        />
      ))}
    </section>
  );
}

function SubscriptionStatements({
  organizationId,
  subscription,
  several,
}: {
  organizationId: string;
  subscription: Subscription;
  several: boolean;
}) {
  const statements = useInfiniteQuery(queries.statements(organizationId, subscription.id));
  const rows = rowsOf(statements.data);
  const money = (amount: number, currency: string) => formatAmount(amount, currency);
  // The ledger counts in the customer's favour (closing = opening + credits − charges): below zero
  // is owed, above it is credit. Said in words, not left to a minus sign.
  const balance = (amount: number, currency: string) =>
    amount < 0
      ? `${money(-amount, currency)} owed`
      : amount > 0
        ? `${money(amount, currency)} credit`
        : `${money(0, currency)}, settled`;
  const monthName = (month: string) => {
    const [year, m] = month.split('-').map(Number);
    return new Intl.DateTimeFormat(undefined, { month: 'long', year: 'numeric', timeZone: 'UTC' }).format(
      Date.UTC(year ?? 1970, (m ?? 1) - 1, 15),
    );
  };
  return (
    <Card flush title={several ? subscription.plan_name : undefined}>
      {statements.isPending ? <Loading /> : null}
      {statements.error ? <Alert>{statements.error.message}</Alert> : null}
      {statements.data ? (
        <Table
          label={`Statements of ${subscription.plan_name}`}
          rows={rows}
          loadMore={loadMoreOf(statements, ['statement', 'statements'])}
          rowKey={(s) => s.id}
          empty={
            <EmptyState title="No statements yet">The first appears with your first invoice.</EmptyState>
          }
          columns={[
            { key: 'month', header: 'Month', className: 'invoice-date', render: (s) => monthName(s.month) },
            {
              key: 'opening',
              header: 'Opening',
              className: 'num',
              render: (s) => balance(s.opening_balance, s.currency),
            },
            {
              key: 'credits',
              header: 'Payments and credits',
              className: 'num',
              render: (s) => money(s.credits, s.currency),
            },
            {
              key: 'charges',
              header: 'Charges',
              className: 'num',
              render: (s) => money(s.license_charges + s.usage_charges + s.other_charges, s.currency),
            },
            {
              key: 'closing',
              header: 'Closing',
              className: 'num',
              render: (s) => balance(s.closing_balance, s.currency),
            },
            { key: 'status', header: 'Status', render: (s) => <StatusBadge status={s.status} /> },
          ]}
        />
      ) : null}
    </Card>
  );
}
