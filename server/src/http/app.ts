import { existsSync } from 'node:fs';
import fastifyCookie from '@fastify/cookie';
import fastifyStatic from '@fastify/static';
import fastifySwagger from '@fastify/swagger';
import fastJson from 'fast-json-stringify';
import Fastify, { type FastifyInstance } from 'fastify';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';
import { z } from 'zod';
import {
  ACCESS_CHANNEL,
  AccessCaches,
  type ApiKeyAuthenticator,
  type Permission,
  type PermissionRule,
  policy,
  wasAudited,
} from '../access/index.js';
import type { Actor, Ctx, Logger } from '../context.js';
import type { Db, Tx } from '../db/database.js';
import { newId } from '../db/ids.js';
import type { Listen } from '../db/notifications.js';
import { rowsChanged } from '../db/row-changes.js';
import type { GatewayName } from '../db/schema.js';
import { BillfoldError } from '../errors.js';
import { UsageAlertEvaluator } from '../flows/usage-alerts.js';
import {
  type CashfreeConfig,
  createGatewayRegistry,
  type GatewayRegistry,
  type StripeSettings,
} from '../payments/index.js';
import { requireOrganization, tenantContext } from '../tenant.js';
import type { Clock } from '../time/index.js';
import { toDate } from '../time/index.js';
import { allowedMethods } from './allowed-methods.js';
import { authorize, CSRF_HEADER, ORG_HEADER, SESSION_COOKIE } from './auth.js';
import { registerCashfreeCheckoutPage } from './cashfree-checkout-page.js';
import { errorEnvelope, sendError } from './errors.js';
import {
  claimKey,
  IDEMPOTENCY_HEADER,
  idempotencyScope,
  releaseKey,
  requestFingerprint,
  type StoredResponse,
  storeResponse,
  validKey,
} from './idempotency.js';
import { pagePolicy } from './page-security.js';
import { RateLimiter } from './rate-limit.js';
import type { Access, DocumentResponse, RouteDef, RouteInput } from './route.js';
import { routes as allRoutes } from './routes/index.js';
import { registerTestGatewayPages } from './test-gateway-pages.js';
import { refuseUndeclaredInput, validatorCompiler } from './validation.js';
import { registerWebhookRoutes } from './webhooks.js';

declare module 'fastify' {
  interface FastifyRequest {
    access: Access;
  }
  interface FastifyInstance {
    /** This app's payment gateways (tests reach the test gateway through it). */
    billfoldGateways: ReturnType<typeof createGatewayRegistry>;
    /** Evaluates usage alerts after the requests that change usage commit. */
    usageAlerts: UsageAlertEvaluator;
  }
}

// Responses are described in zod (the OpenAPI source) but written by fast-json-stringify from the
// equivalent JSON Schema: several times faster than parsing each response with zod, and it still
// writes only the declared fields, so nothing undeclared (a digest, a secret) can leak. Compiled once
// per schema, as the error envelope serves every route (startup time is a benchmark).
const serializers = new WeakMap<z.ZodType, (data: unknown) => string>();
function serializerFor(schema: z.ZodType) {
  let serialize = serializers.get(schema);
  if (!serialize) {
    const jsonSchema = z.toJSONSchema(schema, { target: 'draft-7', io: 'output', unrepresentable: 'any' });
    serialize = fastJson(jsonSchema as fastJson.AnySchema);
    serializers.set(schema, serialize);
  }
  return serialize;
}

export interface AppConfig {
  /** Where people reach this Billfold, for links (invites) and cookies. */
  publicUrl: string;
  /** Built web UI to serve at /, if present. */
  webDist?: string | undefined;
  bodyLimitBytes?: number;
  /** Behind a reverse proxy: trust its X-Forwarded-For (true, or its addresses) for client addresses. */
  trustProxy?: boolean | string | undefined;
  /** Payment gateways whose keys are configured; customers routed to others pay at the test gateway. */
  gateways?: readonly GatewayName[];
  /** Stripe's keys (and, in tests, where its emulator listens). */
  stripe?: StripeSettings | undefined;
  /** Cashfree's keys (and, in tests, where its emulator listens). */
  cashfree?: CashfreeConfig | undefined;
}

export interface AppDeps {
  db: Db;
  clock: Clock;
  log?: Logger;
  config: AppConfig;
  routes?: readonly RouteDef[];
  /**
   * Notifications from other processes on the database (PostgreSQL): with it, cached access data
   * follows their changes; without it this process is taken to be the database's only one.
   */
  listen?: Listen | undefined;
}

export const DEFAULT_BODY_LIMIT = 100 * 1024;
const pageHeaders = { 'referrer-policy': 'same-origin', 'x-frame-options': 'DENY' };

/** OpenAPI security from the policy: which routes take an API key, which only a session. */
function securityOf(permission: Permission): { security?: Array<Record<string, string[]>> } {
  const rule: PermissionRule = policy[permission];
  if (rule.public) return {};
  return { security: rule.keys ? [{ apiKey: [] }, { session: [] }] : [{ session: [] }] };
}

function actorOf(access: Access): Actor {
  const { principal } = access;
  if (principal.kind === 'user') return { type: 'user', id: principal.user.id };
  if (principal.kind === 'api_key') return { type: 'api_key', id: principal.keyId };
  return { type: 'system', id: 'anonymous' };
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { db, clock, config } = deps;
  const routes = deps.routes ?? allRoutes;
  const app = Fastify({
    logger: false,
    bodyLimit: config.bodyLimitBytes ?? DEFAULT_BODY_LIMIT,
    genReqId: () => newId('request'),
    requestIdHeader: false,
    trustProxy: config.trustProxy ?? false,
    // A malformed URL or an overlong path parameter is refused by the router, before any hook runs.
    frameworkErrors: (error, request, reply) => {
      reply.header('request-id', request.id);
      return sendError(error, request, reply, log);
    },
  });
  // JSON only: no other body type reaches a handler (and no form can post cross-site).
  app.removeContentTypeParser('text/plain');
  const limiter = new RateLimiter(db);
  const log: Logger = deps.log ?? app.log;
  const caches = new AccessCaches(db, { followsChanges: deps.listen !== undefined });
  // A revoked key or a changed organization is forgotten by every process as its change commits.
  const accessChanges = deps.listen?.(ACCESS_CHANNEL, {
    ...caches.listener,
    onLost: (error) => {
      caches.listener.onLost(error);
      log.warn(
        { error: error.message },
        'Not hearing access changes; reading them from the database until back',
      );
    },
  });
  if (accessChanges) app.addHook('onClose', () => accessChanges.close());
  // The gateways read the public URL when they build links: with port 0 it is known only after listen.
  const payments = createGatewayRegistry({
    db,
    clock,
    publicUrl: () => config.publicUrl,
    configured: config.gateways ?? [],
    stripe: config.stripe,
    cashfree: config.cashfree,
  });
  const secureCookies = config.publicUrl.startsWith('https://');
  const usageAlerts = new UsageAlertEvaluator({
    db,
    clock,
    log,
    actor: { type: 'system', id: 'usage-alerts' },
    requestId: 'usage-alerts',
  });
  app.addHook('onClose', () => usageAlerts.close());

  app.setValidatorCompiler<z.ZodType>(validatorCompiler);
  app.setSerializerCompiler<z.ZodType>(({ schema }) => serializerFor(schema));
  app.decorateRequest('access');
  app.setErrorHandler((error, request, reply) => sendError(error, request, reply, log));
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('request-id', request.id);
    reply.header('x-content-type-options', 'nosniff');
    // Only pages can be framed or leak a referrer; API responses skip these two headers.
    if (!request.url.startsWith('/v1/')) reply.headers(pageHeaders);
    done();
  });

  await app.register(fastifyCookie);
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Billfold API',
        version: '1',
        description:
          'Billing for platforms. JSON, snake_case, prefixed ids, cursor pagination, Idempotency-Key on every POST, ' +
          'one error envelope. Authenticate with `Authorization: Bearer <api key>`, or a session cookie plus ' +
          '`X-CSRF-Token` and `Billfold-Organization` headers.',
      },
      components: {
        securitySchemes: {
          apiKey: { type: 'http', scheme: 'bearer' },
          session: { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE },
        },
      },
    },
    transform: jsonSchemaTransform,
  });

  const methodsOf = allowedMethods(app);
  app.get('/health', { schema: { hide: true } }, async (_request, reply) => {
    await db.selectNoFrom((eb) => eb.val(1).as('ok')).execute();
    return reply.send({ status: 'ok' });
  });
  app.get('/v1/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  for (const route of routes)
    registerRoute(app, route, {
      db,
      clock,
      log,
      keys: caches.apiKeys,
      caches,
      config,
      secureCookies,
      limiter,
      gateways: new Set(config.gateways ?? []),
      payments,
      usageAlerts,
    });
  app.decorate('billfoldGateways', payments);
  app.decorate('usageAlerts', usageAlerts);
  await registerTestGatewayPages(app, payments.test);
  if (config.cashfree && !config.cashfree.checkoutBase) {
    await registerCashfreeCheckoutPage(app, config.cashfree.environment);
  }
  await registerWebhookRoutes(app, {
    db,
    clock,
    log,
    gateways: payments,
    publicUrl: (path) => new URL(path, config.publicUrl).toString(),
  });

  if (config.webDist && existsSync(config.webDist)) {
    await app.register(fastifyStatic, { root: config.webDist, wildcard: false, index: 'index.html' });
  }
  app.setNotFoundHandler((request, reply) => {
    const wantsPage = request.method === 'GET' && !request.url.startsWith('/v1/') && config.webDist;
    if (wantsPage && existsSync(`${config.webDist}/index.html`)) return reply.sendFile('index.html');
    const allowed = methodsOf(request.url);
    if (allowed.length > 0) {
      const path = request.url.split('?')[0];
      reply.header('allow', allowed.join(', '));
      const refusal = new BillfoldError(
        'method_not_allowed',
        'method.not_allowed',
        `${path} takes ${allowed.join(', ')}, not ${request.method}`,
      );
      return sendError(refusal, request, reply, log);
    }
    return reply.code(404).send({
      error: {
        type: 'not_found',
        code: 'route.not_found',
        message: `No route ${request.method} ${request.url.split('?')[0]}`,
        param: null,
        request_id: request.id,
      },
    });
  });
  return app;
}

interface RouteDeps {
  db: Db;
  clock: Clock;
  log: Logger;
  keys: ApiKeyAuthenticator;
  caches: RouteInput<unknown, unknown, unknown>['caches'];
  config: AppConfig;
  secureCookies: boolean;
  limiter: RateLimiter;
  gateways: ReadonlySet<GatewayName>;
  payments: GatewayRegistry;
  usageAlerts: UsageAlertEvaluator;
}

function registerRoute(app: FastifyInstance, route: RouteDef, deps: RouteDeps) {
  const status = route.status ?? 200;
  const isWrite = route.method !== 'GET';
  const headers = z.object({
    ...(isWrite && route.idempotency !== 'off'
      ? {
          [IDEMPOTENCY_HEADER]: z.string().optional().describe('Makes a retry safe: same key, same response'),
        }
      : {}),
    [ORG_HEADER]: z.string().optional().describe('The organization a signed-in person acts on'),
    ...(isWrite ? { [CSRF_HEADER]: z.string().optional().describe('Required with a session cookie') } : {}),
  });
  app.route({
    method: route.method,
    url: route.path,
    ...(route.bodyLimit ? { bodyLimit: route.bodyLimit } : {}),
    schema: {
      operationId: route.operationId,
      summary: route.summary,
      description: `Permission: \`${route.permission}\``,
      tags: [route.tag],
      headers,
      ...(route.body ? { body: route.body } : {}),
      ...(route.query ? { querystring: route.query } : {}),
      ...(route.params ? { params: route.params } : {}),
      response: route.produces
        ? { '4XX': errorEnvelope }
        : { [status]: route.response, '4XX': errorEnvelope },
      ...(route.produces ? { produces: [route.produces] } : {}),
      ...securityOf(route.permission),
    },
    onRequest: async (request) => {
      request.access = await authorize(request, route.permission, deps);
    },
    preValidation: refuseUndeclaredInput({
      body: !isWrite || Boolean(route.body),
      query: Boolean(route.query),
    }),
    ...(route.rateLimits
      ? {
          preHandler: async (request) => {
            const { principal } = request.access;
            const userId = principal.kind === 'user' ? principal.user.id : undefined;
            const input = { body: request.body as never, ip: request.ip, userId };
            await deps.limiter.hit(
              (route.rateLimits ?? []).map((limit) => ({ ...limit, key: limit.key(input) })),
            );
          },
        }
      : {}),
    handler: async (request, reply) => {
      const access = request.access;
      const afterCommit: Array<() => void> = [];
      const run = async (db: Ctx['db'], inTransaction = false) => {
        const ctx: Ctx = {
          db,
          clock: deps.clock,
          log: deps.log,
          actor: actorOf(access),
          requestId: request.id,
        };
        // Every change is audited; a write that changed nothing (pausing a paused subscription) is no
        // change and needs no entry. The rows changed are measured in the request's transaction, or
        // in each one the operation opens; a write measured in none must have its entry.
        const mustAudit = isWrite && route.audit !== 'off';
        const writes = { transactions: 0, rows: 0n };
        if (mustAudit) ctx.writes = writes;
        const changedBefore = mustAudit && inTransaction ? await rowsChanged(db as Tx) : undefined;
        const result = await route.handler({
          ctx,
          get tenant() {
            return tenantContext(ctx, requireOrganization(access.orgId));
          },
          body: request.body as never,
          query: request.query as never,
          params: request.params as never,
          access,
          session: {
            set: (token, expiresAt) =>
              reply.setCookie(SESSION_COOKIE, token, {
                path: '/',
                httpOnly: true,
                sameSite: 'lax',
                secure: deps.secureCookies,
                expires: expiresAt,
              }),
            clear: () => reply.clearCookie(SESSION_COOKIE, { path: '/' }),
          },
          publicUrl: (path) => new URL(path, deps.config.publicUrl).toString(),
          afterCommit: (effect) => afterCommit.push(effect),
          caches: deps.caches,
          gateways: deps.gateways,
          payments: deps.payments,
          usageAlerts: deps.usageAlerts,
        });
        if (changedBefore !== undefined) {
          writes.rows += (await rowsChanged(db as Tx)) - changedBefore;
          writes.transactions += 1;
        }
        const changed = writes.transactions === 0 || writes.rows > 0n;
        if (mustAudit && changed && !(await wasAudited(ctx))) {
          throw new Error(`${route.operationId} changed state without recording an audit event`);
        }
        return result;
      };

      if (route.produces) {
        const document = (await run(deps.db)) as DocumentResponse;
        const disposition = route.produces === 'application/pdf' ? 'attachment' : 'inline';
        return reply
          .code(status)
          .type(route.produces === 'text/html' ? 'text/html; charset=utf-8' : route.produces)
          .header('content-disposition', `${disposition}; filename="${document.filename}"`)
          .headers(
            route.produces === 'text/html'
              ? { 'content-security-policy': pagePolicy(String(document.body)) }
              : {},
          )
          .send(document.body);
      }
      // A malformed key is refused on every write that takes one, before anything runs.
      const key =
        isWrite && route.idempotency !== 'off' ? validKey(request.headers[IDEMPOTENCY_HEADER]) : undefined;
      // Without a transaction of the request's own, each statement has committed when it returns.
      const committed = async () => {
        const body = await run(deps.db);
        for (const effect of afterCommit) effect();
        return reply.code(status).send(body);
      };
      if (!isWrite || (route.transaction === 'keyed' && !key)) return committed();

      const scope = idempotencyScope(access);
      if (route.transaction === 'own') {
        if (!key) return committed();
        // The operation calls a gateway between transactions of its own, so the key is claimed in a
        // transaction before it and answered in one after: a duplicate meanwhile is told the first
        // is still running; a failure releases the key for a retry, as a rolled-back claim does.
        const fingerprint = requestFingerprint(request.method, request.url, request.body);
        const claim = await deps.db
          .transaction()
          .execute((tx) => claimKey(tx, scope, key, fingerprint, toDate(deps.clock.now())));
        if (claim !== 'claimed') {
          reply.header('idempotent-replayed', 'true');
          return reply.code(claim.status).send(claim.body);
        }
        let body: unknown;
        try {
          body = await run(deps.db);
        } catch (error) {
          await releaseKey(deps.db, scope, key);
          throw error;
        }
        await deps.db
          .transaction()
          .execute((tx) => storeResponse(tx, scope, key, { status, body }, route.redact ?? []));
        for (const effect of afterCommit) effect();
        return reply.code(status).send(body);
      }
      const response = await deps.db
        .transaction()
        .execute(async (tx): Promise<StoredResponse & { replayed: boolean }> => {
          if (key) {
            const fingerprint = requestFingerprint(request.method, request.url, request.body);
            const claim = await claimKey(tx, scope, key, fingerprint, toDate(deps.clock.now()));
            if (claim !== 'claimed') return { ...claim, replayed: true };
          }
          const body = await run(tx, true);
          if (key) await storeResponse(tx, scope, key, { status, body }, route.redact ?? []);
          return { status, body, replayed: false };
        });
      for (const effect of afterCommit) effect();
      if (response.replayed) reply.header('idempotent-replayed', 'true');
      return reply.code(response.status).send(response.body);
    },
  });
}
