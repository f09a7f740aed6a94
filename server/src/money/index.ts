// Public surface of the money primitives. Other modules import from here, never from the files behind it.
export { allocate, allocateEvenly } from './allocate.js';
export type { CurrencyCode } from './currency.js';
export { CURRENCY_CODES, currencyExponent, isCurrencyCode, parseCurrencyCode } from './currency.js';
export type { DecimalInput, ExactDecimal } from './decimal.js';
export { Decimal, parseDecimal } from './decimal.js';
export type { MoneyErrorCode } from './errors.js';
export {
  CurrencyMismatchError,
  DivisionByZeroError,
  InvalidAllocationError,
  InvalidAmountError,
  InvalidDecimalError,
  InvalidRoundingModeError,
  MoneyError,
  PrecisionLossError,
  UnknownCurrencyError,
} from './errors.js';
export { type Amount, formatMoney, localeFor, toDecimalString } from './format.js';
export type { Fraction, Money } from './money.js';
export {
  add,
  compare,
  fromDecimalString,
  isNegative,
  isPositive,
  isZero,
  money,
  multiplyByDecimal,
  multiplyByFraction,
  negate,
  subtract,
  sum,
  zero,
} from './money.js';
export type { RoundingMode } from './rounding.js';
export {
  DEFAULT_ROUNDING_MODE,
  divideRounded,
  isRoundingMode,
  ROUNDING_MODES,
  roundDecimalToMinor,
} from './rounding.js';
