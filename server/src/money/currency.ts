import { UnknownCurrencyError } from './errors.js';

/**
 * ISO 4217 currencies and their minor-unit exponent: an amount of 1234n USD (exponent 2) is 12.34 USD,
 * 1234n JPY (exponent 0) is 1,234 JPY, 1234n KWD (exponent 3) is 1.234 KWD.
 *
 * The exponents are ISO 4217's, not a payment provider's: some providers treat HUF, TWD or ISK
 * differently, and that translation belongs in the gateway adapter, not here. Add currencies as
 * customers need them; the exponent must come from the ISO 4217 list.
 */
const MINOR_UNIT_EXPONENTS = {
  AED: 2,
  ARS: 2,
  AUD: 2,
  BDT: 2,
  BHD: 3,
  BIF: 0,
  BRL: 2,
  CAD: 2,
  CHF: 2,
  CLP: 0,
  CNY: 2,
  COP: 2,
  CZK: 2,
  DJF: 0,
  DKK: 2,
  EGP: 2,
  EUR: 2,
  GBP: 2,
  GNF: 0,
  HKD: 2,
  HUF: 2,
  IDR: 2,
  ILS: 2,
  INR: 2,
  IQD: 3,
  ISK: 0,
  JOD: 3,
  JPY: 0,
  KES: 2,
  KMF: 0,
  KRW: 0,
  KWD: 3,
  LKR: 2,
  LYD: 3,
  MXN: 2,
  MYR: 2,
  NGN: 2,
  NOK: 2,
  NZD: 2,
  OMR: 3,
  PEN: 2,
  PHP: 2,
  PKR: 2,
  PLN: 2,
  PYG: 0,
  QAR: 2,
  RON: 2,
  RWF: 0,
  SAR: 2,
  SEK: 2,
  SGD: 2,
  THB: 2,
  TND: 3,
  TRY: 2,
  TWD: 2,
  UAH: 2,
  UGX: 0,
  USD: 2,
  UYU: 2,
  VND: 0,
  VUV: 0,
  XAF: 0,
  XOF: 0,
  XPF: 0,
  ZAR: 2,
} as const satisfies Record<string, 0 | 2 | 3>;

/** An upper-case ISO 4217 code that this table knows, such as 'USD'. */
export type CurrencyCode = keyof typeof MINOR_UNIT_EXPONENTS;

/**
 * True when `value` is a known currency code. Codes are case-sensitive ('usd' is not a code): normalise
 * at the edge where the input arrives, so stored data has one spelling.
 */
export function isCurrencyCode(value: unknown): value is CurrencyCode {
  // hasOwn, not `in`: 'toString' and friends live on the prototype and are not currencies.
  return typeof value === 'string' && Object.hasOwn(MINOR_UNIT_EXPONENTS, value);
}

/** Every known currency code, alphabetically. */
export const CURRENCY_CODES: readonly CurrencyCode[] = Object.freeze(
  Object.keys(MINOR_UNIT_EXPONENTS).filter(isCurrencyCode).sort(),
);

/** Validates untrusted input (a request body, a database row) into a CurrencyCode. */
export function parseCurrencyCode(value: string): CurrencyCode {
  if (!isCurrencyCode(value)) throw new UnknownCurrencyError(value);
  return value;
}

/**
 * Number of minor-unit digits of the currency (USD 2, JPY 0, KWD 3). Checks at run time too, because a
 * CurrencyCode can arrive from plain JavaScript or a cast.
 */
export function currencyExponent(code: CurrencyCode): number {
  if (!isCurrencyCode(code)) throw new UnknownCurrencyError(String(code));
  return MINOR_UNIT_EXPONENTS[code];
}
