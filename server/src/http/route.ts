import type { z } from 'zod';
import type { ApiKeyAuthenticator, OrganizationCache, Permission } from '../access/index.js';
import type { Ctx } from '../context.js';
import type { ApiKeyMode, GatewayName, Role } from '../db/schema.js';
import type { GatewayRegistry } from '../payments/index.js';
import type { TenantCtx } from '../tenant.js';
import type { Limit } from './rate-limit.js';

/** The principal a request carries, resolved from its session cookie or API key. */
export type Principal =
  | { kind: 'anonymous' }
  | {
      kind: 'user';
      user: { id: string; email: string; name: string; is_operator: boolean; created_at: Date };
      csrfToken: string;
      sessionToken: string;
    }
  | { kind: 'api_key'; keyId: string; orgId: string; mode: ApiKeyMode };

/** The organization a request acts on, and the caller's role in it. */
export interface Access {
  principal: Principal;
  orgId: string | undefined;
  role: Role | undefined;
}

export interface SessionCookie {
  set(token: string, expiresAt: Date): void;
  clear(): void;
}

export interface RouteInput<B, Q, P> {
  ctx: Ctx;
  /**
   * The request's context with its organization: what every route acting on an organization's rows
   * passes on. Reading it without an organization refuses the request (`organization.required`).
   */
  readonly tenant: TenantCtx;
  body: B;
  query: Q;
  params: P;
  access: Access;
  session: SessionCookie;
  /** Absolute URL on this Billfold, for links shown to people. */
  publicUrl(path: string): string;
  /** Runs once the request's transaction has committed (cache invalidation). */
  afterCommit(effect: () => void): void;
  /** This process's read caches; a route that changes what they hold forgets it after commit. */
  caches: { apiKeys: ApiKeyAuthenticator; organizations: OrganizationCache };
  /** Payment gateways with keys on this Billfold (the test gateway needs none). */
  gateways: ReadonlySet<GatewayName>;
  /** The gateway adapters. */
  payments: GatewayRegistry;
  /** Told after commit that usage changed: evaluates the usage alerts of what changed. */
  usageAlerts: { usageChanged(): void };
}

type ZodOr<S, Fallback> = S extends z.ZodType ? z.infer<S> : Fallback;

export interface RouteDef<
  B extends z.ZodType | undefined = z.ZodType | undefined,
  Q extends z.ZodType | undefined = z.ZodType | undefined,
  P extends z.ZodType | undefined = z.ZodType | undefined,
  R extends z.ZodType = z.ZodType,
> {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  /** Fastify syntax: /v1/members/:user_id */
  path: string;
  operationId: string;
  summary: string;
  tag: string;
  permission: Permission;
  body?: B;
  query?: Q;
  params?: P;
  response: R;
  status?: 200 | 201;
  /**
   * Routes that mint or drop credentials (sign-up, sign-in, sign-out) neither store nor replay an
   * Idempotency-Key: a replay would hand out a session twice or none. They are safe to retry anyway.
   */
  idempotency?: 'off';
  /** Response fields never written to the idempotency store (secrets shown once). */
  redact?: readonly string[];
  /** A write that is not a billing action (signing in) and so has no audit entry. */
  audit?: 'off';
  /** Attempt limits, each counted per key: the client's address, the email signing in, ... */
  rateLimits?: ReadonlyArray<
    Limit & {
      key: (request: { body: ZodOr<B, undefined>; ip: string; userId: string | undefined }) => string;
    }
  >;
  /**
   * 'own': the operation opens its own transaction. For sign-in and sign-up, whose deliberately slow
   * password hashing must not hold a database connection (or, on PGlite, the only one).
   * 'keyed': the operation is one statement, atomic on its own; a transaction is opened only to store
   * its answer with an Idempotency-Key, when the request has one.
   */
  transaction?: 'own' | 'keyed';
  /**
   * A document rather than JSON (an invoice's PDF): the media type sent. The handler returns a
   * DocumentResponse; `response` describes nothing then.
   */
  produces?: 'application/pdf' | 'text/html';
  /** Bytes the body may hold, for a route that takes more than the app's default (a batch of events). */
  bodyLimit?: number;
  handler: (
    input: RouteInput<ZodOr<B, undefined>, ZodOr<Q, undefined>, ZodOr<P, undefined>>,
  ) => Promise<z.input<R>>;
}

/** Keeps each route's types while letting the table hold them all. */
export const defineRoute = <
  B extends z.ZodType | undefined = undefined,
  Q extends z.ZodType | undefined = undefined,
  P extends z.ZodType | undefined = undefined,
  R extends z.ZodType = z.ZodType,
>(
  route: RouteDef<B, Q, P, R>,
) => route as unknown as RouteDef;

/** What a document route returns: the bytes and the name a browser saves them under. */
export interface DocumentResponse {
  body: string | Buffer;
  filename: string;
}
