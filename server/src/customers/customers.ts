import { type ExpressionBuilder, sql } from 'kysely';
import type { z } from 'zod';
import { recordAudit } from '../access/index.js';
import type { Ctx } from '../context.js';
import { newId } from '../db/ids.js';
import type { BillingCustomerRow, Database, GatewayName } from '../db/schema.js';
import { conflict, invalid, notFound } from '../errors.js';
import { listPage } from '../pagination.js';
import { scoped, type TenantCtx } from '../tenant.js';
import { toDate } from '../time/index.js';
import { defaultCurrencyFor, postalFormats } from './countries.js';
import {
  type CustomerObject,
  createCustomerBody,
  type customerListQuery,
  type updateCustomerBody,
} from './customers.schema.js';
import { getGatewayRouting, routeCountry } from './gateway-routing.js';

/**
 * Billing customers (C8): one per organization or personal account, created and updated by its
 * owner from the Billing page. Its country picks the gateway (C9); its time zone, billing periods.
 */

export interface CustomerDeps {
  /** Gateways that have keys on this Billfold. */
  configuredGateways: ReadonlySet<GatewayName>;
}

type CustomerDetails = Omit<
  BillingCustomerRow,
  'org_id' | 'id' | 'gateway' | 'test_clock_id' | 'created_at' | 'updated_at' | 'external_id'
>;

export async function findCustomer(ctx: TenantCtx): Promise<BillingCustomerRow | undefined> {
  return scoped(ctx).selectFrom('billing_customers').selectAll().executeTakeFirst();
}

/** Several organizations' billing customers in one query (a batch of the billing run). */
export async function findCustomers(ctx: Ctx, orgIds: readonly string[]): Promise<BillingCustomerRow[]> {
  if (orgIds.length === 0) return [];
  return ctx.db
    .selectFrom('billing_customers')
    .selectAll()
    .where(sql<boolean>`org_id = any(${[...orgIds]}::text[])`)
    .execute();
}

export async function getCustomer(ctx: TenantCtx): Promise<BillingCustomerRow> {
  const customer = await findCustomer(ctx);
  if (!customer) {
    throw notFound('billing_customer.not_found', 'This organization has no billing customer yet');
  }
  return customer;
}

/**
 * Locks the organization's billing customer for the rest of the transaction: decisions about which
 * plan the organization pays for (a checkout applied, a plan change finished) take it first, so two
 * of them never decide on the same state.
 */
export async function lockCustomer(ctx: TenantCtx): Promise<BillingCustomerRow> {
  const customer = await scoped(ctx)
    .selectFrom('billing_customers')
    .selectAll()
    .forUpdate()
    .executeTakeFirst();
  if (!customer) {
    throw notFound('billing_customer.not_found', 'This organization has no billing customer yet');
  }
  return customer;
}

export async function createCustomer(
  ctx: TenantCtx,
  input: z.infer<typeof createCustomerBody>,
  deps: CustomerDeps,
): Promise<BillingCustomerRow> {
  if (await findCustomer(ctx)) {
    throw conflict('billing_customer.exists', 'This organization has a billing customer; update it instead');
  }
  const details = normalize({ ...input, currency: input.currency ?? defaultCurrencyFor(input.country) });
  const now = toDate(ctx.clock.now());
  const customer: BillingCustomerRow = {
    org_id: ctx.tenant.orgId,
    id: newId('customer'),
    ...details,
    gateway: routeCountry(await getGatewayRouting(ctx), details.country, deps.configuredGateways),
    test_clock_id: null,
    external_id: null,
    created_at: now,
    updated_at: now,
  };
  // A concurrent create loses on the one-per-organization index and gets a 409.
  await ctx.db.insertInto('billing_customers').values(customer).execute();
  await recordAudit(ctx, {
    action: 'billing_customer.created',
    targetType: 'billing_customer',
    targetId: customer.id,
    after: details,
  });
  return customer;
}

export async function updateCustomer(
  ctx: TenantCtx,
  changes: z.infer<typeof updateCustomerBody>,
  deps: CustomerDeps,
): Promise<BillingCustomerRow> {
  const before = await scoped(ctx).selectFrom('billing_customers').selectAll().forUpdate().executeTakeFirst();
  if (!before) throw notFound('billing_customer.not_found', 'This organization has no billing customer yet');
  const {
    org_id: _org,
    id: _id,
    gateway: _gateway,
    test_clock_id: _clock,
    created_at: _c,
    updated_at: _u,
    external_id: _external,
    ...current
  } = before;
  // The postal code and state are checked against the country, so check the record as it will be.
  const merged = createCustomerBody.safeParse({ ...current, ...changes });
  if (!merged.success) {
    const issue = merged.error.issues[0];
    const param = issue?.path.join('.') || undefined;
    throw invalid('request.invalid', `${param ? `${param}: ` : ''}${issue?.message ?? 'invalid'}`, param);
  }
  const details = normalize({ ...merged.data, currency: merged.data.currency ?? before.currency });
  const gateway =
    details.country === before.country
      ? before.gateway
      : routeCountry(await getGatewayRouting(ctx), details.country, deps.configuredGateways);
  const customer = await scoped(ctx)
    .updateTable('billing_customers')
    .set({ ...details, gateway, updated_at: toDate(ctx.clock.now()) })
    .returningAll()
    .executeTakeFirstOrThrow();
  await recordAudit(ctx, {
    action: 'billing_customer.updated',
    targetType: 'billing_customer',
    targetId: customer.id,
    before: current,
    after: details,
  });
  return customer;
}

/** Every billing customer, for operators: search by name, email or organization name. */
export async function listAllCustomers(ctx: Ctx, query: z.infer<typeof customerListQuery>) {
  let q = ctx.db
    .selectFrom('billing_customers')
    .innerJoin('organizations', 'organizations.id', 'billing_customers.org_id')
    .selectAll('billing_customers')
    .select('organizations.name as org_name');
  if (query.q) {
    const pattern = `%${query.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    q = q.where((eb) =>
      eb.or([
        eb('billing_customers.name', 'ilike', pattern),
        eb('billing_customers.email', 'ilike', pattern),
        eb('organizations.name', 'ilike', pattern),
      ]),
    );
  }
  if (query.country) q = q.where('billing_customers.country', '=', query.country.toUpperCase());
  if (query.gateway) q = q.where('billing_customers.gateway', '=', query.gateway);
  const status = query.subscription_status;
  if (status === 'cancelled') {
    // A row shows no subscription once every one has ended: those are the cancelled customers.
    q = q.where((eb) =>
      eb.and([
        eb.exists(subscriptionsOfRow(eb)),
        eb.not(eb.exists(subscriptionsOfRow(eb).where('subscriptions.status', '<>', 'cancelled'))),
      ]),
    );
  } else if (status) {
    // The state of the subscription the row shows (subscriptionsInForce): the newest not ended,
    // so a customer whose old subscription was cancelled is not listed under cancelled, nor
    // under an older one's state.
    q = q.where((eb) =>
      eb(
        subscriptionsOfRow(eb)
          .select('subscriptions.status')
          .where('subscriptions.status', '<>', 'cancelled')
          .orderBy('subscriptions.started_at', 'desc')
          .orderBy('subscriptions.id', 'desc')
          .limit(1),
        '=',
        status,
      ),
    );
  }
  return listPage(
    q,
    {
      by: [
        ['billing_customers.created_at', 'desc'],
        ['billing_customers.id', 'desc'],
      ],
      id: 'billing_customers.id',
      cursorFrom: ctx.db.selectFrom('billing_customers'),
      noun: 'customer',
    },
    query,
  );
}

/** The subscriptions of the billing customer on the operators' list row. */
function subscriptionsOfRow(eb: ExpressionBuilder<Database, 'billing_customers'>) {
  return eb
    .selectFrom('subscriptions')
    .whereRef('subscriptions.org_id', '=', 'billing_customers.org_id')
    .whereRef('subscriptions.customer_id', '=', 'billing_customers.id');
}

function normalize(input: CustomerDetails): CustomerDetails {
  const format = postalFormats[input.country];
  return {
    ...input,
    postal_code: format?.normalize ? format.normalize(input.postal_code) : input.postal_code,
    currency: input.currency.toUpperCase(),
  };
}

/**
 * Names the customer for the issuer's usage events (`customer` may then be this id). Unique among
 * the issuer's customers: another customer's id is a 409.
 */
export async function setExternalId(ctx: TenantCtx, externalId: string | null): Promise<BillingCustomerRow> {
  const before = await scoped(ctx).selectFrom('billing_customers').selectAll().forUpdate().executeTakeFirst();
  if (!before) throw notFound('billing_customer.not_found', 'This organization has no billing customer yet');
  if (before.external_id === externalId) return before;
  if (externalId !== null) {
    const taken = await ctx.db
      .selectFrom('billing_customers')
      .select('org_id')
      .where('external_id', '=', externalId)
      .executeTakeFirst();
    if (taken)
      throw conflict(
        'billing_customer.external_id_taken',
        'Another customer has this external id',
        'external_id',
      );
  }
  const customer = await scoped(ctx)
    .updateTable('billing_customers')
    .set({ external_id: externalId, updated_at: toDate(ctx.clock.now()) })
    .returningAll()
    .executeTakeFirstOrThrow()
    .catch((error: { code?: string }) => {
      // Two customers given one id at the same moment: the unique index decides, the loser hears why.
      if (error.code === '23505') {
        throw conflict(
          'billing_customer.external_id_taken',
          'Another customer has this external id',
          'external_id',
        );
      }
      throw error;
    });
  await recordAudit(ctx, {
    action: 'billing_customer.external_id_set',
    targetType: 'billing_customer',
    targetId: customer.id,
    before: { external_id: before.external_id },
    after: { external_id: externalId },
  });
  return customer;
}

export function presentCustomer(row: BillingCustomerRow): CustomerObject {
  return {
    id: row.id,
    object: 'billing_customer',
    org_id: row.org_id,
    name: row.name,
    email: row.email,
    address_line1: row.address_line1,
    address_line2: row.address_line2,
    city: row.city,
    state: row.state,
    postal_code: row.postal_code,
    country: row.country,
    phone: row.phone,
    tax_id: row.tax_id,
    currency: row.currency,
    time_zone: row.time_zone,
    gateway: row.gateway,
    external_id: row.external_id,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

/** Organizations whose customer is on a test clock: the platform's billing run leaves them alone. */
export async function orgsOnTestClocks(ctx: Ctx): Promise<string[]> {
  const rows = await ctx.db
    .selectFrom('billing_customers')
    .select('org_id')
    .where('test_clock_id', 'is not', null)
    .execute();
  return rows.map((r) => r.org_id);
}
