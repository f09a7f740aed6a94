import { describe, expect, it } from 'vitest';
import type { CurrencyCode } from './index.js';
import {
  add,
  allocate,
  allocateEvenly,
  CURRENCY_CODES,
  CurrencyMismatchError,
  compare,
  currencyExponent,
  Decimal,
  divideRounded,
  formatMoney,
  fromDecimalString,
  isCurrencyCode,
  isNegative,
  isPositive,
  isRoundingMode,
  isZero,
  localeFor,
  MoneyError,
  money,
  multiplyByDecimal,
  multiplyByFraction,
  negate,
  parseCurrencyCode,
  parseDecimal,
  roundDecimalToMinor,
  subtract,
  sum,
  toDecimalString,
  zero,
} from './index.js';

const usd = (amount: bigint) => money(amount, 'USD');
const amounts = (list: readonly { amount: bigint }[]) => list.map((m) => m.amount);

/** Runs `fn` and returns the `code` of the MoneyError it throws. */
function errorCode(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof MoneyError) return error.code;
    throw error;
  }
  throw new Error('expected a MoneyError');
}

describe('currency', () => {
  it('knows the exponents', () => {
    const expected: Record<string, number> = {
      USD: 2,
      EUR: 2,
      GBP: 2,
      INR: 2,
      JPY: 0,
      KRW: 0,
      KWD: 3,
      BHD: 3,
      CHF: 2,
      CAD: 2,
      AUD: 2,
      SGD: 2,
      AED: 2,
      BRL: 2,
      MXN: 2,
      CNY: 2,
      SEK: 2,
      NOK: 2,
      DKK: 2,
      NZD: 2,
      ZAR: 2,
      HKD: 2,
      CLP: 0,
      ISK: 0,
      VND: 0,
      OMR: 3,
      JOD: 3,
      TND: 3,
    };
    for (const [code, exponent] of Object.entries(expected)) {
      expect(currencyExponent(parseCurrencyCode(code)), code).toBe(exponent);
    }
  });

  it('recognises codes strictly', () => {
    expect(isCurrencyCode('USD')).toBe(true);
    expect(isCurrencyCode('usd')).toBe(false);
    expect(isCurrencyCode('XXX')).toBe(false);
    expect(isCurrencyCode('toString')).toBe(false);
    expect(isCurrencyCode(42)).toBe(false);
    expect(CURRENCY_CODES).toContain('JPY');
  });

  it('rejects unknown codes with a typed error', () => {
    expect(errorCode(() => parseCurrencyCode('XYZ'))).toBe('money.unknown_currency');
    expect(errorCode(() => currencyExponent('XYZ' as CurrencyCode))).toBe('money.unknown_currency');
    expect(errorCode(() => money(1n, 'XYZ' as CurrencyCode))).toBe('money.unknown_currency');
  });
});

describe('arithmetic', () => {
  it('adds, subtracts, negates and sums', () => {
    expect(add(usd(150n), usd(275n))).toEqual(usd(425n));
    expect(subtract(usd(150n), usd(275n))).toEqual(usd(-125n));
    expect(negate(usd(5n))).toEqual(usd(-5n));
    expect(sum('USD', [usd(1n), usd(2n), usd(3n)])).toEqual(usd(6n));
    expect(sum('JPY', [])).toEqual(zero('JPY'));
  });

  it('compares and classifies', () => {
    expect(compare(usd(1n), usd(2n))).toBe(-1);
    expect(compare(usd(2n), usd(2n))).toBe(0);
    expect(compare(usd(3n), usd(2n))).toBe(1);
    expect([usd(3n), usd(-1n), usd(2n)].sort(compare).map((m) => m.amount)).toEqual([-1n, 2n, 3n]);
    expect(isZero(zero('EUR'))).toBe(true);
    expect(isNegative(usd(-1n))).toBe(true);
    expect(isPositive(usd(1n))).toBe(true);
  });

  it('never mixes currencies', () => {
    const eur = money(1n, 'EUR');
    expect(() => add(usd(1n), eur)).toThrow(CurrencyMismatchError);
    expect(errorCode(() => subtract(usd(1n), eur))).toBe('money.currency_mismatch');
    expect(errorCode(() => compare(usd(1n), eur))).toBe('money.currency_mismatch');
    expect(errorCode(() => sum('USD', [usd(1n), eur]))).toBe('money.currency_mismatch');
  });

  it('refuses non-bigint amounts', () => {
    expect(errorCode(() => money(1.5 as unknown as bigint, 'USD'))).toBe('money.invalid_amount');
  });

  it('returns frozen values', () => {
    expect(Object.isFrozen(usd(1n))).toBe(true);
  });
});

describe('decimal strings', () => {
  it('parses major units per exponent', () => {
    expect(fromDecimalString('12.34', 'USD')).toEqual(usd(1234n));
    expect(fromDecimalString('12', 'USD')).toEqual(usd(1200n));
    expect(fromDecimalString('12.3', 'USD')).toEqual(usd(1230n));
    expect(fromDecimalString('-0.05', 'USD')).toEqual(usd(-5n));
    expect(fromDecimalString('1000', 'JPY')).toEqual(money(1000n, 'JPY'));
    expect(fromDecimalString('1.234', 'KWD')).toEqual(money(1234n, 'KWD'));
    expect(fromDecimalString('12.340', 'USD')).toEqual(usd(1234n)); // trailing zeros lose nothing
  });

  it('refuses to drop digits unless told how to round', () => {
    expect(errorCode(() => fromDecimalString('12.345', 'USD'))).toBe('money.precision_loss');
    expect(errorCode(() => fromDecimalString('1.5', 'JPY'))).toBe('money.precision_loss');
    expect(fromDecimalString('12.345', 'USD', 'half_up')).toEqual(usd(1235n));
    expect(fromDecimalString('12.345', 'USD', 'half_even')).toEqual(usd(1234n));
    expect(fromDecimalString('-12.345', 'USD', 'half_up')).toEqual(usd(-1235n));
    expect(fromDecimalString('12.349', 'USD', 'down')).toEqual(usd(1234n));
  });

  it('rejects anything that is not a plain decimal', () => {
    for (const bad of [
      '',
      ' 1',
      '1 ',
      '1e3',
      '.5',
      '5.',
      '1,000',
      'NaN',
      'Infinity',
      '0x10',
      '--1',
      '1.2.3',
    ]) {
      expect(
        errorCode(() => fromDecimalString(bad, 'USD')),
        bad,
      ).toBe('money.invalid_decimal');
    }
  });

  it('prints exact major units', () => {
    expect(toDecimalString(usd(1234n))).toBe('12.34');
    expect(toDecimalString(usd(-5n))).toBe('-0.05');
    expect(toDecimalString(usd(0n))).toBe('0.00');
    expect(toDecimalString(money(1000n, 'JPY'))).toBe('1000');
    expect(toDecimalString(money(-1234n, 'KWD'))).toBe('-1.234');
    expect(toDecimalString(usd(123456789012345678901234567890n))).toBe('1234567890123456789012345678.90');
  });

  it('parses Decimals exactly, without exponent notation', () => {
    expect(parseDecimal(new Decimal('1e-30'))).toEqual({ coefficient: 1n, scale: 30 });
    expect(parseDecimal(new Decimal('1.5e40'))).toEqual({ coefficient: 15n * 10n ** 39n, scale: 0 });
    expect(parseDecimal('-007.50')).toEqual({ coefficient: -750n, scale: 2 });
    expect(errorCode(() => parseDecimal(new Decimal(Number.NaN)))).toBe('money.invalid_decimal');
    // A number is refused even from untyped callers: it may already have lost digits.
    expect(errorCode(() => multiplyByDecimal(usd(1n), 1.5 as unknown as string))).toBe(
      'money.invalid_decimal',
    );
  });
});

describe('rounding', () => {
  it('rounds halves per mode', () => {
    const cases: [string, bigint, bigint, bigint, bigint][] = [
      // value, half_up, half_even, down, up
      ['2.5', 3n, 2n, 2n, 3n],
      ['3.5', 4n, 4n, 3n, 4n],
      ['-2.5', -3n, -2n, -2n, -3n],
      ['2.4', 2n, 2n, 2n, 3n],
      ['2.6', 3n, 3n, 2n, 3n],
      ['-2.6', -3n, -3n, -2n, -3n],
      ['7', 7n, 7n, 7n, 7n],
      ['0.0001', 0n, 0n, 0n, 1n],
    ];
    for (const [value, halfUp, halfEven, down, up] of cases) {
      expect(roundDecimalToMinor(value, 'half_up'), value).toBe(halfUp);
      expect(roundDecimalToMinor(value, 'half_even'), value).toBe(halfEven);
      expect(roundDecimalToMinor(value, 'down'), value).toBe(down);
      expect(roundDecimalToMinor(value, 'up'), value).toBe(up);
    }
  });

  it('accepts Decimals', () => {
    const line = new Decimal('0.0125').times(100).times(1234); // minor units
    expect(roundDecimalToMinor(line, 'half_up')).toBe(1543n); // 1542.5
    expect(roundDecimalToMinor(line, 'half_even')).toBe(1542n);
  });

  it('divides with a negative denominator and refuses zero', () => {
    expect(divideRounded(5n, -2n, 'half_up')).toBe(-3n);
    expect(divideRounded(-5n, -2n, 'half_even')).toBe(2n);
    expect(errorCode(() => divideRounded(1n, 0n, 'half_up'))).toBe('money.division_by_zero');
    expect(errorCode(() => divideRounded(1n, 3n, 'nearest' as 'up'))).toBe('money.invalid_rounding_mode');
    expect(isRoundingMode('half_even')).toBe(true);
    expect(isRoundingMode('HALF_UP')).toBe(false);
  });
});

describe('multiplication', () => {
  it('rates a decimal unit price once, half-up by default', () => {
    // 10.00 USD × 0.0125 = 0.125 USD = 12.5 cents
    expect(multiplyByDecimal(usd(1000n), '0.0125')).toEqual(usd(13n));
    expect(multiplyByDecimal(usd(1000n), '0.0125', 'half_even')).toEqual(usd(12n));
    expect(multiplyByDecimal(usd(-1000n), '0.0125')).toEqual(usd(-13n));
    expect(multiplyByDecimal(usd(1234n), '1.5')).toEqual(usd(1851n));
    expect(multiplyByDecimal(usd(1234n), new Decimal('1.5'))).toEqual(usd(1851n));
    expect(multiplyByDecimal(money(999n, 'JPY'), '0.1', 'down')).toEqual(money(99n, 'JPY'));
  });

  it('is exact for amounts far beyond float range', () => {
    const big = usd(10n ** 40n + 1n);
    expect(multiplyByDecimal(big, '3')).toEqual(usd(3n * 10n ** 40n + 3n));
  });

  it('applies fractions, such as prorations', () => {
    expect(multiplyByFraction(usd(3100n), { numerator: 22n, denominator: 31n })).toEqual(usd(2200n));
    expect(multiplyByFraction(usd(1000n), { numerator: 1n, denominator: 3n })).toEqual(usd(333n));
    expect(multiplyByFraction(usd(1000n), { numerator: 2n, denominator: 3n })).toEqual(usd(667n));
  });
});

describe('allocation', () => {
  it('splits by largest remainder, ties to the earliest part', () => {
    expect(amounts(allocate(usd(100n), [1n, 1n, 1n]))).toEqual([34n, 33n, 33n]);
    expect(amounts(allocate(usd(5n), [1n, 1n, 1n, 1n, 1n, 1n]))).toEqual([1n, 1n, 1n, 1n, 1n, 0n]);
    expect(amounts(allocate(usd(100n), [70n, 20n, 10n]))).toEqual([70n, 20n, 10n]);
    // exact shares 33.3, 66.6 → floors 33, 66 → the larger remainder (66.6) takes the leftover unit
    expect(amounts(allocate(usd(100n), [1n, 2n]))).toEqual([33n, 67n]);
    expect(amounts(allocate(usd(100n), [0n, 1n, 0n]))).toEqual([0n, 100n, 0n]);
  });

  it('mirrors negative amounts', () => {
    expect(amounts(allocate(usd(-100n), [1n, 1n, 1n]))).toEqual([-34n, -33n, -33n]);
    expect(amounts(allocateEvenly(usd(-10n), 4))).toEqual([-3n, -3n, -2n, -2n]);
  });

  it('rejects weights that describe no split', () => {
    expect(errorCode(() => allocate(usd(1n), []))).toBe('money.invalid_allocation');
    expect(errorCode(() => allocate(usd(1n), [0n, 0n]))).toBe('money.invalid_allocation');
    expect(errorCode(() => allocate(usd(1n), [2n, -1n]))).toBe('money.invalid_allocation');
    expect(errorCode(() => allocateEvenly(usd(1n), 0))).toBe('money.invalid_allocation');
    expect(errorCode(() => allocateEvenly(usd(1n), 1.5))).toBe('money.invalid_allocation');
  });
});

describe('formatting', () => {
  it('formats per locale with the ISO exponent', () => {
    expect(formatMoney(usd(123456n))).toBe('$1,234.56');
    expect(formatMoney(money(12345678n, 'INR'), 'en-IN')).toBe('₹1,23,456.78');
    expect(formatMoney(money(1000n, 'JPY'), 'ja-JP')).toBe('￥1,000');
    expect(formatMoney(money(1234n, 'KWD'))).toBe('KWD\u00a01.234'); // ICU separates code and amount with a no-break space
    expect(formatMoney(usd(-50n))).toBe('-$0.50');
    expect(formatMoney(money(123456n, 'EUR'), 'de-DE')).toBe('1.234,56\u00a0€');
  });

  it('writes the symbol and the minor units of INR, USD, EUR and JPY, and a credit as a negative amount', () => {
    expect(formatMoney(money(12345678n, 'INR'), 'en-IN')).toBe('₹1,23,456.78');
    expect(formatMoney(money(-50000n, 'INR'), 'en-IN')).toBe('-₹500.00');
    expect(formatMoney(usd(1327n), 'en-US')).toBe('$13.27');
    expect(formatMoney(usd(-1327n), 'en-US')).toBe('-$13.27');
    expect(formatMoney(money(123456n, 'EUR'), 'en-IE')).toBe('€1,234.56');
    // No minor units: 1000n is a thousand yen, not ten.
    expect(formatMoney(money(1000n, 'JPY'), 'en-JP')).toBe('¥1,000');
    expect(formatMoney(money(-1000n, 'JPY'), 'en-JP')).toBe('-¥1,000');
  });

  it("writes a customer's amounts in Indian English in India and American English elsewhere", () => {
    expect(formatMoney(money(12345678n, 'INR'), localeFor('IN'))).toBe('₹1,23,456.78');
    expect(formatMoney(money(12345678n, 'INR'), localeFor('US'))).toBe('₹123,456.78');
    // Not Intl's English of the country, which writes a code for a foreign currency (en-AU: USD).
    expect(formatMoney(usd(123456n), localeFor('AU'))).toBe('$1,234.56');
    expect(formatMoney(usd(123456n), localeFor('SE'))).toBe('$1,234.56');
  });

  it('takes an amount and a currency from JSON, and refuses a currency it does not know', () => {
    expect(formatMoney({ amount: BigInt(709), currency: 'USD' })).toBe('$7.09');
    expect(errorCode(() => formatMoney({ amount: 1n, currency: 'XYZ' }))).toBe('money.unknown_currency');
  });

  it('keeps every digit of amounts beyond 2^53', () => {
    expect(formatMoney(usd(1234567890123456789012n))).toBe('$12,345,678,901,234,567,890.12');
  });
});
