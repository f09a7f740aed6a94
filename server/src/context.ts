import type { DbOrTx } from './db/database.js';
import type { Clock } from './time/clock.js';

/** Who is acting. Recorded in the audit log with every change. */
export type Actor =
  | { type: 'user'; id: string }
  | { type: 'api_key'; id: string }
  | { type: 'system'; id: string };

export interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/**
 * What every operation receives: `({ ctx, ...input })`. No module-level singletons, so each test
 * brings its own database and clock.
 */
export interface Ctx {
  db: DbOrTx;
  clock: Clock;
  log: Logger;
  actor: Actor;
  requestId: string;
}

export const silentLogger: Logger = { info() {}, warn() {}, error() {} };
