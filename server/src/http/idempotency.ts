import { createHash } from 'node:crypto';
import type { Db, Tx } from '../db/database.js';
import { BillfoldError, invalid } from '../errors.js';
import type { Access } from './route.js';

/**
 * Idempotency-Key, as Stripe does it: the first response to a key is stored and replayed; the same
 * key with other parameters is refused. The key row is claimed inside the request's transaction, so
 * a concurrent duplicate waits on the unique index until the first commits and then replays it: one
 * effect, one response. A request that fails rolls back its claim and may be retried.
 */

export const IDEMPOTENCY_HEADER = 'idempotency-key';

/**
 * Idempotency keys belong to whoever sent them: the API key, or the person. Never only the
 * organization: two members (or two integrations) picking the same key must not be handed each
 * other's responses.
 */
export function idempotencyScope(access: Access): string {
  const { principal } = access;
  if (principal.kind === 'api_key') return `api_key:${principal.keyId}`;
  // Per organization too: the same key sent for another organization is another request.
  if (principal.kind === 'user') return `user:${principal.user.id}|org:${access.orgId ?? '-'}`;
  return 'anonymous';
}

export interface StoredResponse {
  status: number;
  body: unknown;
}

export function validKey(value: string | string[] | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length < 1 || value.length > 255 || !/^[\x21-\x7e]+$/.test(value)) {
    throw invalid(
      'idempotency.invalid_key',
      'Idempotency-Key must be 1-255 visible ASCII characters',
      'Idempotency-Key',
    );
  }
  return value;
}

export const requestFingerprint = (method: string, url: string, body: unknown) =>
  createHash('sha256')
    .update(`${method} ${url}\n${JSON.stringify(body ?? null)}`)
    .digest('hex');

/** Claims the key, or returns the response stored for it. */
export async function claimKey(
  tx: Tx,
  scope: string,
  key: string,
  fingerprint: string,
  now: Date,
): Promise<StoredResponse | 'claimed'> {
  const claimed = await tx
    .insertInto('idempotency_keys')
    .values({ scope, key, request_hash: fingerprint, created_at: now })
    .onConflict((oc) => oc.columns(['scope', 'key']).doNothing())
    .returning('key')
    .executeTakeFirst();
  if (claimed) return 'claimed';
  const stored = await tx
    .selectFrom('idempotency_keys')
    .select(['request_hash', 'response_status', 'response_body'])
    .where('scope', '=', scope)
    .where('key', '=', key)
    .executeTakeFirstOrThrow();
  if (stored.request_hash !== fingerprint) {
    throw new BillfoldError(
      'idempotency',
      'idempotency.key_reused',
      'This Idempotency-Key was used with other parameters; use a new key for a new request',
      'Idempotency-Key',
    );
  }
  if (stored.response_status === null) {
    // Claimed by a request that runs outside one transaction (it calls a gateway) and has not answered.
    throw new BillfoldError(
      'idempotency',
      'idempotency.in_progress',
      'A request with this Idempotency-Key is still running; retry it shortly for its response',
      'Idempotency-Key',
    );
  }
  return { status: stored.response_status, body: stored.response_body };
}

/** Gives a claimed key back after its request failed, so a retry runs it again. */
export async function releaseKey(db: Db, scope: string, key: string): Promise<void> {
  await db
    .deleteFrom('idempotency_keys')
    .where('scope', '=', scope)
    .where('key', '=', key)
    .where('response_status', 'is', null)
    .execute();
}

export async function storeResponse(
  tx: Tx,
  scope: string,
  key: string,
  response: StoredResponse,
  redact: readonly string[],
) {
  let body = response.body;
  if (redact.length > 0 && body && typeof body === 'object') {
    body = { ...body, ...Object.fromEntries(redact.map((field) => [field, null])) };
  }
  await tx
    .updateTable('idempotency_keys')
    .set({ response_status: response.status, response_body: JSON.stringify(body) })
    .where('scope', '=', scope)
    .where('key', '=', key)
    .execute();
}
