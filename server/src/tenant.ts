import type {
  DeleteQueryBuilder,
  DeleteResult,
  Insertable,
  InsertQueryBuilder,
  InsertResult,
  SelectQueryBuilder,
  UpdateQueryBuilder,
  UpdateResult,
} from 'kysely';
import type { Ctx } from './context.js';
import type { BillingCustomerRow, Database } from './db/schema.js';
import { BillfoldError } from './errors.js';
import { type Clock, fromDate } from './time/index.js';

/**
 * The tenant an operation acts for, built once at the edge (a route from its request, a job from the
 * row it found due) and carried in the context, instead of loose organization ids: a module cannot be
 * handed one organization's id with another's context.
 */

/**
 * The platform's own organization, created by a migration: the issuer of the operator's catalog (and,
 * later, of invoices). Nobody is a member of it; operators act on it through operator permissions.
 */
export const PLATFORM_ORG_ID = 'org_platform';

export interface Tenant {
  /** The organization: the billing customer, its subscriptions, invoices, payments, ... */
  orgId: string;
  /** The organization whose catalog, tax rates, gateway routes and invoice numbers bill it. */
  issuerId: string;
}

export interface TenantCtx extends Ctx {
  tenant: Tenant;
}

/** Today every organization buys from the platform (the platform too: it is its own issuer). */
const issuerFor = (_orgId: string) => PLATFORM_ORG_ID;

/** The context of an operation on `orgId`'s rows. */
export function tenantContext(ctx: Ctx, orgId: string): TenantCtx {
  return { ...ctx, tenant: { orgId, issuerId: issuerFor(orgId) } };
}

/** The platform acting on its own rows: the operator's catalog and invoicing settings. */
export const platformContext = (ctx: Ctx): TenantCtx => tenantContext(ctx, PLATFORM_ORG_ID);

/** The tenant of a request, or the stable 4xx a route that needs an organization answers without one. */
export function requireOrganization(orgId: string | undefined): string {
  if (!orgId) throw new BillfoldError('invalid_request', 'organization.required', 'Choose an organization');
  return orgId;
}

/** Tables whose rows belong to one organization (`org_id` leads their primary key). */
export type TenantTable = {
  [T in keyof Database]: Database[T] extends { org_id: string } ? T : never;
}[keyof Database];

/**
 * Queries on a tenant's tables with its organization filter already applied: `scoped(ctx)` for the
 * tenant's own rows, `scoped(ctx, 'issuer')` for what its issuer owns (the catalog, tax rates,
 * gateway routes). Reading, changing or deleting rows through it cannot reach another
 * organization's, and inserts take `org_id` from the context.
 */
export function scoped(ctx: TenantCtx, owner: 'tenant' | 'issuer' = 'tenant') {
  const orgId = owner === 'tenant' ? ctx.tenant.orgId : ctx.tenant.issuerId;
  // Kysely cannot type a column reference built from a table name; the casts stay in this one place.
  // biome-ignore lint/suspicious/noExplicitAny: see above
  const db = ctx.db as any;
  return {
    orgId,
    selectFrom<T extends TenantTable>(table: T): SelectQueryBuilder<Database, T, object> {
      return db.selectFrom(table).where(`${table}.org_id`, '=', orgId);
    },
    updateTable<T extends TenantTable>(table: T): UpdateQueryBuilder<Database, T, T, UpdateResult> {
      return db.updateTable(table).where(`${table}.org_id`, '=', orgId);
    },
    deleteFrom<T extends TenantTable>(table: T): DeleteQueryBuilder<Database, T, DeleteResult> {
      return db.deleteFrom(table).where(`${table}.org_id`, '=', orgId);
    },
    insertInto<T extends TenantTable>(
      table: T,
      rows: Omit<Insertable<Database[T]>, 'org_id'> | readonly Omit<Insertable<Database[T]>, 'org_id'>[],
    ): InsertQueryBuilder<Database, T, InsertResult> {
      const list = (Array.isArray(rows) ? rows : [rows]) as object[];
      return db.insertInto(table).values(list.map((row) => ({ ...row, org_id: orgId })));
    },
  };
}

declare const customerClock: unique symbol;

/**
 * A billing customer's context: its tenant, the customer, and the customer's clock (its test clock's
 * frozen time in test mode, the platform's clock otherwise). Only `customerContext` makes one, so a
 * function that bills with time and takes a CustomerCtx cannot be called on the platform's clock by
 * mistake for a customer on a test clock.
 */
export interface CustomerCtx extends TenantCtx {
  customer: BillingCustomerRow;
  readonly [customerClock]: true;
}

/** The one way to a CustomerCtx: the customer's test clock, read now, or the context's clock. */
export async function customerContext(ctx: Ctx, customer: BillingCustomerRow): Promise<CustomerCtx> {
  const tenant = tenantContext(ctx, customer.org_id);
  const clock = customer.test_clock_id ? await testClockOf(tenant, customer.test_clock_id) : ctx.clock;
  return { ...tenant, clock, customer } as CustomerCtx;
}

/**
 * The same customer's context for a batch whose test clocks were read at once (`frozen`: a test
 * clock's time by clock id): no query per customer.
 */
export function customerContextWith(
  ctx: Ctx,
  customer: BillingCustomerRow,
  frozen: ReadonlyMap<string, Date>,
): CustomerCtx {
  const tenant = tenantContext(ctx, customer.org_id);
  let clock = ctx.clock;
  if (customer.test_clock_id) {
    const time = frozen.get(customer.test_clock_id);
    if (!time) throw new Error(`test clock ${customer.test_clock_id} of ${customer.org_id} is missing`);
    clock = frozenClock(time);
  }
  return { ...tenant, clock, customer } as CustomerCtx;
}

/** The customer's context with a newer row of the same customer (read under a lock). */
export function withCustomer(ctx: CustomerCtx, customer: BillingCustomerRow): CustomerCtx {
  if (customer.org_id !== ctx.tenant.orgId || customer.test_clock_id !== ctx.customer.test_clock_id) {
    throw new Error(`customer ${customer.id} does not belong to this context`);
  }
  return { ...ctx, customer };
}

async function testClockOf(ctx: TenantCtx, clockId: string): Promise<Clock> {
  const row = await scoped(ctx)
    .selectFrom('test_clocks')
    .select('frozen_time')
    .where('id', '=', clockId)
    .executeTakeFirstOrThrow();
  return frozenClock(row.frozen_time);
}

function frozenClock(time: Date): Clock {
  const at = fromDate(time);
  return { now: () => at };
}
