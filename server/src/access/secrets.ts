import { hash, timingSafeEqual } from 'node:crypto';
import { randomToken } from '../db/ids.js';

/**
 * Passwords are low-entropy, so they get argon2id (slow on purpose). Session tokens, API keys and
 * invite tokens are 40+ random characters, so a SHA-256 digest is enough and lets us look them up by
 * an index in one query.
 */

// argon2id, OWASP's second recommended profile: 19 MiB, 2 passes.
const argon2Options = { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

// The native addon loads on the first sign-in, not at start (startup time is a benchmark).
const argon2 = () => import('@node-rs/argon2');

export const hashPassword = async (password: string) => (await argon2()).hash(password, argon2Options);

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await (await argon2()).verify(passwordHash, password);
  } catch {
    return false;
  }
}

// Verified against when the email is unknown, so that a sign-in takes as long either way.
let decoyHash: Promise<string> | undefined;
export const decoyPasswordHash = () => {
  decoyHash ??= hashPassword(randomToken(24));
  return decoyHash;
};

// One-shot crypto.hash: several times cheaper than createHash, and every API request hashes its key.
export const sha256 = (value: string) => hash('sha256', value, 'hex');

export function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

export const newSecret = (prefix: string) => `${prefix}_${randomToken(40)}`;
