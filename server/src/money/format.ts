import { currencyExponent } from './currency.js';
import type { Money } from './money.js';
import { toDecimalString } from './money.js';

// Building an Intl.NumberFormat is far slower than using one, and invoices format many amounts in the
// same locale and currency. The cache is bounded because locales can come from request headers.
const MAX_CACHED_FORMATTERS = 256;
const formatters = new Map<string, Intl.NumberFormat>();

function formatterFor(
  locale: string,
  currency: Money['currency'],
  display: 'symbol' | 'code' = 'symbol',
): Intl.NumberFormat {
  const key = `${locale}|${currency}|${display}`;
  const cached = formatters.get(key);
  if (cached !== undefined) return cached;

  const exponent = currencyExponent(currency);
  // Fraction digits from our ISO table rather than the locale data, so the display always shows
  // exactly the minor units we store (and never rounds them away).
  const formatter = new Intl.NumberFormat(locale, {
    style: 'currency',
    currency,
    currencyDisplay: display,
    minimumFractionDigits: exponent,
    maximumFractionDigits: exponent,
  });
  if (formatters.size >= MAX_CACHED_FORMATTERS) formatters.clear();
  formatters.set(key, formatter);
  return formatter;
}

/**
 * Formats an amount for people, in a BCP 47 locale:
 * USD 123456n en-US → '$1,234.56', INR 12345678n en-IN → '₹1,23,456.78', JPY 1000n ja-JP → '￥1,000'.
 * `display: 'code'` writes 'INR 1,23,456.78', for documents whose fonts lack a currency's symbol.
 *
 * Intl receives an exact decimal string, not a number: a number would lose digits on amounts above
 * 2^53 minor units, and a string is formatted digit for digit.
 */
export function formatMoney(m: Money, locale = 'en-US', display: 'symbol' | 'code' = 'symbol'): string {
  // toDecimalString always yields a plain decimal such as '-12.34', which is what `${number}` stands for.
  const decimal = toDecimalString(m) as `${number}`;
  return formatterFor(locale, m.currency, display).format(decimal);
}
