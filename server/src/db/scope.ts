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
