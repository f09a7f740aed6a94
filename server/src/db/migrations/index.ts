import type { Migration } from 'kysely';
import * as accounts from './0001_accounts.js';
import * as catalogCustomers from './0002_catalog_customers.js';
import * as payments from './0003_payments.js';
import * as billing from './0004_billing.js';
import * as dunningFinalStep from './0007_dunning_final_step.js';

/** Forward-only, committed, applied in key order. Never edit one that has shipped: add the next. */
export const migrations: Record<string, Migration> = {
  '0001_accounts': accounts,
  '0002_catalog_customers': catalogCustomers,
  '0003_payments': payments,
  '0004_billing': billing,
  '0007_dunning_final_step': dunningFinalStep,
};
