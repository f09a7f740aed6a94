import { currencyExponent, formatMoney, isCurrencyCode, toDecimalString } from '@billfold/sdk';

/**
 * Money as people read it. The API sends amounts as integers in minor units (cents, paise, yen) and
 * unit prices as decimal strings. Amounts are written by Billfold's one formatter (the SDK's, the
 * server's own, which invoices use too), in the reader's locale (an invoice is in American or Indian
 * English); decimal strings are
 * formatted by Intl, which formats strings exactly: no float ever touches an amount.
 */

/** Minor-unit digits of a currency, from ISO 4217: 2 for USD and INR, 0 for JPY, 3 for KWD. */
export function currencyDigits(currency: string): number {
  // A code being typed is not a currency yet: cents until it is one (the server refuses others).
  return isCurrencyCode(currency) ? currencyExponent(currency) : 2;
}

/** 123456 (minor units) → "1234.56" for USD. */
export function minorToDecimal(amount: number, currency: string): string {
  return toDecimalString({ amount: BigInt(amount), currency });
}

/** "1234.56" (major units) → 123456, or undefined when it is not an amount in this currency. */
export function decimalToMinor(text: string, currency: string): number | undefined {
  const digits = currencyDigits(currency);
  const match = /^(\d{1,13})(?:\.(\d*))?$/.exec(text.trim().replace(/,/g, ''));
  if (!match) return undefined;
  const fraction = match[2] ?? '';
  if (fraction.length > digits) return undefined;
  return Number.parseInt(`${match[1]}${fraction.padEnd(digits, '0')}`, 10);
}

type Formattable = Parameters<Intl.NumberFormat['format']>[0];

/** $1,234.56 from minor units (an integer in the API's JSON, exact up to 2^53), in the reader's locale. */
export function formatAmount(amount: number, currency: string): string {
  return formatMoney({ amount: BigInt(amount), currency }, navigator.language);
}

/** A unit price given as a decimal string in major units, with all its digits: $0.0125. */
export function formatUnitPrice(price: string, currency: string): string {
  const fractionDigits = price.includes('.') ? (price.split('.')[1]?.length ?? 0) : 0;
  const nf = new Intl.NumberFormat(undefined, {
    style: 'currency',
    currency,
    minimumFractionDigits: Math.max(currencyDigits(currency), Math.min(fractionDigits, 12)),
    maximumFractionDigits: Math.max(currencyDigits(currency), Math.min(fractionDigits, 12)),
  });
  return nf.format(price as unknown as Formattable);
}

/** A quantity given as a decimal string: 1250 → "1,250". */
export function formatQuantity(quantity: string): string {
  return new Intl.NumberFormat(undefined, { maximumFractionDigits: 12 }).format(
    quantity as unknown as Formattable,
  );
}

/** Compares two non-negative decimal strings exactly: -1, 0 or 1. */
export function compareDecimals(a: string, b: string): number {
  const [ai = '0', af = ''] = a.split('.');
  const [bi = '0', bf = ''] = b.split('.');
  const aw = ai.replace(/^0+(?=\d)/, '');
  const bw = bi.replace(/^0+(?=\d)/, '');
  if (aw.length !== bw.length) return aw.length < bw.length ? -1 : 1;
  const width = Math.max(af.length, bf.length);
  const ax = aw + af.padEnd(width, '0');
  const bx = bw + bf.padEnd(width, '0');
  return ax === bx ? 0 : ax < bx ? -1 : 1;
}
