import type { Metric } from '../api/client';
import { plural } from '../shared/plans';
import { Button, Input, PlusIcon, Select } from '../ui';
import {
  type ChargeDraft,
  newCharge,
  newTier,
  type PricingModel,
  type RateDraft,
  type TierDraft,
  volumeSteps,
} from './plan-draft';

/**
 * Usage charges: per metric, a pricing model with its prices (a unit price, tiers, or packages), an
 * included quantity, and optionally per-unit rates by the metric's dimensions (a rate card).
 */

const models: { value: PricingModel; label: string }[] = [
  { value: 'per_unit', label: 'Per unit' },
  { value: 'graduated', label: 'Graduated' },
  { value: 'volume', label: 'Volume' },
  { value: 'package', label: 'Package' },
  { value: 'percentage', label: 'Percentage' },
];

const modelHints: Record<PricingModel, string> = {
  per_unit: 'Every unit at one price',
  graduated: 'Each tier prices the units inside it',
  volume: 'The tier the total falls in prices every unit',
  package: 'A started package costs a whole one',
  percentage: 'A share of each transaction, plus a fixed fee, within bounds',
};

type ErrorAt = (param: string) => string | undefined;

export function ChargesEditor({
  charges,
  metrics,
  currency,
  onChange,
  errorAt,
}: {
  charges: ChargeDraft[];
  metrics: Metric[];
  currency: string;
  onChange: (charges: ChargeDraft[]) => void;
  errorAt: ErrorAt;
}) {
  const update = (i: number, change: Partial<ChargeDraft>) =>
    onChange(charges.map((c, j) => (j === i ? { ...c, ...change } : c)));
  const unused = metrics.find((m) => !charges.some((c) => c.metric === m.code));

  return (
    <div className="editor-rows">
      {charges.length === 0 ? (
        <p className="editor-empty">No usage charges: the plan's price is its fee.</p>
      ) : null}
      {charges.map((charge, i) => {
        const n = i + 1;
        const metric = metrics.find((m) => m.code === charge.metric);
        const unit = metric?.unit ?? 'unit';
        const at = (field: string) => errorAt(`charges.${i}.${field}`);
        return (
          <fieldset key={charge.key} className="editor-block">
            <legend>Charge {n}</legend>
            <div className="editor-grid">
              <Select
                label="Metric"
                aria-label={`Charge ${n} metric`}
                value={charge.metric}
                onChange={(e) => update(i, { metric: e.target.value, dimensions: [], rates: [] })}
                options={metrics.map((m) => ({
                  value: m.code,
                  label: `${m.name} (${m.aggregation.replaceAll('_', ' ')})`,
                }))}
                error={at('metric')}
              />
              <Select
                label="Pricing model"
                aria-label={`Charge ${n} pricing model`}
                hint={modelHints[charge.model]}
                value={charge.model}
                onChange={(e) => update(i, { model: e.target.value as PricingModel })}
                options={models}
                error={at('price.model')}
              />
              <Input
                label="Included quantity"
                aria-label={`Charge ${n} included quantity`}
                inputMode="decimal"
                hint={`${plural(unit, '2')} in the fee before prices apply`}
                value={charge.included}
                onChange={(e) => update(i, { included: e.target.value })}
                error={at('included_quantity')}
              />
            </div>

            {charge.model === 'per_unit' ? (
              <div className="editor-grid">
                <Input
                  label={`Price per ${unit} (${currency})`}
                  aria-label={`Charge ${n} unit price`}
                  inputMode="decimal"
                  placeholder="0.0125"
                  value={charge.unit_price}
                  onChange={(e) => update(i, { unit_price: e.target.value })}
                  error={at('price.unit_price')}
                />
              </div>
            ) : null}
            {charge.model === 'package' ? (
              <div className="editor-grid">
                <Input
                  label={`${plural(unit, '2')} per package`}
                  aria-label={`Charge ${n} package size`}
                  inputMode="decimal"
                  value={charge.package_size}
                  onChange={(e) => update(i, { package_size: e.target.value })}
                  error={at('price.package_size')}
                />
                <Input
                  label={`Price per package (${currency})`}
                  aria-label={`Charge ${n} package price`}
                  inputMode="decimal"
                  value={charge.package_price}
                  onChange={(e) => update(i, { package_price: e.target.value })}
                  error={at('price.package_price')}
                />
              </div>
            ) : null}
            {charge.model === 'percentage' ? (
              <div className="editor-grid">
                <Input
                  label="Rate (%)"
                  aria-label={`Charge ${n} rate`}
                  inputMode="decimal"
                  value={charge.rate}
                  onChange={(e) => update(i, { rate: e.target.value })}
                  error={at('price.rate')}
                />
                <Input
                  label={`Fixed per transaction (${currency})`}
                  aria-label={`Charge ${n} fixed amount`}
                  inputMode="decimal"
                  value={charge.fixed_amount}
                  onChange={(e) => update(i, { fixed_amount: e.target.value })}
                  error={at('price.fixed_amount')}
                />
                <Input
                  label={`Least per transaction (${currency})`}
                  aria-label={`Charge ${n} minimum per transaction`}
                  inputMode="decimal"
                  value={charge.min_amount}
                  onChange={(e) => update(i, { min_amount: e.target.value })}
                  error={at('price.per_transaction_min_amount')}
                />
                <Input
                  label={`Most per transaction (${currency})`}
                  aria-label={`Charge ${n} maximum per transaction`}
                  inputMode="decimal"
                  value={charge.max_amount}
                  onChange={(e) => update(i, { max_amount: e.target.value })}
                  error={at('price.per_transaction_max_amount')}
                />
              </div>
            ) : null}
            {charge.model === 'graduated' || charge.model === 'volume' ? (
              <TiersEditor
                model={charge.model}
                tiers={charge.tiers}
                unit={unit}
                currency={currency}
                onChange={(tiers) => update(i, { tiers })}
                errorAt={(field) => at(`price.${field}`)}
              />
            ) : null}

            {metric && metric.dimensions.length > 0 && charge.model === 'per_unit' ? (
              <RatesEditor
                charge={charge}
                available={metric.dimensions}
                unit={unit}
                currency={currency}
                onChange={(change) => update(i, change)}
                errorAt={at}
              />
            ) : null}
            <div className="editor-block-actions">
              <Button
                size="small"
                variant="ghost"
                onClick={() => onChange(charges.filter((_, j) => j !== i))}
              >
                Remove charge {n}
              </Button>
            </div>
          </fieldset>
        );
      })}
      <div>
        <Button
          size="small"
          disabled={!unused}
          onClick={() => unused && onChange([...charges, newCharge(unused.code)])}
        >
          <PlusIcon size={16} />
          Add charge
        </Button>
        {metrics.length === 0 ? <span className="editor-note"> Define a metric first.</span> : null}
      </div>
    </div>
  );
}

function TiersEditor({
  model,
  tiers,
  unit,
  currency,
  onChange,
  errorAt,
}: {
  model: 'graduated' | 'volume';
  tiers: TierDraft[];
  unit: string;
  currency: string;
  onChange: (tiers: TierDraft[]) => void;
  errorAt: ErrorAt;
}) {
  const set = (i: number, change: Partial<TierDraft>) =>
    onChange(tiers.map((t, j) => (j === i ? { ...t, ...change } : t)));
  return (
    <div className="tier-editor">
      <table className="tier-table">
        <thead>
          <tr>
            <th>Tier</th>
            <th>From</th>
            <th>Up to ({plural(unit, '2')})</th>
            <th>
              Price per {unit} ({currency})
            </th>
            <th>Flat fee ({currency})</th>
            <th>
              <span className="visually-hidden">Remove</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {tiers.map((tier, i) => {
            const n = i + 1;
            const last = i === tiers.length - 1;
            const cellError =
              errorAt(`tiers.${i}.up_to`) ??
              errorAt(`tiers.${i}.unit_price`) ??
              errorAt(`tiers.${i}.flat_price`);
            return (
              <tr key={n} className={cellError ? 'tier-row-invalid' : undefined}>
                <td>{n}</td>
                <td className="tier-from">{i === 0 ? '0' : tiers[i - 1]?.up_to || '…'}</td>
                <td>
                  {last ? (
                    <span className="tier-infinity" title="The last tier has no upper bound">
                      ∞
                    </span>
                  ) : (
                    <input
                      className="input"
                      aria-label={`Tier ${n} up to`}
                      inputMode="decimal"
                      value={tier.up_to}
                      aria-invalid={errorAt(`tiers.${i}.up_to`) ? true : undefined}
                      onChange={(e) => set(i, { up_to: e.target.value })}
                    />
                  )}
                </td>
                <td>
                  <input
                    className="input"
                    aria-label={`Tier ${n} unit price`}
                    inputMode="decimal"
                    value={tier.unit_price}
                    aria-invalid={errorAt(`tiers.${i}.unit_price`) ? true : undefined}
                    onChange={(e) => set(i, { unit_price: e.target.value })}
                  />
                </td>
                <td>
                  <input
                    className="input"
                    aria-label={`Tier ${n} flat price`}
                    inputMode="decimal"
                    value={tier.flat_price}
                    aria-invalid={errorAt(`tiers.${i}.flat_price`) ? true : undefined}
                    onChange={(e) => set(i, { flat_price: e.target.value })}
                  />
                </td>
                <td>
                  {tiers.length > 1 ? (
                    <Button
                      size="small"
                      variant="ghost"
                      onClick={() => onChange(tiers.filter((_, j) => j !== i))}
                    >
                      Remove<span className="visually-hidden"> tier {n}</span>
                    </Button>
                  ) : null}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {tiers
        .map((_, i) => {
          const message =
            errorAt(`tiers.${i}.up_to`) ??
            errorAt(`tiers.${i}.unit_price`) ??
            errorAt(`tiers.${i}.flat_price`);
          return message ? `Tier ${i + 1}: ${message}` : undefined;
        })
        .filter((message) => message !== undefined)
        .map((message) => (
          <p key={message} className="field-error" role="alert">
            {message}
          </p>
        ))}
      {model === 'volume'
        ? volumeSteps(tiers).map((warning) => (
            <p key={warning} className="field-warning">
              {warning}
            </p>
          ))
        : null}
      {errorAt('tiers') ? (
        <p className="field-error" role="alert">
          {errorAt('tiers')}
        </p>
      ) : null}
      <Button size="small" onClick={() => onChange([...tiers, newTier()])}>
        <PlusIcon size={16} />
        Add tier
      </Button>
    </div>
  );
}

function RatesEditor({
  charge,
  available,
  unit,
  currency,
  onChange,
  errorAt,
}: {
  charge: ChargeDraft;
  available: string[];
  unit: string;
  currency: string;
  onChange: (change: Partial<ChargeDraft>) => void;
  errorAt: ErrorAt;
}) {
  const toggle = (dimension: string) => {
    const dimensions = charge.dimensions.includes(dimension)
      ? charge.dimensions.filter((d) => d !== dimension)
      : available.filter((d) => d === dimension || charge.dimensions.includes(d));
    onChange({
      dimensions,
      rates: dimensions.length === 0 ? [] : charge.rates,
      included: dimensions.length > 0 ? '0' : charge.included,
    });
  };
  const setRate = (i: number, change: Partial<RateDraft>) =>
    onChange({ rates: charge.rates.map((r, j) => (j === i ? { ...r, ...change } : r)) });
  return (
    <div className="rate-editor">
      <fieldset className="rate-dimensions">
        <legend className="field-label">Rates by</legend>
        {available.map((dimension) => (
          <label key={dimension} className="checkbox">
            <input
              type="checkbox"
              checked={charge.dimensions.includes(dimension)}
              onChange={() => toggle(dimension)}
            />
            {dimension.replaceAll('_', ' ')}
          </label>
        ))}
      </fieldset>
      {charge.dimensions.length > 0 ? (
        <>
          <p className="editor-note">
            Usage is split by {charge.dimensions.join(' × ').replaceAll('_', ' ')}; each group listed here has
            its own price per {unit}, every other group pays the price above.
          </p>
          {charge.rates.map((rate, i) => {
            const key = `rate-${i}`;
            return (
              <div key={key} className="rate-row">
                {charge.dimensions.map((dimension) => (
                  <Input
                    key={dimension}
                    label={dimension.replaceAll('_', ' ')}
                    aria-label={`Rate ${i + 1} ${dimension.replaceAll('_', ' ')}`}
                    value={rate.values[dimension] ?? ''}
                    onChange={(e) => setRate(i, { values: { ...rate.values, [dimension]: e.target.value } })}
                    error={errorAt(`rates.${i}.dimensions`)}
                  />
                ))}
                <Input
                  label={`Price per ${unit} (${currency})`}
                  aria-label={`Rate ${i + 1} unit price`}
                  inputMode="decimal"
                  value={rate.unit_price}
                  onChange={(e) => setRate(i, { unit_price: e.target.value })}
                  error={errorAt(`rates.${i}.price.unit_price`)}
                />
                <Button
                  size="small"
                  variant="ghost"
                  onClick={() => onChange({ rates: charge.rates.filter((_, j) => j !== i) })}
                >
                  Remove
                </Button>
              </div>
            );
          })}
          <Button
            size="small"
            onClick={() => onChange({ rates: [...charge.rates, { values: {}, unit_price: '' }] })}
          >
            <PlusIcon size={16} />
            Add rate
          </Button>
        </>
      ) : null}
    </div>
  );
}
