import { sql } from 'kysely';
import { LRUCache } from 'lru-cache';
import type { Ctx } from '../context.js';
import { notFound } from '../errors.js';
import { findNamedCustomer } from './ingest.js';

/**
 * The customer an entitlement request is about, as the request names it: the issuer's backend names
 * its customer by organization id or external id; a customer asks for itself. Looking the name up is
 * a round trip of its own, as long as the rest of the request, so each process keeps what a name
 * stood for, and the statement that acts reads `stillNamed` with the standing: if the name no longer
 * leads to that organization in that time zone (an external id given to another organization, a
 * zone changed), the statement changes nothing and the caller looks the name up again. A name that
 * leads nowhere is not kept: it is refused again with the same lookup.
 */
export type CustomerName =
  /** An organization id or an external id, as the issuer names its customer. */
  | { name: string }
  /** The caller's own organization, which may have no billing customer yet. */
  | { own: string };

/** What a name led to when it was looked up: all the terms need of the customer. */
export interface NamedCustomer {
  orgId: string;
  /** Null for an organization without a billing customer (its terms count in UTC). */
  timeZone: string | null;
}

// Verified by every statement that uses one, so one cache serves any database this process talks to.
const remembered = new LRUCache<string, NamedCustomer>({ max: 25_000 });

const keyOf = (who: CustomerName) => ('name' in who ? `name:${who.name}` : `own:${who.own}`);

/** The customer `who` names: from memory unless `fresh`; a name that leads nowhere is not found. */
export async function namedCustomer(ctx: Ctx, who: CustomerName, fresh: boolean): Promise<NamedCustomer> {
  const key = keyOf(who);
  const known = fresh ? undefined : remembered.get(key);
  if (known) return known;
  const found = await lookUp(ctx, who);
  remembered.set(key, found);
  return found;
}

async function lookUp(ctx: Ctx, who: CustomerName): Promise<NamedCustomer> {
  if ('own' in who) {
    const row = await ctx.db
      .selectFrom('billing_customers')
      .select('time_zone')
      .where('org_id', '=', who.own)
      .executeTakeFirst();
    return { orgId: who.own, timeZone: row?.time_zone ?? null };
  }
  const row = await findNamedCustomer(ctx, who.name);
  if (!row) throw notFound('customer.not_found', `No customer is called ${who.name}`);
  return { orgId: row.org_id, timeZone: row.time_zone };
}

/** A name and the customer it led to, as a request's row of the statement carries them. */
export interface NameColumns {
  /** How the customer was named; null for a customer the caller read itself, which holds. */
  named: 'name' | 'own' | null;
  name: string | null;
  named_zone: string | null;
}

/** A customer the caller read itself: nothing to verify. */
export const NOT_NAMED: NameColumns = { named: null, name: null, named_zone: null };

export const nameColumns = (who: CustomerName, customer: NamedCustomer): NameColumns =>
  'name' in who
    ? { named: 'name', name: who.name, named_zone: customer.timeZone }
    : { named: 'own', name: null, named_zone: customer.timeZone };

/**
 * True while a request's name still leads to its customer, by the lookup's own condition (an
 * organization id before an external id), read from the columns of `NameColumns` and `org_id` (the
 * customer's organization) of the request's row `r`.
 */
export const stillNamed = sql<boolean>`case r.named
  when 'name' then coalesce((select b.org_id = r.org_id and b.time_zone = r.named_zone
      from billing_customers b where b.org_id = r.name or b.external_id = r.name
      order by b.org_id = r.name desc limit 1), false)
  when 'own' then (select b.time_zone from billing_customers b where b.org_id = r.org_id)
    is not distinct from r.named_zone
  else true end`;
