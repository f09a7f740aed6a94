/**
 * How Billfold writes amounts, for integrations and the web app: the server's own formatter (bigint
 * minor units, ISO 4217 minor units, the currency's symbol in a locale), re-exported rather than
 * copied, so a page and an invoice never disagree on how an amount reads. The files behind it import
 * nothing but the currency table.
 */

export { currencyExponent, isCurrencyCode } from '../../server/src/money/currency.js';
export { type Amount, formatMoney, toDecimalString } from '../../server/src/money/format.js';
