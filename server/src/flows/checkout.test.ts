import { describe, expect, it } from 'vitest';
import { checkoutDescription } from './checkout.js';

describe("what a checkout's gateway page says is paid for", () => {
  const line = 'Pro India, 16 of 31 days (Jan 16, 2027 – Jan 31, 2027)';

  it('adds the tax and takes off the credit, so the sentence adds up to the amount asked', () => {
    expect(checkoutDescription(line, { tax: 0n, credit: 0n }, 'INR', 'IN')).toBe(line);
    expect(checkoutDescription(line, { tax: 9290n, credit: 0n }, 'INR', 'IN')).toBe(
      `${line}, plus ₹92.90 tax`,
    );
    // ₹516.13 + ₹92.90 − ₹100.00: ₹509.03 asked.
    expect(checkoutDescription(line, { tax: 9290n, credit: 10000n }, 'INR', 'IN')).toBe(
      `${line}, plus ₹92.90 tax, less ₹100.00 credit`,
    );
    expect(checkoutDescription('Pro, 12 of 31 days', { tax: 0n, credit: 774n }, 'USD', 'US')).toBe(
      'Pro, 12 of 31 days, less $7.74 credit',
    );
  });
});
