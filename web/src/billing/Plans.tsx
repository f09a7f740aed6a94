import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { queries } from '../api/queries';
import { Alert, Button, buttonClass, Loading } from '../ui';
import { useBilling } from './BillingLayout';
import { PlanCard } from './PlanCard';
import { PlanGrid, sharedPlanNames } from './PlanGrid';
import { useCheckout } from './useCheckout';

/** Billing's Plans (`/billing/plans`): the plans this organization may choose, the current one marked. */
export function BillingPlansPage() {
  const { organizationId, customer, canAct, notify } = useBilling();
  const plans = useQuery(queries.plans(organizationId));
  const checkout = useCheckout({ onStarted: notify });
  const offered = plans.data?.data ?? [];
  const onPaidPlan = (offered.find((plan) => plan.current)?.version.base_price ?? 0) > 0;
  const shared = sharedPlanNames(offered);
  return (
    <section aria-labelledby="plans-heading">
      <div className="section-heading">
        <h2 id="plans-heading">Plans</h2>
        <p>Prices in {customer.currency}, before tax.</p>
      </div>
      {plans.error ? <Alert>{plans.error.message}</Alert> : null}
      {checkout.error ? <Alert>{checkout.error}</Alert> : null}
      {plans.isPending ? <Loading label="Loading plans…" /> : null}
      {plans.data ? (
        <PlanGrid>
          {offered.map((plan) => (
            <PlanCard
              key={plan.id}
              plan={plan}
              identify={shared.has(plan.name)}
              action={
                <>
                  {plan.current ? (
                    <Button disabled>Your current plan</Button>
                  ) : canAct && onPaidPlan ? (
                    // A paid plan changes with proration (Modify plan), not with a second checkout.
                    <Link className={buttonClass('secondary')} to="/billing/modify">
                      Change to {plan.name}
                    </Link>
                  ) : canAct ? (
                    <Button
                      variant="primary"
                      busy={checkout.pending === plan.id}
                      disabled={checkout.pending !== undefined}
                      onClick={() => checkout.start(plan.id, plan.name)}
                    >
                      Select subscription
                    </Button>
                  ) : null}
                  <Link className="plan-card-details" to={`/billing/plans/${plan.id}`}>
                    Plan details
                  </Link>
                </>
              }
            />
          ))}
        </PlanGrid>
      ) : null}
    </section>
  );
}
