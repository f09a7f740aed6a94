import { Children, type CSSProperties, type ReactNode } from 'react';

/** The most plan cards side by side, on a screen wide enough for them. */
const MOST_IN_A_ROW = 3;
/** The grid's tracks: a card spans 2 of them three in a row, 3 two in a row, so rows of both mix. */
const TRACKS = 6;

/**
 * How many cards each row holds, so that no row is left with a lone card while another is full: the
 * fewest rows of at most three, filled as evenly as they can be, the fuller rows first (7 plans: 3,
 * 2, 2; 4 plans: 2, 2; 5 plans: 3, 2).
 */
export function planRowSizes(count: number): number[] {
  if (count <= 0) return [];
  const rows = Math.ceil(count / MOST_IN_A_ROW);
  const base = Math.floor(count / rows);
  const fuller = count % rows;
  return Array.from({ length: rows }, (_, row) => (row < fuller ? base + 1 : base));
}

/** The tracks each card spans, in order. A plan alone takes half the width, not the whole of it. */
export function planSpans(count: number): number[] {
  if (count === 1) return [TRACKS / 2];
  return planRowSizes(count).flatMap((size) => Array.from({ length: size }, () => TRACKS / size));
}

/**
 * Plan cards in balanced rows on a wide screen, one column on a narrow one (billing.css decides by
 * the grid's own width, so a page with less room still gets one column).
 */
export function PlanGrid({ children }: { children: ReactNode }) {
  const cards = Children.toArray(children);
  const spans = planSpans(cards.length);
  return (
    <div className="plan-grid">
      <div className="plan-grid-cells">
        {cards.map((card, i) => (
          <div
            // The cards are keyed by their plans; the cells keep their order.
            key={(card as { key?: string }).key ?? i}
            className="plan-grid-cell"
            style={{ '--plan-span': spans[i] } as CSSProperties}
          >
            {card}
          </div>
        ))}
      </div>
    </div>
  );
}

/** The names two or more of the plans share: their cards say which is which. */
export function sharedPlanNames(plans: readonly { name: string }[]): Set<string> {
  const seen = new Set<string>();
  const shared = new Set<string>();
  for (const { name } of plans) (seen.has(name) ? shared : seen).add(name);
  return shared;
}
