import { sql } from 'kysely';
import type { DbOrTx } from '../db/database.js';

/**
 * How a change to access data that processes keep in memory (API keys, organizations; caches.ts)
 * reaches every process on the database. A change is announced with NOTIFY inside the transaction that makes it, so
 * PostgreSQL delivers it exactly when the change commits, and never for one rolled back. Roles,
 * memberships and sessions are not cached: every request reads them, so a removed member or an ended
 * session is refused at once everywhere.
 */

export const ACCESS_CHANNEL = 'billfold_access';

export type AccessChange =
  | { kind: 'api_key_revoked'; keyId: string }
  | { kind: 'organization_changed'; orgId: string };

export async function announceAccessChange(db: DbOrTx, change: AccessChange): Promise<void> {
  await sql`select pg_notify(${ACCESS_CHANNEL}, ${JSON.stringify(change)})`.execute(db);
}

export function parseAccessChange(payload: string): AccessChange | undefined {
  try {
    const change = JSON.parse(payload) as Partial<Record<string, unknown>>;
    if (change.kind === 'api_key_revoked' && typeof change.keyId === 'string') {
      return { kind: change.kind, keyId: change.keyId };
    }
    if (change.kind === 'organization_changed' && typeof change.orgId === 'string') {
      return { kind: change.kind, orgId: change.orgId };
    }
  } catch {
    // Not ours (someone else's NOTIFY on the channel): nothing to apply.
  }
  return undefined;
}
