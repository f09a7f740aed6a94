/**
 * Every error a caller can act on is a BillfoldError with a stable, namespaced code
 * (`member.not_found`). The HTTP layer maps `type` to a status in one place (http/errors.ts).
 */
export type ErrorType =
  | 'invalid_request'
  | 'authentication'
  | 'permission'
  | 'not_found'
  /** The path exists, not with this method: 405, the methods it takes in `Allow`. */
  | 'method_not_allowed'
  | 'conflict'
  | 'payment'
  | 'idempotency'
  | 'rate_limited'
  /** A payment gateway failed or answered something we cannot use: 502, worth retrying later. */
  | 'gateway'
  | 'internal';

export class BillfoldError extends Error {
  constructor(
    readonly type: ErrorType,
    readonly code: string,
    message: string,
    readonly param?: string,
  ) {
    super(message);
    this.name = 'BillfoldError';
  }
}

export const invalid = (code: string, message: string, param?: string) =>
  new BillfoldError('invalid_request', code, message, param);
/** The card was declined or needs the person: 402, as Stripe's card errors. */
export const paymentFailed = (code: string, message: string) => new BillfoldError('payment', code, message);
export const notFound = (code: string, message: string) => new BillfoldError('not_found', code, message);
export const conflict = (code: string, message: string, param?: string) =>
  new BillfoldError('conflict', code, message, param);
export const forbidden = (code: string, message: string) => new BillfoldError('permission', code, message);
export const unauthenticated = (code: string, message: string) =>
  new BillfoldError('authentication', code, message);
