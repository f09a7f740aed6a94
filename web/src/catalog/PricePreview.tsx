import { type FormEvent, useState } from 'react';
import { api, type Plan, type PricePreview as Preview } from '../api/client';
import { useSubmit } from '../api/forms';
import { formatAmount, formatQuantity } from '../shared/money';
import type { ChargeShape } from '../shared/plans';
import { Alert, Button, Card, Input, TableScroll } from '../ui';

interface UsageRow {
  metric: string;
  dimensions: Record<string, string>;
  quantity: string;
}

/** One row per charge, and one per rate-card group for charges priced by dimension. */
function initialRows(charges: ChargeShape[]): UsageRow[] {
  return charges.flatMap((charge) =>
    charge.dimensions.length === 0
      ? [{ metric: charge.metric, dimensions: {}, quantity: '' }]
      : [
          ...charge.rates.map((rate) => ({
            metric: charge.metric,
            dimensions: rate.dimensions,
            quantity: '',
          })),
          {
            metric: charge.metric,
            dimensions: Object.fromEntries(charge.dimensions.map((d) => [d, 'other'])),
            quantity: '',
          },
        ],
  );
}

/** "What would 1,250 computations and 300 machine hours cost on this plan?" */
export function PricePreview({ plan }: { plan: Plan }) {
  const charges = plan.version.charges as ChargeShape[];
  const [rows, setRows] = useState(() => initialRows(charges));
  // The last preview stays shown while the next is worked out.
  const [result, setResult] = useState<Preview | undefined>();
  const preview = useSubmit({
    send: (usage: UsageRow[]) =>
      api.POST('/v1/operator/plans/{plan_id}/preview', {
        params: { path: { plan_id: plan.id } },
        body: { usage },
      }),
    onSuccess: setResult,
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    preview.submit(
      rows
        .filter((r) => r.quantity.trim() !== '')
        .map((r) => ({ ...r, quantity: r.quantity.trim().replaceAll(',', '') })),
    );
  };

  const label = (row: UsageRow) => {
    const charge = charges.find((c) => c.metric === row.metric);
    const values = Object.values(row.dimensions);
    return `${charge?.name ?? row.metric}${values.length ? ` (${values.join(' · ')})` : ''} quantity`;
  };

  return (
    <Card
      title="Price preview"
      description={`What usage would cost on version ${plan.version.version}, billed as an invoice would bill it.`}
    >
      <form className="preview-form" onSubmit={submit}>
        <div className="editor-grid">
          {rows.map((row, i) => (
            <Input
              key={label(row)}
              label={label(row)}
              inputMode="decimal"
              placeholder="0"
              value={row.quantity}
              onChange={(e) =>
                setRows(rows.map((r, j) => (j === i ? { ...r, quantity: e.target.value } : r)))
              }
            />
          ))}
        </div>
        {rows.length === 0 ? (
          <p className="editor-note">This plan has no usage charges; the preview is its fee.</p>
        ) : null}
        <div>
          <Button type="submit" busy={preview.pending}>
            Preview
          </Button>
        </div>
      </form>
      {preview.errors.general ? <Alert>{preview.errors.general}</Alert> : null}
      {result ? (
        <TableScroll label="Preview lines">
          <table className="tier-table preview-table" aria-label="Preview lines">
            <thead>
              <tr>
                <th>Line</th>
                <th className="num">Quantity</th>
                <th className="num">Billable</th>
                <th className="num">Amount</th>
              </tr>
            </thead>
            <tbody>
              {result.lines.map((line) => (
                <tr key={line.description}>
                  <td>{line.description}</td>
                  <td className="num">{formatQuantity(line.quantity)}</td>
                  <td className="num">{formatQuantity(line.billable_quantity)}</td>
                  <td className="num">{formatAmount(line.amount, result.currency)}</td>
                </tr>
              ))}
            </tbody>
            <tfoot>
              <tr>
                <th colSpan={3}>Total</th>
                <th className="num">{formatAmount(result.total, result.currency)}</th>
              </tr>
            </tfoot>
          </table>
        </TableScroll>
      ) : null}
    </Card>
  );
}
