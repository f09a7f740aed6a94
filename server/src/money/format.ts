import { currencyExponent, parseCurrencyCode } from './currency.js';

/**
 * How amounts are written: as exact decimal strings for machines, and as people read them, the one
 * way Billfold writes money everywhere (invoices as HTML and PDF, pages, the web app through the
 * SDK, which re-exports this file). It imports only the currency table, so the web app's bundle
 * takes no more than that.
 */

/** An amount of minor units and its currency; a Money, or an amount and a currency from JSON. */
export interface Amount {
  readonly amount: bigint;
  readonly currency: string;
}

/**
 * The amount as a plain decimal string in major units: 1234n USD → '12.34', -5n USD → '-0.05',
 * 1000n JPY → '1000'. Digit for digit from the bigint, so nothing is lost at any size. No grouping
 * or symbol; for people use formatMoney.
 */
export function toDecimalString(m: Amount): string {
  const exponent = currencyExponent(parseCurrencyCode(m.currency));
  const negative = m.amount < 0n;
  const digits = (negative ? -m.amount : m.amount).toString().padStart(exponent + 1, '0');
  const whole = digits.slice(0, digits.length - exponent);
  const fraction = digits.slice(digits.length - exponent);
  return `${negative ? '-' : ''}${whole}${exponent > 0 ? `.${fraction}` : ''}`;
}

// Building an Intl.NumberFormat is far slower than using one, and invoices format many amounts in the
// same locale and currency. The cache is bounded because locales can come from request headers.
const MAX_CACHED_FORMATTERS = 256;
const formatters = new Map<string, Intl.NumberFormat>();

function formatterFor(locale: string, currency: string): Intl.NumberFormat {
  const key = `${locale}|${currency}`;
  const cached = formatters.get(key);
  if (cached !== undefined) return cached;

  const exponent = currencyExponent(parseCurrencyCode(currency));
  // Fraction digits from our ISO table rather than the locale data, so the display always shows
  // exactly the minor units we store (and never rounds them away).
  const formatter = new Intl.NumberFormat(locale, {
    style: 'currency',
    currency,
    currencyDisplay: 'symbol',
    minimumFractionDigits: exponent,
    maximumFractionDigits: exponent,
  });
  if (formatters.size >= MAX_CACHED_FORMATTERS) formatters.clear();
  formatters.set(key, formatter);
  return formatter;
}

/**
 * The locale Billfold writes a customer's amounts in, by its country (ISO 3166): Indian English in
 * India, whose amounts group by lakhs (₹1,23,456.78), American English everywhere else ($1,234.56,
 * US$ never). Not `en-<country>` for every country: Intl's English variants write the currency's
 * code (en-AU: USD 1,234.56), put the sign after the amount (en-SE) or change with the locale data,
 * and an invoice issued must read the same each time it is rendered.
 */
export function localeFor(country: string): 'en-IN' | 'en-US' {
  return country === 'IN' ? 'en-IN' : 'en-US';
}

/**
 * Formats an amount for people in a BCP 47 locale, with the currency's symbol and its minor units:
 * USD 123456n en-US → '$1,234.56', INR 12345678n en-IN → '₹1,23,456.78', EUR -1250n en-IE →
 * '-€12.50', JPY 1000n en-JP → '¥1,000'.
 *
 * Intl receives the exact decimal string, not a number: a number would lose digits beyond 2^53
 * minor units, and a string is formatted digit for digit.
 */
export function formatMoney(m: Amount, locale = 'en-US'): string {
  // toDecimalString yields a plain decimal such as '-12.34', which is what `${number}` stands for.
  const decimal = toDecimalString(m) as `${number}`;
  return formatterFor(locale, m.currency).format(decimal);
}
