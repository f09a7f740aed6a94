import { z } from 'zod';
import { type idPrefixes, isId } from './db/ids.js';

/** Shapes every module's API shares: ids, lists, cursor pagination (Stripe's conventions). */

export const idOf = (kind: keyof typeof idPrefixes) =>
  z.string().refine((value) => isId(kind, value), { message: `Not a valid ${kind} id` });

/** Timestamps in responses: ISO 8601 strings, in UTC. */
export const timestamp = z.string().describe('ISO 8601 timestamp (UTC)');

export const listQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  starting_after: z
    .string()
    .max(64)
    .optional()
    .describe('Cursor: the id of the last object of the previous page'),
});

export const listOf = <T extends z.ZodType>(item: T) =>
  z.object({ object: z.literal('list'), data: z.array(item), has_more: z.boolean() });

export interface Page<T> {
  object: 'list';
  data: T[];
  has_more: boolean;
}

/** Callers fetch `limit + 1` rows; the extra row only tells whether there is more. */
export function toPage<Row, T>(rows: Row[], limit: number, present: (row: Row) => T): Page<T> {
  return { object: 'list', data: rows.slice(0, limit).map(present), has_more: rows.length > limit };
}

/**
 * An amount in minor units as a JSON integer, as Stripe writes amounts. JSON numbers are exact up to
 * 2^53, far above any real invoice; beyond it we refuse rather than write a rounded number.
 */
export function amountJson(amount: bigint): number {
  if (amount > BigInt(Number.MAX_SAFE_INTEGER) || amount < -BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new RangeError(`Amount ${amount} is beyond what JSON carries exactly`);
  }
  return Number(amount);
}
