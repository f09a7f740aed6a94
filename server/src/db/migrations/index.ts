import type { Migration } from 'kysely';
import * as accounts from './0001_accounts.js';
import * as catalogCustomers from './0002_catalog_customers.js';
import * as payments from './0003_payments.js';
import * as billing from './0004_billing.js';
import * as checkoutConflicts from './0005_checkout_conflicts.js';
import * as rateLimits from './0006_rate_limits.js';
import * as dunningFinalStep from './0007_dunning_final_step.js';
import * as gatewayEventClaims from './0008_gateway_event_claims.js';
import * as billingCore from './0009_billing_core.js';
import * as calendar from './0010_calendar.js';
import * as subscriptionEventOrder from './0012_subscription_event_order.js';
import * as invoiceCycles from './0013_invoice_cycles.js';
import * as customerBalance from './0014_customer_balance.js';
import * as pendingPlanChange from './0015_pending_plan_change.js';
import * as checkoutCredit from './0016_checkout_credit.js';
import * as billingRunOrder from './0017_billing_run_order.js';
import * as metering from './0018_metering.js';
import * as usageAlerts from './0019_usage_alerts.js';
import * as usageBilled from './0020_usage_billed.js';
import * as recurringMetrics from './0021_recurring_metrics.js';
import * as entitlementStamps from './0022_entitlement_stamps.js';
import * as paymentLookups from './0023_payment_lookups.js';

/** Forward-only, committed, applied in key order. Never edit one that has shipped: add the next. */
export const migrations: Record<string, Migration> = {
  '0001_accounts': accounts,
  '0002_catalog_customers': catalogCustomers,
  '0003_payments': payments,
  '0004_billing': billing,
  '0005_checkout_conflicts': checkoutConflicts,
  '0006_rate_limits': rateLimits,
  '0007_dunning_final_step': dunningFinalStep,
  '0008_gateway_event_claims': gatewayEventClaims,
  '0009_billing_core': billingCore,
  '0010_calendar': calendar,
  '0012_subscription_event_order': subscriptionEventOrder,
  '0013_invoice_cycles': invoiceCycles,
  '0014_customer_balance': customerBalance,
  '0015_pending_plan_change': pendingPlanChange,
  '0016_checkout_credit': checkoutCredit,
  '0017_billing_run_order': billingRunOrder,
  '0018_metering': metering,
  '0019_usage_alerts': usageAlerts,
  '0020_usage_billed': usageBilled,
  '0021_recurring_metrics': recurringMetrics,
  '0022_entitlement_stamps': entitlementStamps,
  '0023_payment_lookups': paymentLookups,
};
