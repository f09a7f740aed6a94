import { Link, useNavigate, useParams } from 'react-router';
import { api, unwrap } from '../api/client';
import { useSignedIn } from '../api/session';
import { useApi } from '../api/useApi';
import { formatQuantity, formatUnitPrice } from '../shared/money';
import {
  type ChargePriceShape,
  type ChargeShape,
  describeLimit,
  describePrice,
  dimensionLabel,
  formatPlanPrice,
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
  const checkout = useCheckout(() => navigate('/billing'));
  const plan = useApi(
    () => unwrap(api.GET('/v1/plans/{plan_id}', { params: { path: { plan_id: planId } } })),
    [organization.id, planId],
  );

  if (plan.loading && !plan.data) return <Loading />;
  if (plan.error || !plan.data) {
    return (
      <Page title="Plan">
        <Alert>{plan.error?.message ?? 'No such plan'}</Alert>
        <p>
          <Link to="/billing">Back to Billing</Link>
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
        <Link className={buttonClass('secondary')} to="/billing">
          Back to plans
        </Link>
      }
    >
      <Card
        title={formatPlanPrice(version.base_price, currency, plan.data.interval)}
        description={[
          version.trial_days > 0 ? `${version.trial_days}-day free trial` : null,
          `Billed ${plan.data.interval === 'year' ? 'yearly' : 'monthly'} in ${currency}, before tax`,
          `version ${version.version}`,
        ]
          .filter(Boolean)
          .join(' · ')}
        actions={plan.data.current ? <Badge tone="success">Your current plan</Badge> : undefined}
      >
        {plan.data.current ? (
          <p>This organization is on this plan.</p>
        ) : permissions.manage ? (
          <div className="plan-detail-checkout">
            <p>
              You pay{' '}
              {formatPlanPrice(version.base_price, currency, plan.data.interval).replace(
                ' / ',
                ' for the first ',
              )}{' '}
              now, on the payment gateway's page; then every {plan.data.interval} with the saved card.
            </p>
            {checkout.error ? <Alert>{checkout.error}</Alert> : null}
            <Button
              variant="primary"
              busy={checkout.pending !== undefined}
              onClick={() => checkout.start(plan.data?.id ?? planId, plan.data?.name ?? '')}
            >
              Select subscription
            </Button>
          </div>
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
          <div className="plan-grid">
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

function PriceTable({ price, unit, currency }: { price: ChargePriceShape; unit: string; currency: string }) {
  if (price.model === 'per_unit' || price.model === 'package')
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
