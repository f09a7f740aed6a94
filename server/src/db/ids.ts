import { randomBytes } from 'node:crypto';

/** Prefixed, URL-safe random ids in Stripe's style: `usr_4f9Kq2...`. */
export const idPrefixes = {
  user: 'usr',
  organization: 'org',
  invitation: 'inv',
  apiKey: 'key',
  auditEvent: 'aud',
  request: 'req',
} as const;

const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** `length` characters of base62 drawn without modulo bias. */
export function randomToken(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      // 248 = 62 * 4: bytes above it would favour the first characters.
      if (byte < 248 && out.length < length) out += alphabet[byte % 62];
    }
  }
  return out;
}

export function newId(kind: keyof typeof idPrefixes): string {
  return `${idPrefixes[kind]}_${randomToken(20)}`;
}

/** A well-formed id of that kind (shape only; existence is the database's business). */
export function isId(kind: keyof typeof idPrefixes, value: string): boolean {
  return new RegExp(`^${idPrefixes[kind]}_[0-9A-Za-z]{8,40}$`).test(value);
}
