import type { FastifyInstance } from 'fastify';
import type { Logger } from '../context.js';
import type { Db } from '../db/database.js';
import type { GatewayName } from '../db/schema.js';
import { BillfoldError } from '../errors.js';
import { handleGatewayEvent } from '../flows/webhooks.js';
import type { GatewayRegistry } from '../payments/index.js';
import type { Clock } from '../time/index.js';
import { sendError } from './errors.js';

/**
 * Inbound gateway webhooks at /v1/webhooks/:gateway. The body is kept as the raw text it arrived as:
 * the signature is checked over those exact bytes before anything is parsed. A bad signature, a stale
 * timestamp or a changed body gets a 400 and changes nothing; a known event is acknowledged again.
 */
export async function registerWebhookRoutes(
  app: FastifyInstance,
  deps: { db: Db; clock: Clock; log: Logger; gateways: GatewayRegistry; publicUrl: (path: string) => string },
) {
  await app.register(async (scope) => {
    scope.addContentTypeParser(
      'application/json',
      { parseAs: 'string', bodyLimit: 512 * 1024 },
      (_req, body, done) => done(null, body),
    );
    scope.post<{ Params: { gateway: string }; Body: string }>(
      '/v1/webhooks/:gateway',
      { schema: { hide: true } },
      async (request, reply) => {
        try {
          const name = request.params.gateway;
          if (name !== 'test' && name !== 'stripe' && name !== 'cashfree') {
            throw new BillfoldError('not_found', 'webhook.unknown_gateway', `No gateway ${name}`);
          }
          const gateway = deps.gateways.get(name as GatewayName);
          const headers = Object.fromEntries(
            Object.entries(request.headers).map(([name, value]) => [
              name,
              Array.isArray(value) ? value[0] : value,
            ]),
          );
          const event = await gateway.parseWebhook({
            headers,
            rawBody: typeof request.body === 'string' ? request.body : '',
          });
          const ctx = {
            db: deps.db,
            clock: deps.clock,
            log: deps.log,
            actor: { type: 'system' as const, id: `webhook:${name}` },
            requestId: request.id,
          };
          const { duplicate } = await handleGatewayEvent(ctx, name as GatewayName, event, {
            gateways: deps.gateways,
            publicUrl: deps.publicUrl,
          });
          return reply.send({ received: true, duplicate });
        } catch (error) {
          return sendError(error, request, reply, deps.log);
        }
      },
    );
  });
}
