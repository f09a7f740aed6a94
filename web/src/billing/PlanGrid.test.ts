import { describe, expect, it } from 'vitest';
import { planRowSizes, planSpans, sharedPlanNames } from './PlanGrid';

describe('plan grid', () => {
  it('fills rows of at most three as evenly as it can, never leaving one card alone under a full row', () => {
    expect([1, 2, 3, 4, 5, 6, 7].map(planRowSizes)).toEqual([
      [1],
      [2],
      [3],
      [2, 2],
      [3, 2],
      [3, 3],
      [3, 2, 2],
    ]);
    for (let count = 2; count <= 20; count++) {
      const rows = planRowSizes(count);
      expect(rows.reduce((a, b) => a + b, 0)).toBe(count);
      expect(Math.max(...rows) - Math.min(...rows), `${count} plans`).toBeLessThanOrEqual(1);
      expect(Math.min(...rows), `${count} plans`).toBeGreaterThan(1);
    }
  });

  it('spans six tracks in every row, and half of them for a plan alone', () => {
    expect(planSpans(7)).toEqual([2, 2, 2, 3, 3, 3, 3]);
    expect(planSpans(4)).toEqual([3, 3, 3, 3]);
    expect(planSpans(1)).toEqual([3]);
    expect(planSpans(0)).toEqual([]);
  });

  it('names the plans that share a name with another, once each', () => {
    const names = ['Team', 'Free', 'Team', 'Pro', 'Team'].map((name) => ({ name }));
    expect([...sharedPlanNames(names)]).toEqual(['Team']);
  });
});
