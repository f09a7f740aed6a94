import { useQuery } from '@tanstack/react-query';
import { Link, useNavigate, useParams } from 'react-router';
import { queries } from '../api/queries';
import { useSignedIn } from '../api/session';
import { formatDateIn } from '../shared/format';
import { formatAmount, formatQuantity, formatUnitPrice } from '../shared/money';
import {
  type ChargePriceShape,
  type ChargeShape,
  describeLimit,
  describePrice,
  dimensionLabel,
  formatPlanPrice,
  intervalAdverb,
  type LimitShape,
  modelLabel,
  plural,
  tierRanges,
} from '../shared/plans';
import { Alert, Badge, Button, buttonClass, Card, Loading, Page } from '../ui';
import { useCheckout } from './useCheckout';
import './billing.css';

/**
 * One plan in full: price, trial, limits and every usage price with its tiers and rates. "Select
 * subscription" on a plan card leads here; paying for it is the checkout's step.
 */
export function PlanDetailPage() {
  const { planId = '' } = useParams();
  const { organization, permissions } = useSignedIn();
  const navigate = useNavigate();
  const checkout = useCheckout({ onStarted: () => navigate('/billing') });
  const plan = useQuery(queries.plan(organization.id, planId));

  if (plan.isPending) return <Loading />;
  if (plan.error || !plan.data) {
    return (
      <Page title="Plan">
        <Alert>{plan.error?.message ?? 'No such plan'}</Alert>
        <p>
          <Link to="/billing/plans">Back to plans</Link>
        </p>
      </Page>
    );
  }
  const { version, currency } = plan.data;
  const limits = version.limits as LimitShape[];
  const charges = version.charges as ChargeShape[];
  return (
    <Page
      title={plan.data.name}
      description={plan.data.description || undefined}
      actions={
        <Link className={buttonClass('secondary')} to="/billing/plans">
          Back to plans
        </Link>
      }
    >
      <Card
        title={formatPlanPrice(version.base_price, currency, plan.data.interval)}
        description={[
          version.trial_days > 0 ? `${version.trial_days}-day free trial` : null,
          `Billed ${intervalAdverb(plan.data.interval)} in ${currency}, before tax`,
          `version ${version.version}`,
        ]
          .filter(Boolean)
          .join(' · ')}
        actions={plan.data.current ? <Badge tone="success">Your current plan</Badge> : undefined}
      >
        {plan.data.current ? (
          <p>This organization is on this plan.</p>
        ) : permissions.manage ? (
          <FirstPayment
            planId={plan.data.id}
            planName={plan.data.name}
            price={formatPlanPrice(version.base_price, currency, plan.data.interval)}
            trialDays={version.trial_days}
            checkout={checkout}
          />
        ) : (
          <p>Ask an owner of {organization.name} to subscribe to this plan.</p>
        )}
      </Card>

      <section aria-labelledby="limits-heading">
        <div className="section-heading">
          <h2 id="limits-heading">Limits</h2>
        </div>
        <Card>
          {limits.length === 0 ? (
            <p>No limits.</p>
          ) : (
            <table className="tier-table">
              <thead>
                <tr>
                  <th>Feature</th>
                  <th>Limit</th>
                  <th>When reached</th>
                </tr>
              </thead>
              <tbody>
                {limits.map((limit) => (
                  <tr key={limit.feature}>
                    <td>{limit.name}</td>
                    <td>{describeLimit(limit)}</td>
                    <td>
                      {limit.limit === null
                        ? '—'
                        : limit.mode === 'hard'
                          ? 'Refused'
                          : 'Allowed, with an alert'}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </Card>
      </section>

      {charges.length > 0 ? (
        <section aria-labelledby="usage-heading">
          <div className="section-heading">
            <h2 id="usage-heading">Usage</h2>
            <p>Billed at the end of each period for what was used.</p>
          </div>
          <div className="card-grid">
            {charges.map((charge) => (
              <Card
                key={charge.metric}
                title={charge.name}
                description={`${modelLabel[charge.price.model]} pricing${
                  charge.included_quantity !== '0'
                    ? ` · ${formatQuantity(charge.included_quantity)} ${plural(charge.unit, charge.included_quantity)} included`
                    : ''
                }`}
              >
                {charge.rates.length === 0 || charge.price.model !== 'per_unit' ? (
                  <PriceTable price={charge.price} unit={charge.unit} currency={currency} />
                ) : null}
                {charge.rates.length > 0 ? (
                  <table className="tier-table" aria-label={`${charge.name} rates`}>
                    <thead>
                      <tr>
                        <th>{dimensionsHeading(charge.dimensions)}</th>
                        <th className="num">Price</th>
                      </tr>
                    </thead>
                    <tbody>
                      {charge.rates.map((rate) => (
                        <tr key={dimensionLabel(rate.dimensions)}>
                          <td>{dimensionLabel(rate.dimensions)}</td>
                          <td className="num">{describePrice(rate.price, charge.unit, currency)}</td>
                        </tr>
                      ))}
                      <tr>
                        <td>Any other</td>
                        <td className="num">{describePrice(charge.price, charge.unit, currency)}</td>
                      </tr>
                    </tbody>
                  </table>
                ) : null}
              </Card>
            ))}
          </div>
        </section>
      ) : null}
    </Page>
  );
}

/**
 * What choosing this plan takes now, from the checkout's own quote (the rest of this period,
 * prorated by days, with tax), so the page says to the cent what the gateway will ask for. An
 * organization that pays for a plan already changes it with Modify plan, which credits the unused
 * days, rather than starting a second subscription.
 */
function FirstPayment({
  planId,
  planName,
  price,
  trialDays,
  checkout,
}: {
  planId: string;
  planName: string;
  price: string;
  trialDays: number;
  checkout: ReturnType<typeof useCheckout>;
}) {
  const { organization } = useSignedIn();
  const quote = useQuery(queries.checkoutQuote(organization.id, planId));
  const subscriptions = useQuery(queries.subscriptions(organization.id));
  if (quote.isPending) return <Loading label="Working out the first payment…" />;
  if (quote.error?.code === 'subscription.use_modify_plan') {
    const current = subscriptions.data?.data.find((s) => s.status !== 'cancelled');
    return (
      <div className="plan-detail-checkout">
        <p>
          This organization pays for {current ? current.plan_name : 'a plan'} already. Change to {planName}{' '}
          with Modify plan: it credits the unused days of the current plan and shows the exact amount before
          anything is charged.
        </p>
        <Link
          className={buttonClass('primary')}
          to={current ? `/billing/modify?subscription=${current.id}` : '/billing/modify'}
        >
          Modify plan
        </Link>
      </div>
    );
  }
  if (quote.error || !quote.data) return <Alert>{quote.error?.message ?? 'No price for this plan'}</Alert>;
  const q = quote.data;
  const [line] = q.lines;
  const from = formatDateIn(q.period_end, q.time_zone);
  return (
    <div className="plan-detail-checkout">
      {q.trialing ? (
        <p data-testid="first-payment">
          Nothing to pay now: {trialDays} days free, then {price}, with the saved card.
        </p>
      ) : q.total === 0 ? (
        <p>This plan costs nothing: it starts as soon as you select it.</p>
      ) : (
        <p data-testid="first-payment">
          You pay <strong>{formatAmount(q.total, q.currency)}</strong> now, on the payment gateway's page
          {line ? `: ${line.description}` : ''}
          {q.tax > 0
            ? `, ${formatAmount(q.subtotal, q.currency)} plus ${formatAmount(q.tax, q.currency)} tax`
            : ''}
          . Then {price} from {from}, with the saved card.
        </p>
      )}
      {checkout.error ? <Alert>{checkout.error}</Alert> : null}
      <Button
        variant="primary"
        busy={checkout.pending !== undefined}
        onClick={() => checkout.start(planId, planName)}
      >
        Select subscription
      </Button>
    </div>
  );
}

function PriceTable({ price, unit, currency }: { price: ChargePriceShape; unit: string; currency: string }) {
  if (price.model === 'per_unit' || price.model === 'package' || price.model === 'percentage')
    return <p>{describePrice(price, unit, currency)}</p>;
  return (
    <table className="tier-table">
      <thead>
        <tr>
          <th>{price.model === 'volume' ? 'Total quantity' : 'Units'}</th>
          <th className="num">Per {unit}</th>
          <th className="num">Flat fee</th>
        </tr>
      </thead>
      <tbody>
        {tierRanges(price.tiers).map(({ from, to, tier }) => (
          <tr key={`${from}-${to}`}>
            <td>
              {from} – {to}
            </td>
            <td className="num">{formatUnitPrice(tier.unit_price, currency)}</td>
            <td className="num">
              {tier.flat_price === '0' ? '—' : formatUnitPrice(tier.flat_price, currency)}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** ['machine_type', 'region'] → "Machine type × region". */
function dimensionsHeading(dimensions: string[]) {
  const words = dimensions.map((d) => d.replaceAll('_', ' ')).join(' × ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}
