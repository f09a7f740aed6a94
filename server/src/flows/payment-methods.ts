import { withTransaction } from '../context.js';
import * as customers from '../customers/index.js';
import { notFound } from '../errors.js';
import type { GatewayRegistry } from '../payments/index.js';
import type { TenantCtx } from '../tenant.js';

/**
 * Removing a saved card: the gateway forgets it first (outside any transaction, under a key so a
 * retry is safe), then Billfold drops its reference. A gateway this Billfold has no keys for any
 * more cannot be asked; the reference is dropped and the log says so.
 */
export async function removeSavedMethod(ctx: TenantCtx, id: string, gateways: GatewayRegistry) {
  const methods = await customers.listPaymentMethods(ctx);
  const method = methods.find((m) => m.id === id);
  if (!method) throw notFound('payment_method.not_found', 'No such payment method');
  if (gateways.has(method.gateway)) {
    await gateways.get(method.gateway).detachPaymentMethod(method.gateway_ref, `detach:${method.id}`);
  } else {
    ctx.log.warn(
      { gateway: method.gateway, method: method.id },
      'gateway not configured: the card stays saved there',
    );
  }
  return withTransaction(ctx, (tx) => customers.removePaymentMethod(tx, id));
}
