import { createHmac, timingSafeEqual } from 'node:crypto';
import { BillfoldError } from '../errors.js';

/**
 * The webhook signatures we verify, each checked over the raw bytes before anything is parsed, in
 * constant time, within a tolerance (300 s) either side of our clock:
 * - Stripe's scheme, which the test gateway uses too:
 *   `Stripe-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + raw body)>`;
 * - Cashfree's: `x-webhook-signature: base64(HMAC-SHA256(secret, x-webhook-timestamp + raw body))`.
 */

export const SIGNATURE_TOLERANCE_SECONDS = 300;

const hmacHex = (secret: string, payload: string) =>
  createHmac('sha256', secret).update(payload, 'utf8').digest('hex');

export function signStripeStyle(secret: string, timestamp: number, rawBody: string): string {
  return `t=${timestamp},v1=${hmacHex(secret, `${timestamp}.${rawBody}`)}`;
}

const refuse = (code: string, message: string) => new BillfoldError('invalid_request', code, message);

/**
 * Compares a signature as sent with the one we computed, as text and in constant time. Not decoded
 * first: Node's hex and base64 decoders stop at the first character they cannot read, so a valid
 * signature with anything appended would decode to the same bytes and pass.
 */
function sameText(given: string, expected: string): boolean {
  const a = Buffer.from(given, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

export function verifyStripeStyle(
  header: string | undefined,
  rawBody: string,
  secret: string,
  nowSeconds: number,
  toleranceSeconds = SIGNATURE_TOLERANCE_SECONDS,
): void {
  if (!header) throw refuse('webhook.signature_missing', 'The request carries no signature');
  let timestamp: number | undefined;
  const signatures: string[] = [];
  for (const part of header.split(',')) {
    const [key, value] = part.split('=', 2);
    if (key?.trim() === 't' && value && /^\d{1,12}$/.test(value.trim()))
      timestamp = Number.parseInt(value.trim(), 10);
    if (key?.trim() === 'v1' && value) signatures.push(value.trim());
  }
  if (timestamp === undefined || signatures.length === 0) {
    throw refuse('webhook.signature_malformed', 'The signature header is not in the t=...,v1=... form');
  }
  const expected = hmacHex(secret, `${timestamp}.${rawBody}`);
  const matches = signatures.some((candidate) => sameText(candidate, expected));
  if (!matches) throw refuse('webhook.signature_invalid', 'The signature does not match the body');
  // Checked after the signature, so a forged request learns nothing about our clock.
  if (Math.abs(nowSeconds - timestamp) > toleranceSeconds) {
    throw refuse(
      'webhook.timestamp_stale',
      'The signed timestamp is outside the tolerance: a replay is refused',
    );
  }
}

/**
 * x-webhook-signature = base64(HMAC-SHA256(secret, x-webhook-timestamp + raw body)), compared in
 * constant time; a timestamp outside the window (in seconds or milliseconds) is a replay.
 */
export function verifyCashfreeSignature(
  signature: string | undefined,
  timestamp: string | undefined,
  rawBody: string,
  secret: string,
  nowMs: number,
): void {
  if (!signature || !timestamp) throw refuse('webhook.signature_missing', 'The request carries no signature');
  if (!/^\d{10,13}$/.test(timestamp))
    throw refuse('webhook.signature_malformed', 'The timestamp is not a number');
  const expected = createHmac('sha256', secret)
    .update(timestamp + rawBody, 'utf8')
    .digest('base64');
  if (!sameText(signature, expected)) {
    throw refuse('webhook.signature_invalid', 'The signature does not match the body');
  }
  const sentMs = timestamp.length === 13 ? Number(timestamp) : Number(timestamp) * 1000;
  if (Math.abs(nowMs - sentMs) > SIGNATURE_TOLERANCE_SECONDS * 1000) {
    throw refuse(
      'webhook.timestamp_stale',
      'The signed timestamp is outside the tolerance: a replay is refused',
    );
  }
}

export const signCashfree = (secret: string, timestamp: string, rawBody: string) =>
  createHmac('sha256', secret)
    .update(timestamp + rawBody, 'utf8')
    .digest('base64');
