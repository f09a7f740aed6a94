import { resolve } from 'node:path';
import type { DatabaseConfig } from './db/database.js';
import type { GatewayName } from './db/schema.js';
import type { CashfreeConfig, StripeSettings } from './payments/index.js';

/** Everything Billfold reads from its environment, in one place (documented in the README). */
export interface BillfoldConfig {
  database: DatabaseConfig;
  host: string;
  port: number;
  publicUrl: string;
  webDist: string | undefined;
  trustProxy: boolean | string;
  /** Gateways whose keys are set; the test gateway is always there. */
  gateways: GatewayName[];
  stripe: StripeSettings | undefined;
  cashfree: CashfreeConfig | undefined;
  /** Cards the billing run charges at once (BILLFOLD_CHARGE_CONCURRENCY); 8 when not given. */
  chargeConcurrency?: number;
}

/** `defaultWebDist`: where the built web UI is, as seen from the caller (the CLI knows its own place). */
export function configFromEnv(env: NodeJS.ProcessEnv, defaultWebDist?: string): BillfoldConfig {
  const port = Number.parseInt(env.PORT ?? '4000', 10);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new Error(`PORT must be a port number, not ${env.PORT}`);
  const host = env.HOST ?? '127.0.0.1';
  const poolSize = Number.parseInt(env.BILLFOLD_DB_POOL_SIZE ?? '10', 10);
  if (!Number.isInteger(poolSize) || poolSize < 1)
    throw new Error(
      `BILLFOLD_DB_POOL_SIZE must be a positive whole number, not ${env.BILLFOLD_DB_POOL_SIZE}`,
    );
  const chargeConcurrency = Number.parseInt(env.BILLFOLD_CHARGE_CONCURRENCY ?? '8', 10);
  if (!Number.isInteger(chargeConcurrency) || chargeConcurrency < 1)
    throw new Error(
      `BILLFOLD_CHARGE_CONCURRENCY must be a positive whole number, not ${env.BILLFOLD_CHARGE_CONCURRENCY}`,
    );
  const database: DatabaseConfig = env.DATABASE_URL
    ? { kind: 'postgres', url: env.DATABASE_URL, poolSize }
    : { kind: 'pglite', dataDir: resolve(env.BILLFOLD_DATA_DIR ?? '.billfold') };
  return {
    database,
    chargeConcurrency,
    host,
    port,
    publicUrl: env.BILLFOLD_PUBLIC_URL ?? `http://localhost:${port}`,
    webDist: env.BILLFOLD_WEB_DIST ?? defaultWebDist,
    // 'true' trusts any proxy; otherwise a comma-separated list of proxy addresses or CIDR ranges.
    trustProxy: env.BILLFOLD_TRUST_PROXY === 'true' ? true : (env.BILLFOLD_TRUST_PROXY ?? false),
    stripe: stripeSettings(env),
    cashfree:
      env.CASHFREE_CLIENT_ID && env.CASHFREE_CLIENT_SECRET
        ? {
            clientId: env.CASHFREE_CLIENT_ID,
            clientSecret: env.CASHFREE_CLIENT_SECRET,
            environment: env.CASHFREE_ENVIRONMENT === 'production' ? 'production' : 'sandbox',
            ...(env.CASHFREE_API_BASE ? { basePath: env.CASHFREE_API_BASE } : {}),
            ...(env.CASHFREE_CHECKOUT_BASE ? { checkoutBase: env.CASHFREE_CHECKOUT_BASE } : {}),
          }
        : undefined,
    gateways: [
      ...(env.STRIPE_SECRET_KEY && env.STRIPE_WEBHOOK_SECRET ? (['stripe'] as const) : []),
      ...(env.CASHFREE_CLIENT_ID && env.CASHFREE_CLIENT_SECRET ? (['cashfree'] as const) : []),
    ],
  };
}

/** STRIPE_API_BASE points the SDK elsewhere (an emulator): http://127.0.0.1:12111. */
function stripeSettings(env: NodeJS.ProcessEnv): StripeSettings | undefined {
  if (!env.STRIPE_SECRET_KEY || !env.STRIPE_WEBHOOK_SECRET) return undefined;
  const base = env.STRIPE_API_BASE ? new URL(env.STRIPE_API_BASE) : undefined;
  return {
    secretKey: env.STRIPE_SECRET_KEY,
    webhookSecret: env.STRIPE_WEBHOOK_SECRET,
    ...(base
      ? {
          host: base.hostname,
          port: Number.parseInt(base.port || (base.protocol === 'https:' ? '443' : '80'), 10),
          protocol: base.protocol === 'https:' ? ('https' as const) : ('http' as const),
        }
      : {}),
  };
}
