import { divideRounded, parseDecimal } from '../money/index.js';

/**
 * An invoice's totals from its lines and the customer's tax rule, in exact integers. Tax is computed
 * once per invoice on the sum of its lines and rounded half-up: exclusive tax is added on top
 * (subtotal × rate), inclusive tax is the part of the total that is tax (total × rate / (1 + rate)).
 */

export interface TaxRule {
  name: string;
  /** A percentage as a decimal string: "18", "7.25". "0" when the customer's country has none. */
  percent: string;
  inclusive: boolean;
}

export const NO_TAX: TaxRule = Object.freeze({ name: 'Tax', percent: '0', inclusive: false });

export interface InvoiceTotals {
  subtotal: bigint;
  tax: bigint;
  total: bigint;
}

export function invoiceTotals(lineAmounts: readonly bigint[], rule: TaxRule): InvoiceTotals {
  const sum = lineAmounts.reduce((a, b) => a + b, 0n);
  const { coefficient, scale } = parseDecimal(rule.percent);
  // rate = coefficient / (100 × 10^scale)
  const hundred = 100n * 10n ** BigInt(scale);
  if (coefficient === 0n) return { subtotal: sum, tax: 0n, total: sum };
  if (rule.inclusive) {
    const tax = divideRounded(sum * coefficient, hundred + coefficient, 'half_up');
    return { subtotal: sum - tax, tax, total: sum };
  }
  const tax = divideRounded(sum * coefficient, hundred, 'half_up');
  return { subtotal: sum, tax, total: sum + tax };
}
