import { describe, expect, it } from 'vitest';
import { BillfoldError } from '../errors.js';
import { signPayload } from '../events/index.js';
import {
  SIGNATURE_TOLERANCE_SECONDS,
  signCashfree,
  signStripeStyle,
  verifyCashfreeSignature,
  verifyStripeStyle,
} from './webhook-signatures.js';

/**
 * Fixed vectors for every webhook signature scheme we verify or send. The expected signatures were
 * computed once outside this code base, with OpenSSL, from the vendors' documented schemes:
 *
 *   printf '%s' "$T.$BODY" | openssl dgst -sha256 -hmac "$SECRET" -hex                 (Stripe, Billfold)
 *   printf '%s' "$T$BODY"  | openssl dgst -sha256 -hmac "$SECRET" -binary | base64     (Cashfree)
 *
 * and are written here as literals, so a change to what is signed (the timestamp left out, another
 * separator, another encoding of the body) fails here even if signer and verifier change together.
 */

const T = 1_798_000_000;
const ASCII_BODY = '{"id":"evt_1","type":"checkout.session.completed"}';
// Non-ASCII text must be signed as its UTF-8 bytes, as the vendors send it.
const UTF8_BODY = '{"description":"Rechnung für März – ₹ 1.499","amount":149900}';

const STRIPE_SECRET = 'whsec_fixed_vector_secret';
const stripeVectors = [
  [ASCII_BODY, 'f899d738be80800c9c6e3fccbdb60097722e8c77ef90b09cc66cbd0894b3ac54'],
  [UTF8_BODY, '40299e7b0fe07dd341ebe9ffa3b753da3a0357029cb06c780d55f9d95d05ed46'],
] as const;

const CASHFREE_SECRET = 'cashfree_client_secret_vector';
const cashfreeVectors = [
  [String(T), ASCII_BODY, 'Ca/XPnK7hfxW4F5eLKfEqyrTealpb9oga5sfH+MaXfQ='],
  [String(T), UTF8_BODY, 'MRtdteAbhyg5u9Zyt9bSrR0j8o+yAwPnOH68akLMkck='],
  // Cashfree also sends the timestamp in milliseconds; it is signed as sent.
  [`${T}123`, ASCII_BODY, 'xfeySkhIrZIipkek1a6qE4+GFRMSBPmyPxqDsrwPAZ4='],
] as const;

/** The refusal's code, or undefined when accepted. Every refusal is a 400 with a message to read. */
const codeOf = (check: () => void): string | undefined => {
  try {
    check();
    return undefined;
  } catch (error) {
    if (!(error instanceof BillfoldError)) return String(error);
    expect(error.type).toBe('invalid_request');
    expect(error.message).toMatch(/^The \w+/);
    return error.code;
  }
};

describe('the Stripe signature scheme, Stripe-Signature t and v1', () => {
  it.each(stripeVectors)('accepts the documented signature of vector %#', (body, hex) => {
    expect(codeOf(() => verifyStripeStyle(`t=${T},v1=${hex}`, body, STRIPE_SECRET, T))).toBeUndefined();
    expect(signStripeStyle(STRIPE_SECRET, T, body)).toBe(`t=${T},v1=${hex}`);
  });

  it('finds the v1 signature among others, as Stripe sends several during a secret roll', () => {
    const [body, hex] = stripeVectors[0];
    const header = `t=${T},v1=${'0'.repeat(64)},v0=abc,v1=${hex}`;
    expect(codeOf(() => verifyStripeStyle(header, body, STRIPE_SECRET, T))).toBeUndefined();
    // Only t= is the timestamp: a numeric value under another name does not replace it.
    const numericV0 = `t=${T},v1=${hex},v0=1234567890`;
    expect(codeOf(() => verifyStripeStyle(numericV0, body, STRIPE_SECRET, T))).toBeUndefined();
    // Blanks around the parts are forgiven, in names and values alike.
    const spaced = ` t= ${T} , v1= ${hex} `;
    expect(codeOf(() => verifyStripeStyle(spaced, body, STRIPE_SECRET, T))).toBeUndefined();
  });

  it('reads the timestamp only when it is all digits', () => {
    const [body, hex] = stripeVectors[0];
    for (const t of [`${T}x`, `${T}.5`, `x${T}`, `${T}e0`]) {
      expect(
        codeOf(() => verifyStripeStyle(`t=${t},v1=${hex}`, body, STRIPE_SECRET, T)),
        t,
      ).toBe('webhook.signature_malformed');
    }
  });

  it('refuses the signature under another timestamp, another body or another secret', () => {
    const [body, hex] = stripeVectors[0];
    // The timestamp is part of what is signed: moving it breaks the signature.
    expect(codeOf(() => verifyStripeStyle(`t=${T + 1},v1=${hex}`, body, STRIPE_SECRET, T))).toBe(
      'webhook.signature_invalid',
    );
    expect(codeOf(() => verifyStripeStyle(`t=${T},v1=${hex}`, `${body} `, STRIPE_SECRET, T))).toBe(
      'webhook.signature_invalid',
    );
    expect(codeOf(() => verifyStripeStyle(`t=${T},v1=${hex}`, body, `${STRIPE_SECRET}x`, T))).toBe(
      'webhook.signature_invalid',
    );
    // Cut short, or with anything after it (which a hex decoder would silently drop).
    for (const other of [hex.slice(0, 62), `${hex}zz`, `${hex}0`, hex.toUpperCase()]) {
      expect(
        codeOf(() => verifyStripeStyle(`t=${T},v1=${other}`, body, STRIPE_SECRET, T)),
        other,
      ).toBe('webhook.signature_invalid');
    }
  });

  it('accepts a timestamp up to the tolerance either side of our clock and refuses one beyond', () => {
    const [body, hex] = stripeVectors[0];
    const at = (now: number) => codeOf(() => verifyStripeStyle(`t=${T},v1=${hex}`, body, STRIPE_SECRET, now));
    expect(SIGNATURE_TOLERANCE_SECONDS).toBe(300);
    expect(at(T + 300)).toBeUndefined();
    expect(at(T - 300)).toBeUndefined();
    // Sent 301 s ago: a replay.
    expect(at(T + 301)).toBe('webhook.timestamp_stale');
    // Signed 301 s in our future: a replay prepared in advance, or a clock we cannot trust.
    expect(at(T - 301)).toBe('webhook.timestamp_stale');
  });

  it('refuses a missing or malformed header before computing anything', () => {
    const [body, hex] = stripeVectors[0];
    expect(codeOf(() => verifyStripeStyle(undefined, body, STRIPE_SECRET, T))).toBe(
      'webhook.signature_missing',
    );
    expect(codeOf(() => verifyStripeStyle('', body, STRIPE_SECRET, T))).toBe('webhook.signature_missing');
    for (const header of [`v1=${hex}`, `t=${T}`, `t=soon,v1=${hex}`, `t=-${T},v1=${hex}`, hex]) {
      expect(
        codeOf(() => verifyStripeStyle(header, body, STRIPE_SECRET, T)),
        header,
      ).toBe('webhook.signature_malformed');
    }
  });
});

describe('the Cashfree signature scheme, over the timestamp and the body', () => {
  const nowMs = T * 1000;

  it.each(cashfreeVectors)(
    'accepts the documented signature at timestamp %s of %s',
    (timestamp, body, b64) => {
      expect(
        codeOf(() => verifyCashfreeSignature(b64, timestamp, body, CASHFREE_SECRET, nowMs)),
      ).toBeUndefined();
      expect(signCashfree(CASHFREE_SECRET, timestamp, body)).toBe(b64);
    },
  );

  it('refuses the signature under another timestamp, another body or another secret', () => {
    const [timestamp, body, b64] = cashfreeVectors[0];
    expect(codeOf(() => verifyCashfreeSignature(b64, String(T + 1), body, CASHFREE_SECRET, nowMs))).toBe(
      'webhook.signature_invalid',
    );
    expect(codeOf(() => verifyCashfreeSignature(b64, timestamp, `${body} `, CASHFREE_SECRET, nowMs))).toBe(
      'webhook.signature_invalid',
    );
    expect(codeOf(() => verifyCashfreeSignature(b64, timestamp, body, 'another secret', nowMs))).toBe(
      'webhook.signature_invalid',
    );
    // Cut short, with anything after its padding (which a base64 decoder would silently drop), or
    // not base64 at all.
    for (const other of [b64.slice(0, 20), `${b64}AAAA`, `${b64}!`, 'not a signature', '']) {
      expect(
        codeOf(() => verifyCashfreeSignature(other || ' ', timestamp, body, CASHFREE_SECRET, nowMs)),
      ).toBe('webhook.signature_invalid');
    }
  });

  it('accepts a timestamp in seconds or milliseconds up to the tolerance either side and refuses one beyond', () => {
    const [timestamp, body, b64] = cashfreeVectors[0];
    const at = (now: number) =>
      codeOf(() => verifyCashfreeSignature(b64, timestamp, body, CASHFREE_SECRET, now));
    expect(at(nowMs + 300_000)).toBeUndefined();
    expect(at(nowMs - 300_000)).toBeUndefined();
    expect(at(nowMs + 300_001)).toBe('webhook.timestamp_stale');
    expect(at(nowMs - 300_001)).toBe('webhook.timestamp_stale');

    const [msTimestamp, msBody, msB64] = cashfreeVectors[2];
    const sentMs = Number(msTimestamp);
    const atMs = (now: number) =>
      codeOf(() => verifyCashfreeSignature(msB64, msTimestamp, msBody, CASHFREE_SECRET, now));
    expect(atMs(sentMs + 300_000)).toBeUndefined();
    expect(atMs(sentMs - 300_000)).toBeUndefined();
    expect(atMs(sentMs + 300_001)).toBe('webhook.timestamp_stale');
    expect(atMs(sentMs - 300_001)).toBe('webhook.timestamp_stale');
  });

  it('refuses a missing signature or timestamp, and a timestamp that is not a number', () => {
    const [timestamp, body, b64] = cashfreeVectors[0];
    expect(codeOf(() => verifyCashfreeSignature(undefined, timestamp, body, CASHFREE_SECRET, nowMs))).toBe(
      'webhook.signature_missing',
    );
    expect(codeOf(() => verifyCashfreeSignature(b64, undefined, body, CASHFREE_SECRET, nowMs))).toBe(
      'webhook.signature_missing',
    );
    for (const bad of ['soon', '179800000', `${T}.5`, `${T}1234`]) {
      expect(
        codeOf(() => verifyCashfreeSignature(b64, bad, body, CASHFREE_SECRET, nowMs)),
        bad,
      ).toBe('webhook.signature_malformed');
    }
  });
});

describe('the Billfold-Signature we send to our own webhook endpoints', () => {
  it('signs the timestamp, a dot and the raw body with HMAC-SHA256 in hex, as documented', () => {
    const body = '{"id":"evt_00000000000000000000000001","type":"invoice.paid"}';
    expect(signPayload('whsec_endpoint_vector', 1_798_000_042, body)).toBe(
      't=1798000042,v1=8d1a286f68450beefe9c81d8fd63e23ebab7f16cfd2c3e6696b4143c86be4e68',
    );
  });
});
