import type { CurrencyCode } from './currency.js';

/**
 * Stable, machine-readable codes. Callers (HTTP error mapping, logs, tests) switch on `code`, never on
 * the message, so messages can be improved without breaking anyone.
 */
export type MoneyErrorCode =
  | 'money.currency_mismatch'
  | 'money.unknown_currency'
  | 'money.invalid_amount'
  | 'money.invalid_decimal'
  | 'money.precision_loss'
  | 'money.division_by_zero'
  | 'money.invalid_rounding_mode'
  | 'money.invalid_allocation';

/** Base class for every error thrown by the money primitives. */
export class MoneyError extends Error {
  readonly code: MoneyErrorCode;

  constructor(code: MoneyErrorCode, message: string) {
    super(message);
    this.code = code;
    this.name = new.target.name;
  }
}

/** Two amounts in different currencies met in one operation. There is no implicit conversion. */
export class CurrencyMismatchError extends MoneyError {
  readonly expected: CurrencyCode;
  readonly actual: CurrencyCode;

  constructor(expected: CurrencyCode, actual: CurrencyCode) {
    super('money.currency_mismatch', `Currency mismatch: expected ${expected}, got ${actual}`);
    this.expected = expected;
    this.actual = actual;
  }
}

/** A currency code that is not in our ISO 4217 table. */
export class UnknownCurrencyError extends MoneyError {
  readonly currency: string;

  constructor(currency: string) {
    super('money.unknown_currency', `Unknown currency code: ${JSON.stringify(currency)}`);
    this.currency = currency;
  }
}

/** An amount that is not a bigint (for example a number that slipped in from JSON). */
export class InvalidAmountError extends MoneyError {
  constructor(message: string) {
    super('money.invalid_amount', message);
  }
}

/** A string that is not a plain decimal such as '12.34', '-0.5' or '7'. */
export class InvalidDecimalError extends MoneyError {
  readonly input: string;

  constructor(input: string, reason = 'expected a plain decimal such as 12.34') {
    super('money.invalid_decimal', `Invalid decimal ${JSON.stringify(input)}: ${reason}`);
    this.input = input;
  }
}

/** Converting would silently drop digits and no rounding mode was given to say how. */
export class PrecisionLossError extends MoneyError {
  constructor(message: string) {
    super('money.precision_loss', message);
  }
}

export class DivisionByZeroError extends MoneyError {
  constructor() {
    super('money.division_by_zero', 'Division by zero');
  }
}

export class InvalidRoundingModeError extends MoneyError {
  constructor(mode: string) {
    super('money.invalid_rounding_mode', `Unknown rounding mode: ${JSON.stringify(mode)}`);
  }
}

/** Weights or part counts that cannot describe a split. */
export class InvalidAllocationError extends MoneyError {
  constructor(message: string) {
    super('money.invalid_allocation', message);
  }
}
