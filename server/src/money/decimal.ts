import type { Decimal as DecimalInstance } from 'decimal.js';
import decimalModule from 'decimal.js';
import { InvalidDecimalError } from './errors.js';

/**
 * decimal.js ships CommonJS-style type definitions but Node loads its ESM build, whose only export is the
 * constructor as `default`. Under NodeNext TypeScript therefore types the default import as the module
 * object, not the constructor. Rather than cast, check the shape at load time and accept either form.
 */
function isDecimalConstructor(value: unknown): value is typeof DecimalInstance {
  return typeof value === 'function' && 'clone' in value && typeof value.clone === 'function';
}

function loadDecimalConstructor(loaded: unknown): typeof DecimalInstance {
  if (isDecimalConstructor(loaded)) return loaded;
  if (typeof loaded === 'object' && loaded !== null && 'default' in loaded) {
    if (isDecimalConstructor(loaded.default)) return loaded.default;
  }
  throw new Error('decimal.js did not load as a Decimal constructor');
}

const LibraryDecimal = loadDecimalConstructor(decimalModule);

/**
 * The project's Decimal: a private clone of decimal.js, so nothing here depends on (or changes) the
 * library's global configuration.
 *
 * - precision 50 significant digits: a price with up to ~30 digits times any int8 quantity is exact.
 *   Division is not exact at any precision; to split an amount use `allocate`, not division.
 * - toExpNeg/toExpPos at their limits: toString() never switches to exponent notation, so a Decimal can
 *   always be read back as a plain decimal string.
 *
 * Use it for unit prices and rates (a machine hour at 0.0125 USD). Money itself never holds a Decimal:
 * amounts are bigint minor units and reach them through `roundDecimalToMinor`.
 */
export const Decimal = LibraryDecimal.clone({
  precision: 50,
  // Only for the rare intermediate result over 50 digits; rounding to minor units is in rounding.ts.
  rounding: LibraryDecimal.ROUND_HALF_UP,
  toExpNeg: -9e15,
  toExpPos: 9e15,
});
export type Decimal = DecimalInstance;

/** A decimal value as callers hold it: a plain decimal string ('0.0125') or a Decimal. Never a number. */
export type DecimalInput = string | Decimal;

/** An exact decimal: coefficient × 10^-scale. '-12.345' is { coefficient: -12345n, scale: 3 }. */
export type ExactDecimal = { readonly coefficient: bigint; readonly scale: number };

// Optional sign, digits, optional fraction. No exponent, no spaces, no thousands separators, no '.5'.
const PLAIN_DECIMAL = /^([+-]?)(\d+)(?:\.(\d+))?$/;

/**
 * Parses a plain decimal string, or a finite Decimal, into an exact bigint representation. This is
 * how decimals cross into integer arithmetic without touching a float.
 */
export function parseDecimal(value: DecimalInput): ExactDecimal {
  const text = typeof value === 'string' ? value : decimalToPlainString(value);
  const match = PLAIN_DECIMAL.exec(text);
  if (match === null) throw new InvalidDecimalError(text);
  const [, sign = '', whole = '', fraction = ''] = match;
  const magnitude = BigInt(whole + fraction);
  return { coefficient: sign === '-' ? -magnitude : magnitude, scale: fraction.length };
}

function decimalToPlainString(value: Decimal): string {
  // Guards plain-JavaScript callers: a number here would already have lost digits.
  if (!Decimal.isDecimal(value)) {
    throw new InvalidDecimalError(String(value), 'expected a string or a Decimal');
  }
  // Copying into our clone makes toString() use our no-exponent settings even when the value was built
  // by another decimal.js constructor. The copy keeps every digit: the constructor does not round.
  const own = new Decimal(value);
  if (!own.isFinite()) throw new InvalidDecimalError(own.toString(), 'expected a finite value');
  return own.toString();
}
