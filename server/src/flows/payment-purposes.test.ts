import { describe, expect, it } from 'vitest';
import { linesInBrief } from './payment-purposes.js';

describe("a payment's description from its invoices' lines", () => {
  it('names a few lines, and counts the rest of many', () => {
    expect(linesInBrief([])).toBe('');
    expect(linesInBrief(['Pro, March', 'Tax'])).toBe('Pro, March; Tax');
    expect(linesInBrief(['A', 'B', 'C'])).toBe('A; B; C');
    expect(linesInBrief(['A', 'B', 'C', 'D'])).toBe('A; B; C; and 1 more line');
    const many = Array.from({ length: 5000 }, (_, i) => `API calls, day ${i + 1}: 1,000 × $0.01`);
    const brief = linesInBrief(many);
    expect(brief).toBe(
      'API calls, day 1: 1,000 × $0.01; API calls, day 2: 1,000 × $0.01; API calls, day 3: 1,000 × $0.01; and 4997 more lines',
    );
  });
});
