import type { PricingModel } from '../server/src/billing/index.js';
import { unfitReason } from '../server/src/catalog/index.js';
import type { Aggregation } from '../server/src/db/schema.js';
import {
  aggregation,
  type Dimension,
  type DimensionKey,
  dimensions as modelDimensions,
  pricingModel,
} from './dimensions.js';

export type Dimensions = Record<DimensionKey, Dimension>;

/**
 * Which combinations of the dimensions must each have a scenario, which are not legal, and what the
 * scenarios cover. golden/README.md explains the choice of tables.
 */

/** One value per dimension a scenario covers at once (dimensions it does not vary are left out). */
export type Combination = Partial<Record<DimensionKey, string>>;

/** A table of combinations to cover: the product of these dimensions' values. */
export interface CoverageTable {
  name: string;
  dimensions: readonly DimensionKey[];
}

export const tables: readonly CoverageTable[] = [
  { name: 'recurring fee', dimensions: ['interval', 'alignment', 'feeTiming'] },
  { name: 'pricing', dimensions: ['pricingModel', 'interval'] },
  { name: 'lifecycle', dimensions: ['lifecycleEvent', 'timeZone'] },
  { name: 'periods in a zone', dimensions: ['timeZone', 'interval'] },
  { name: 'alignment in a zone', dimensions: ['timeZone', 'alignment'] },
  { name: 'usage billed', dimensions: ['aggregation', 'pricingModel'] },
];

/** Combinations no scenario can have, with the reason. A rule matches when all its values match. */
export interface LegalityRule {
  when: Combination;
  reason: string;
}

export const illegal: readonly LegalityRule[] = [
  {
    when: { lifecycleEvent: 'incomplete' },
    reason:
      'no flow creates an incomplete subscription: checkout creates it trialing or, once paid, active; a declined card leaves the checkout open',
  },
  ...aggregation.values.map((value) => ({
    when: { aggregation: value, pricingModel: 'base_price' },
    reason: 'the base price is the plan’s fee, not a price of usage',
  })),
  // The catalog refuses a charge whose model cannot price its metric (plan-rules.ts): its reason.
  ...aggregation.values.flatMap((value) =>
    pricingModel.values.flatMap((model) => {
      if (model === 'base_price') return [];
      const metric = { aggregation: value as Aggregation, recurring: false };
      const reason = unfitReason(model as PricingModel, metric, false);
      return reason ? [{ when: { aggregation: value, pricingModel: model }, reason }] : [];
    }),
  ),
];

export function isLegal(combination: Combination): boolean {
  return !illegal.some((rule) =>
    Object.entries(rule.when).every(([key, value]) => combination[key as DimensionKey] === value),
  );
}

/** Every legal combination of a table, over the model's values. */
export function combinationsOf(
  table: CoverageTable,
  dimensions: Dimensions = modelDimensions,
): Combination[] {
  let combinations: Combination[] = [{}];
  for (const key of table.dimensions) {
    combinations = combinations.flatMap((partial) =>
      dimensions[key].values.map((value) => ({ ...partial, [key]: value })),
    );
  }
  return combinations.filter(isLegal);
}

/** A combination is promised when every value in it is one the suite promises to cover. */
export function isPromised(combination: Combination, dimensions: Dimensions = modelDimensions): boolean {
  return Object.entries(combination).every(([key, value]) =>
    dimensions[key as DimensionKey].promised.includes(value as string),
  );
}

/** What one scenario covers: for each dimension, the values it exercises. */
export type ScenarioCoverage = Partial<Record<DimensionKey, readonly string[]>>;

/**
 * Coverage of several "facets" of one scenario: a scenario may exercise a usage price only through the
 * price preview (a plan of one interval), and a fee through invoices (another plan). Each facet is
 * one set of values that occur together.
 */
export interface CoveredFacets {
  scenario: string;
  facets: ScenarioCoverage[];
}

function facetCovers(facet: ScenarioCoverage, combination: Combination): boolean {
  return Object.entries(combination).every(([key, value]) =>
    (facet[key as DimensionKey] ?? []).includes(value as string),
  );
}

export interface TableReport {
  table: CoverageTable;
  rows: { combination: Combination; scenarios: string[]; promised: boolean }[];
}

export function coverageReport(
  covered: readonly CoveredFacets[],
  dimensions: Dimensions = modelDimensions,
): TableReport[] {
  return tables.map((table) => ({
    table,
    rows: combinationsOf(table, dimensions).map((combination) => ({
      combination,
      promised: isPromised(combination, dimensions),
      scenarios: covered
        .filter((s) => s.facets.some((facet) => facetCovers(facet, combination)))
        .map((s) => s.scenario),
    })),
  }));
}

export const label = (combination: Combination) => Object.values(combination).join(' × ');

/** The report as text: one line per combination, its scenarios, and the gaps at the end. */
export function formatReport(reports: readonly TableReport[]): string {
  const lines: string[] = [];
  for (const { table, rows } of reports) {
    const covered = rows.filter((row) => row.scenarios.length > 0).length;
    lines.push(
      `${table.name} (${table.dimensions.map((key) => modelDimensions[key].name).join(' × ')}): ${covered}/${rows.length}`,
    );
    const width = Math.max(...rows.map((row) => label(row.combination).length));
    for (const row of rows) {
      const where = row.scenarios.length > 0 ? row.scenarios.join(', ') : 'UNCOVERED';
      lines.push(`  ${label(row.combination).padEnd(width)}  ${where}`);
    }
  }
  const gaps = uncovered(reports);
  lines.push(`uncovered legal combinations: ${gaps.length === 0 ? 'none' : ''}`);
  for (const gap of gaps) {
    lines.push(`  ${gap.table}: ${label(gap.combination)}${gap.promised ? '' : ' (new in the model)'}`);
  }
  lines.push('not legal:');
  for (const rule of illegal) lines.push(`  ${label(rule.when)}: ${rule.reason}`);
  return lines.join('\n');
}

export function uncovered(reports: readonly TableReport[]) {
  return reports.flatMap(({ table, rows }) =>
    rows
      .filter((row) => row.scenarios.length === 0)
      .map((row) => ({ table: table.name, combination: row.combination, promised: row.promised })),
  );
}
