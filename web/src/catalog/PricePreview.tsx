import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import type { Body, PricePreview as Preview } from '../api/client';
import { queries } from '../api/queries';
import { useSignedIn } from '../api/session';
import { formatAmount, formatQuantity, formatUnitPrice } from '../shared/money';
import { useDebounced } from '../shared/useDebounced';
import { Alert, Card, Input, TableScroll } from '../ui';
import { type ChargeDraft, type PlanDraft, pricingBody } from './plan-draft';

/** Typing pauses this long before the terms are priced again. */
const SETTLE_MS = 300;

interface UsageRow {
  metric: string;
  dimensions: Record<string, string>;
}

/** One row per charge, and one per rate-card group (plus "other") for charges priced by dimension. */
function usageRows(charges: readonly ChargeDraft[]): UsageRow[] {
  return charges.flatMap((charge) => {
    if (charge.dimensions.length === 0) return [{ metric: charge.metric, dimensions: {} }];
    const groups = charge.rates.map((rate) => ({
      metric: charge.metric,
      dimensions: Object.fromEntries(charge.dimensions.map((d) => [d, (rate.values[d] ?? '').trim()])),
    }));
    const other = {
      metric: charge.metric,
      dimensions: Object.fromEntries(charge.dimensions.map((d) => [d, 'other'])),
    };
    return [...groups, other];
  });
}

const rowKey = (row: UsageRow) => `${row.metric}|${JSON.stringify(row.dimensions)}`;

/**
 * "What would 1,250 computations and 300 machine hours cost on these terms?", priced by the billing
 * core as the operator edits them, before anything is saved: a line per charge and, under a tiered
 * charge, a line per tier with its quantity, unit price and amount.
 */
export function PricePreview({
  draft,
  metricNames,
}: {
  draft: PlanDraft;
  metricNames: ReadonlyMap<string, string>;
}) {
  const { organization } = useSignedIn();
  const [quantities, setQuantities] = useState<Record<string, string>>({});
  const rows = usageRows(draft.charges);
  const pricing = pricingBody(draft);
  const { trial_days: _trial, ...terms } = 'body' in pricing ? pricing.body : {};
  const body =
    'body' in pricing
      ? ({
          name: draft.name.trim() || 'New plan',
          currency: draft.currency,
          interval: draft.interval,
          ...terms,
          usage: rows
            .map((row) => ({ ...row, quantity: (quantities[rowKey(row)] ?? '').trim().replaceAll(',', '') }))
            .filter((row) => row.quantity !== ''),
        } as Body<'/v1/operator/price_previews', 'post'>)
      : undefined;
  // The request body as text: an object made anew on each render would never settle.
  const settled = useDebounced(body ? JSON.stringify(body) : '', SETTLE_MS);
  const preview = useQuery({
    ...queries.draftPrice(organization.id, settled ? JSON.parse(settled) : {}),
    enabled: settled !== '',
  });

  const label = (row: UsageRow) => {
    const values = Object.values(row.dimensions).filter(Boolean);
    return `${metricNames.get(row.metric) ?? row.metric}${values.length ? ` (${values.join(' · ')})` : ''} quantity`;
  };

  return (
    <Card
      title="Price preview"
      description="What usage would cost on these terms, billed as an invoice would bill it. It follows your edits; nothing is saved."
    >
      {rows.length > 0 ? (
        <div className="editor-grid preview-form">
          {rows.map((row) => (
            <Input
              key={rowKey(row)}
              label={label(row)}
              inputMode="decimal"
              placeholder="0"
              value={quantities[rowKey(row)] ?? ''}
              onChange={(e) => setQuantities((q) => ({ ...q, [rowKey(row)]: e.target.value }))}
            />
          ))}
        </div>
      ) : (
        <p className="editor-note">These terms have no usage charges; the preview is the fee.</p>
      )}
      {'problem' in pricing ? (
        <Alert tone="info">The preview waits for the terms above: {pricing.problem.message}</Alert>
      ) : preview.error ? (
        <Alert>{preview.error.message}</Alert>
      ) : null}
      {preview.data && !('problem' in pricing) && !preview.error ? (
        <PreviewLines result={preview.data} />
      ) : null}
    </Card>
  );
}

function PreviewLines({ result }: { result: Preview }) {
  const money = (minor: number) => formatAmount(minor, result.currency);
  return (
    <TableScroll label="Preview lines">
      <table className="tier-table preview-table" aria-label="Preview lines">
        <thead>
          <tr>
            <th>Line</th>
            <th className="num">Quantity</th>
            <th className="num">Billable</th>
            <th className="num">Unit price</th>
            <th className="num">Amount</th>
          </tr>
        </thead>
        <tbody>
          {result.lines.flatMap((line) => [
            <tr key={line.description}>
              <td>{line.description}</td>
              <td className="num">{formatQuantity(line.quantity)}</td>
              <td className="num">{formatQuantity(line.billable_quantity)}</td>
              <td className="num">
                {line.tiers.length === 1
                  ? formatUnitPrice(line.tiers[0]?.unit_price ?? '0', result.currency)
                  : ''}
              </td>
              <td className="num">{money(line.amount)}</td>
            </tr>,
            // A tiered charge shows how its quantity fell into the tiers.
            ...(line.tiers.length > 1
              ? line.tiers.map((tier) => (
                  <tr key={`${line.description} ${tier.from}`} className="preview-tier">
                    <td>
                      {tier.to === null
                        ? `above ${formatQuantity(tier.from)}`
                        : `${formatQuantity(tier.from)} to ${formatQuantity(tier.to)}`}
                      {tier.flat_price !== '0'
                        ? `, plus ${formatUnitPrice(tier.flat_price, result.currency)} flat`
                        : ''}
                    </td>
                    <td />
                    <td className="num">{formatQuantity(tier.quantity)}</td>
                    <td className="num">{formatUnitPrice(tier.unit_price, result.currency)}</td>
                    <td className="num">{formatUnitPrice(tier.subtotal, result.currency)}</td>
                  </tr>
                ))
              : []),
          ])}
        </tbody>
        <tfoot>
          <tr>
            <th colSpan={4}>Total</th>
            <th className="num">{money(result.total)}</th>
          </tr>
        </tfoot>
      </table>
    </TableScroll>
  );
}
