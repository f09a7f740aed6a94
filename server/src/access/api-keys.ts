import { type Page, toPage } from '../api-shapes.js';
import type { Db } from '../db/database.js';
import { newId } from '../db/ids.js';
import type { ApiKeyMode, ApiKeyRow } from '../db/schema.js';
import { notFound } from '../errors.js';
import { listPage, type PageRequest } from '../pagination.js';
import { scoped, type TenantCtx } from '../tenant.js';
import { toDate } from '../time/index.js';
import type { ApiKeyObject } from './access.schema.js';
import { recordAudit } from './audit.js';
import { announceAccessChange } from './changes.js';
import { ReadCache } from './read-cache.js';
import { newSecret, sha256 } from './secrets.js';

/** API keys per organization (C3): the secret is shown once and kept only as a digest. */

export const API_KEY_PREFIX = 'bfk';

export async function createApiKey(ctx: TenantCtx, input: { name: string; mode: ApiKeyMode }) {
  const secret = newSecret(API_KEY_PREFIX);
  const row: ApiKeyRow = {
    org_id: ctx.tenant.orgId,
    id: newId('apiKey'),
    name: input.name,
    mode: input.mode,
    secret_hash: sha256(secret),
    last4: secret.slice(-4),
    created_by: ctx.actor.id,
    created_at: toDate(ctx.clock.now()),
    revoked_at: null,
  };
  await ctx.db.insertInto('api_keys').values(row).execute();
  await recordAudit(ctx, {
    action: 'api_key.created',
    targetType: 'api_key',
    targetId: row.id,
    after: { name: row.name, mode: row.mode, last4: row.last4 },
  });
  return presentApiKey(row, secret);
}

/** The organization's keys, newest first. */
export async function listApiKeys(ctx: TenantCtx, page: PageRequest): Promise<Page<ApiKeyObject>> {
  const slice = await listPage(
    scoped(ctx).selectFrom('api_keys').selectAll(),
    {
      by: [
        ['api_keys.created_at', 'desc'],
        ['api_keys.id', 'desc'],
      ],
      id: 'api_keys.id',
      cursorFrom: scoped(ctx).selectFrom('api_keys'),
      noun: 'API key',
    },
    page,
  );
  return toPage(slice, (rows) => rows.map((row) => presentApiKey(row, null)));
}

export async function revokeApiKey(ctx: TenantCtx, keyId: string): Promise<ApiKeyObject> {
  const row = await scoped(ctx)
    .updateTable('api_keys')
    .set({ revoked_at: toDate(ctx.clock.now()) })
    .where('id', '=', keyId)
    .where('revoked_at', 'is', null)
    .returningAll()
    .executeTakeFirst();
  if (!row) throw notFound('api_key.not_found', 'No active API key with this id');
  await announceAccessChange(ctx.db, { kind: 'api_key_revoked', keyId });
  await recordAudit(ctx, {
    action: 'api_key.revoked',
    targetType: 'api_key',
    targetId: keyId,
    before: { name: row.name, mode: row.mode, revoked: false },
    after: { revoked: true },
  });
  return presentApiKey(row, null);
}

export function presentApiKey(row: ApiKeyRow, secret: string | null): ApiKeyObject {
  return {
    id: row.id,
    object: 'api_key',
    name: row.name,
    mode: row.mode,
    last4: row.last4,
    created_by: row.created_by,
    created_at: row.created_at.toISOString(),
    revoked_at: row.revoked_at?.toISOString() ?? null,
    secret,
  };
}

export interface KeyPrincipal {
  keyId: string;
  orgId: string;
  mode: ApiKeyMode;
}

/**
 * Resolves a bearer secret to its key. Every API request does this, so answers are kept in memory
 * for a few seconds. A revocation is forgotten at once after it commits: in this process by the route,
 * in the others by its announcement (changes.ts). The time-to-live is only a backstop.
 */
export class ApiKeyAuthenticator {
  // Keyed by the secret itself: hashing it on every request showed in benchmarks. The database only
  // ever sees the digest; here a secret stays at most the cache time after its last use. Values are
  // wrapped: an unknown secret is remembered too, so guessing costs no queries.
  readonly #cache: ReadCache<{ principal: KeyPrincipal | null }>;

  constructor(db: Db, ttlMs = 5_000) {
    this.#cache = new ReadCache({
      ttlMs,
      load: async (secret) => {
        const row = await db
          .selectFrom('api_keys')
          .select(['id', 'org_id', 'mode'])
          .where('secret_hash', '=', sha256(secret))
          .where('revoked_at', 'is', null)
          .executeTakeFirst();
        return { principal: row ? { keyId: row.id, orgId: row.org_id, mode: row.mode } : null };
      },
    });
  }

  async authenticate(secret: string): Promise<KeyPrincipal | null> {
    return (await this.#cache.get(secret)).principal;
  }

  /** Drops a revoked key from this process's memory; lookups in flight do not bring it back. */
  forget(keyId: string): void {
    this.#cache.forget((_secret, entry) => entry.principal?.keyId === keyId);
  }

  /** Forgets every key (revocations may have been missed); with `caching` false, reads every time. */
  clear(caching: boolean): void {
    this.#cache.clear(caching);
  }
}
