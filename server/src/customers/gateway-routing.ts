import type { z } from 'zod';
import { recordAudit } from '../access/index.js';
import type { GatewayName } from '../db/schema.js';
import { scoped, type TenantCtx } from '../tenant.js';
import type { gatewayRoutingBody } from './customers.schema.js';

/**
 * Which payment gateway serves a customer, by country (C9): a rule the operator can change, India to
 * Cashfree and everyone else to Stripe unless changed. A gateway without keys cannot take payments,
 * so its customers use the built-in test gateway until keys are configured.
 */

export interface GatewayRouting {
  defaultGateway: GatewayName;
  countries: Record<string, GatewayName>;
}

const WILDCARD = '*';

export async function getGatewayRouting(ctx: TenantCtx): Promise<GatewayRouting> {
  const rows = await scoped(ctx, 'issuer').selectFrom('gateway_routes').selectAll().execute();
  const routing: GatewayRouting = { defaultGateway: 'stripe', countries: {} };
  for (const row of rows) {
    if (row.country === WILDCARD) routing.defaultGateway = row.gateway;
    else routing.countries[row.country] = row.gateway;
  }
  return routing;
}

export async function setGatewayRouting(
  ctx: TenantCtx,
  input: z.infer<typeof gatewayRoutingBody>,
): Promise<GatewayRouting> {
  const before = await getGatewayRouting(ctx);
  await scoped(ctx, 'issuer').deleteFrom('gateway_routes').execute();
  await ctx.db
    .insertInto('gateway_routes')
    .values([
      { org_id: ctx.tenant.issuerId, country: WILDCARD, gateway: input.default_gateway },
      ...Object.entries(input.countries).map(([country, gateway]) => ({
        org_id: ctx.tenant.issuerId,
        country,
        gateway,
      })),
    ])
    .execute();
  const after: GatewayRouting = { defaultGateway: input.default_gateway, countries: { ...input.countries } };
  await recordAudit(ctx, {
    orgId: ctx.tenant.issuerId,
    action: 'gateway_routing.updated',
    targetType: 'gateway_routing',
    targetId: ctx.tenant.issuerId,
    before,
    after,
  });
  return after;
}

/** The gateway the rule names for a country, whether or not it has keys yet. */
export function ruledGateway(routing: GatewayRouting, country: string): GatewayName {
  return routing.countries[country] ?? routing.defaultGateway;
}

/** The gateway for a country under the rule, given which gateways have keys. */
export function routeCountry(
  routing: GatewayRouting,
  country: string,
  configured: ReadonlySet<GatewayName>,
): GatewayName {
  const chosen = ruledGateway(routing, country);
  return chosen === 'test' || configured.has(chosen) ? chosen : 'test';
}

export function presentRouting(routing: GatewayRouting, configured: ReadonlySet<GatewayName>) {
  return {
    object: 'gateway_routing' as const,
    default_gateway: routing.defaultGateway,
    countries: routing.countries,
    configured_gateways: ['test' as const, ...[...configured].filter((g) => g !== 'test')],
  };
}
