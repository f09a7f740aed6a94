import { randomBytes } from 'node:crypto';

/** Prefixed, URL-safe random ids in Stripe's style: `usr_4f9Kq2...`. */
export const idPrefixes = {
  user: 'usr',
  organization: 'org',
  invitation: 'inv',
  apiKey: 'key',
  auditEvent: 'aud',
  request: 'req',
  metric: 'mtr',
  plan: 'plan',
  planVersion: 'plv',
  customer: 'cus',
  paymentMethod: 'pm',
  subscription: 'sub',
  checkoutSession: 'cs',
  payment: 'pay',
  paymentLink: 'plink',
  refund: 'rf',
  balanceTransaction: 'cbtxn',
  subscriptionEvent: 'sev',
  invoice: 'in',
  invoiceLine: 'il',
  creditNote: 'cn',
  statement: 'stmt',
  ledgerEntry: 'le',
  testClock: 'clock',
  webhookEndpoint: 'we',
  event: 'evt',
  webhookDelivery: 'whd',
  usageAlert: 'ualrt',
  usageThreshold: 'uthr',
} as const;

const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

// Random bytes are drawn 4 KiB at a time: one system call per request id would show in benchmarks.
let pool = Buffer.alloc(0);
let offset = 0;
function nextRandomByte(): number {
  if (offset >= pool.length) {
    pool = randomBytes(4096);
    offset = 0;
  }
  return pool[offset++] ?? 0;
}

/** `length` characters of base62 from the CSPRNG, without modulo bias. */
export function randomToken(length: number): string {
  let out = '';
  while (out.length < length) {
    const byte = nextRandomByte();
    // 248 = 62 * 4: bytes above it would favour the first characters.
    if (byte < 248) out += alphabet[byte % 62];
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
