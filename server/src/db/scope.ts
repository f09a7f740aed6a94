import { type RawBuilder, sql } from 'kysely';

/**
 * Which organizations a sweep over due work covers: only some (a test clock's), or all but some
 * (the platform's clock skips customers on test clocks, whose time is their own).
 */
export interface BillingScope {
  only?: readonly string[];
  except?: readonly string[];
}

/** The scope as a condition on the queried table's `org_id`. */
export function inScope(scope: BillingScope): RawBuilder<boolean> {
  const conditions: RawBuilder<boolean>[] = [];
  if (scope.only) {
    conditions.push(
      scope.only.length === 0 ? sql<boolean>`false` : sql<boolean>`org_id in (${sql.join([...scope.only])})`,
    );
  }
  if (scope.except && scope.except.length > 0) {
    conditions.push(sql<boolean>`org_id not in (${sql.join([...scope.except])})`);
  }
  return conditions.length === 0 ? sql<boolean>`true` : sql<boolean>`${sql.join(conditions, sql` and `)}`;
}

/**
 * Rows of a batch named by `(org_id, id)` pairs (across organizations on purpose: a batch of the
 * billing run), as a condition: one parameter per column whatever the batch's size.
 */
export function refsIn(refs: readonly { org_id: string; id: string }[]): RawBuilder<boolean> {
  return sql<boolean>`(org_id, id) in (select * from unnest(${refs.map((r) => r.org_id)}::text[], ${refs.map((r) => r.id)}::text[]))`;
}
