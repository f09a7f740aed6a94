import { type RawBuilder, sql } from 'kysely';
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
const remembered = new LRUCache<string, NamedCustomer>({ max: 10_000 });

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

/**
 * True while `who` still names `customer`: the lookup's own condition (an organization id before an
 * external id), read in the statement that acts on it.
 */
export function stillNamed(who: CustomerName, customer: NamedCustomer): RawBuilder<boolean> {
  if ('own' in who) {
    return sql<boolean>`(select time_zone from billing_customers where org_id = ${customer.orgId})
      is not distinct from ${customer.timeZone}::text`;
  }
  return sql<boolean>`coalesce((select org_id = ${customer.orgId} and time_zone = ${customer.timeZone}::text
      from billing_customers where org_id = ${who.name} or external_id = ${who.name}
      order by org_id = ${who.name} desc limit 1), false)`;
}
