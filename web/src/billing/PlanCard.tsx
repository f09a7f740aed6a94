import type { ReactNode } from 'react';
import type { OfferedPlan } from '../api/client';
import { formatQuantity } from '../shared/money';
import {
  type ChargeShape,
  describeCharge,
  describeLimit,
  describePrice,
  dimensionLabel,
  formatPlanPrice,
  type LimitShape,
} from '../shared/plans';
import { Badge } from '../ui';

/**
 * A plan as a card: its price per interval, its limits, included usage and rates. With `identify`
 * (another plan shown has the same name) it also says which plan it is: its code, version and whom it
 * is offered to.
 */
export function PlanCard({
  plan,
  action,
  identify = false,
}: {
  plan: OfferedPlan;
  action?: ReactNode;
  identify?: boolean;
}) {
  const { version, currency } = plan;
  const limits = version.limits as LimitShape[];
  const charges = version.charges as ChargeShape[];
  return (
    <article
      className={plan.current ? 'plan-card plan-card-current' : 'plan-card'}
      // Two cards of one name are told apart by ear too.
      aria-label={identify ? `${plan.name} (${plan.code})` : plan.name}
    >
      <header className="plan-card-header">
        <h3>{plan.name}</h3>
        {plan.current ? <Badge tone="success">Current plan</Badge> : null}
        {plan.environment !== 'any' ? (
          <Badge>{plan.environment === 'staging' ? 'Staging' : 'Production'}</Badge>
        ) : null}
      </header>
      {identify ? (
        <p className="plan-card-identity">
          <code>{plan.code}</code>
          <span>Version {version.version}</span>
          <span>{plan.visibility === 'restricted' ? 'Private offer' : 'Public plan'}</span>
        </p>
      ) : null}
      <p className="plan-card-price">{formatPlanPrice(version.base_price, currency, plan.interval)}</p>
      {version.trial_days > 0 ? <p className="plan-card-trial">{version.trial_days}-day free trial</p> : null}
      {plan.description ? <p className="plan-card-description">{plan.description}</p> : null}
      {limits.length > 0 ? (
        <ul className="plan-card-list" aria-label="Limits">
          {limits.map((limit) => (
            <li key={limit.feature}>
              {describeLimit(limit)}
              {limit.mode === 'soft' && limit.limit !== null ? (
                <span className="plan-card-note"> (soft)</span>
              ) : null}
            </li>
          ))}
        </ul>
      ) : null}
      {charges.length > 0 ? (
        <ul className="plan-card-list plan-card-usage" aria-label="Usage">
          {charges.map((charge) => (
            <li key={charge.metric}>
              <strong>{charge.name}:</strong> {describeCharge(charge, currency)}
              {charge.rates.map((rate) => (
                <span key={dimensionLabel(rate.dimensions)} className="plan-card-rate">
                  {dimensionLabel(rate.dimensions)}: {describePrice(rate.price, charge.unit, currency)}
                </span>
              ))}
            </li>
          ))}
        </ul>
      ) : null}
      {action ? <div className="plan-card-action">{action}</div> : null}
    </article>
  );
}

export const includedText = (charge: ChargeShape) =>
  charge.included_quantity === '0' ? '—' : `${formatQuantity(charge.included_quantity)} ${charge.unit}`;
