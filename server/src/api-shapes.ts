import { z } from 'zod';
import { type idPrefixes, isId } from './db/ids.js';
import type { Slice } from './pagination.js';

/** Shapes every module's API shares: ids, lists, cursor pagination (Stripe's conventions). */

export const idOf = (kind: keyof typeof idPrefixes) =>
  z.string().refine((value) => isId(kind, value), { message: `Not a valid ${kind} id` });

/** Timestamps in responses: ISO 8601 strings, in UTC. */
export const timestamp = z.string().describe('ISO 8601 timestamp (UTC)');

/** The most objects one page holds. */
export const MAX_PAGE = 100;

export const listQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(MAX_PAGE).default(20),
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

/** A page of rows (pagination.ts reads them) as the API answers it, its rows presented together. */
export async function toPage<Row, T>(
  slice: Slice<Row>,
  present: (rows: Row[]) => T[] | Promise<T[]>,
): Promise<Page<T>> {
  return { object: 'list', data: await present(slice.rows), has_more: slice.has_more };
}

/**
 * The largest amount a request may name, in minor units of any currency: 10^12 (ten billion dollars,
 * a trillion yen). Far above any real price, refund, link or adjustment, and low enough that sums of
 * millions of such amounts stay exact in bigint columns and in JSON numbers (2^53). A gateway's own,
 * lower limit per charge is its refusal to make, answered as a payment error.
 */
export const MAX_AMOUNT = 1_000_000_000_000;

/**
 * An amount in a request: whole minor units from `min` up to MAX_AMOUNT (down to -MAX_AMOUNT when
 * negative amounts are allowed).
 */
export const amountInput = (min: number, messages: { min?: string } = {}) =>
  z
    .number()
    .int('Use whole minor units (cents), not a decimal')
    .min(min, messages.min)
    .max(MAX_AMOUNT, `At most ${MAX_AMOUNT} minor units`);

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
