import { sql } from 'kysely';
import type { DbOrTx } from '../db/database.js';

/**
 * Many subscribers at once, for the crash test and the billing-run benchmark: organizations with a
 * billing customer on a monthly plan, a saved card at the built-in test gateway that succeeds, and a
 * period that ended at `periodEnd`. Written in a few set-based statements, the way the test gateway
 * and the flows would leave them, so the billing run has real work: renew, invoice, charge, post.
 */
export async function seedSubscribers(
  db: DbOrTx,
  input: { count: number; prefix: string; basePrice: number; timeZone: string; periodEnd: string },
): Promise<{ planId: string; versionId: string }> {
  const { count, prefix, basePrice, timeZone, periodEnd } = input;
  const planId = `plan_${prefix}`;
  const versionId = `plv_${prefix}`;
  const n = (template: string) => sql.raw(`'${template}' || lpad(n::text, 6, '0')`);
  await sql`
    insert into plans (org_id, id, code, name, description, currency, billing_interval, environment,
      visibility, is_default, unbilled, current_version, created_at, updated_at)
    values ('org_platform', ${planId}, ${prefix}, 'Scale', 'For load', 'USD', 'month', 'any', 'public',
      false, false, 1, now(), now())`.execute(db);
  await sql`
    insert into plan_versions (org_id, id, plan_id, version, base_price, trial_days, limits, charges,
      created_by, created_at)
    values ('org_platform', ${versionId}, ${planId}, 1, ${basePrice}, 0, '[]', '[]', 'system', now())`.execute(
    db,
  );
  const series = sql`from generate_series(1, ${count}) as n`;
  await sql`
    insert into organizations (id, kind, name, country, postal_code, created_at)
    select ${n(`org_${prefix}`)}, 'organization', 'Load ' || n, 'US', '94105', now() ${series}`.execute(db);
  await sql`
    insert into billing_customers (org_id, id, name, email, address_line1, address_line2, city, state,
      postal_code, country, phone, tax_id, currency, time_zone, gateway, created_at, updated_at)
    select ${n(`org_${prefix}`)}, ${n(`cus_${prefix}`)}, 'Load ' || n, 'billing' || n || '@load.example',
      '1 Market St', '', 'San Francisco', 'CA', '94105', 'US', '', '', 'USD', ${timeZone}, 'test', now(), now()
    ${series}`.execute(db);
  await sql`
    insert into gateway_customers (org_id, gateway, customer_id, gateway_customer_ref, created_at)
    select ${n(`org_${prefix}`)}, 'test', ${n(`cus_${prefix}`)}, ${n(`tcus_${prefix}`)}, now() ${series}`.execute(
    db,
  );
  await sql`
    insert into test_gateway_objects (id, kind, idempotency_key, data, created_at, updated_at)
    select ${n(`tpm_${prefix}`)}, 'payment_method', null,
      jsonb_build_object('customer', ${n(`tcus_${prefix}`)}, 'brand', 'visa', 'last4', '4242',
        'exp_month', 12, 'exp_year', 2034, 'behaviour', 'succeeds'), now(), now()
    ${series}`.execute(db);
  await sql`
    insert into payment_methods (org_id, id, customer_id, gateway, gateway_ref, kind, brand, last4,
      exp_month, exp_year, is_default, created_at)
    select ${n(`org_${prefix}`)}, ${n(`pm_${prefix}`)}, ${n(`cus_${prefix}`)}, 'test', ${n(`tpm_${prefix}`)},
      'card', 'visa', '4242', 12, 2034, true, now() ${series}`.execute(db);
  await sql`
    insert into subscriptions (org_id, id, customer_id, plan_issuer_id, plan_id, plan_version_id, status,
      started_at, created_at, billing_mode, anchor_day, time_zone, current_period_start, current_period_end,
      cancel_at_period_end, updated_at)
    select ${n(`org_${prefix}`)}, ${n(`sub_${prefix}`)}, ${n(`cus_${prefix}`)}, 'org_platform', ${planId},
      ${versionId}, 'active', ${periodEnd}::timestamptz - interval '1 month', ${periodEnd}::timestamptz - interval '1 month',
      'calendar', 1, ${timeZone}, ${periodEnd}::timestamptz - interval '1 month', ${periodEnd}::timestamptz,
      false, now()
    ${series}`.execute(db);
  return { planId, versionId };
}
