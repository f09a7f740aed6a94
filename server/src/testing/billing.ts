import type { LightMyRequestResponse } from 'fastify';
import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import type { Person, TestApi } from './api.js';

/**
 * Plans published by `operator`, by code: their ids. Each body is the plan's (name, price, terms);
 * currency and interval default to USD and month. Fails loudly when one is refused.
 */
export async function publishPlans<Code extends string>(
  api: TestApi,
  operator: Person,
  plans: ReadonlyArray<readonly [code: Code, body: object]>,
): Promise<Record<Code, string>> {
  const ids = {} as Record<Code, string>;
  for (const [code, body] of plans) {
    const plan = await api.call({
      method: 'POST',
      url: '/v1/operator/plans',
      as: operator,
      body: { code, currency: 'USD', interval: 'month', ...body },
    });
    if (plan.statusCode !== 201) throw new Error(`plan ${code} refused: ${plan.body}`);
    ids[code] = plan.json().id;
  }
  return ids;
}

/** Monthly USD plans published by `operator`, by code: their ids. */
export function publishMonthlyPlans<Code extends string>(
  api: TestApi,
  operator: Person,
  plans: ReadonlyArray<readonly [code: Code, name: string, basePrice: number]>,
): Promise<Record<Code, string>> {
  return publishPlans(
    api,
    operator,
    plans.map(([code, name, basePrice]) => [code, { name, base_price: basePrice }] as const),
  );
}

/** A customer for billing tests: its owner, its organization and calls made as that owner. */
export interface BillingTestCustomer {
  owner: Person;
  orgId: string;
  clockId: string;
  call(method: 'GET' | 'POST', url: string, body?: object): Promise<LightMyRequestResponse>;
  /** Moves the customer's test clock to `to`, running what falls due meanwhile. */
  advance(to: string): Promise<LightMyRequestResponse>;
}

/**
 * A new organization with a billing customer (`details`) attached to a test clock at `frozenTime`,
 * as an owner would set it up through the API. Fails loudly when any step is refused. A test making
 * many customers passes one `owner` for all (sign-ups are rate limited per address).
 */
export async function customerOnTestClock(
  api: TestApi,
  details: object,
  frozenTime: string,
  existingOwner?: Person,
): Promise<BillingTestCustomer> {
  const owner = existingOwner ?? (await api.signUp());
  const org = await api.call({
    method: 'POST',
    url: '/v1/organizations',
    as: owner,
    body: { name: 'Billing test', country: 'US', postal_code: '94105' },
  });
  const orgId = org.json().id as string;
  const call = (method: 'GET' | 'POST', url: string, body?: object) =>
    api.call({ method, url, as: owner, org: orgId, ...(body ? { body } : {}) });
  const created = await call('POST', '/v1/billing_customer', details);
  if (created.statusCode !== 201) throw new Error(`no billing customer: ${created.body}`);
  const clock = await call('POST', '/v1/test_clocks', { frozen_time: frozenTime });
  if (clock.statusCode !== 201) throw new Error(`no test clock: ${clock.body}`);
  const clockId = clock.json().id as string;
  const advance = (to: string) => call('POST', `/v1/test_clocks/${clockId}/advance`, { frozen_time: to });
  return { owner, orgId, clockId, call, advance };
}

/** Pays for a plan at checkout with a test card, through the gateway's page and the return. */
export async function checkoutWithCard(
  api: TestApi,
  customer: Pick<BillingTestCustomer, 'call'>,
  body: object,
  cardNumber = '4242424242424242',
) {
  const session = (await customer.call('POST', '/v1/checkout_sessions', body)).json();
  await api.payAtTestGateway(session.url, cardNumber);
  await customer.call('POST', `/v1/checkout_sessions/${session.id}/sync`);
  return session;
}

/** What the test gateway charged for one invoice, counted on the gateway's side. */
export interface InvoiceCharges {
  invoiceId: string;
  status: string;
  succeeded: number;
  failed: number;
}

/**
 * Every invoice with the charges the test gateway made for it, counted in the gateway's own table
 * (what cards were actually charged). A charge belongs to an invoice by the idempotency key the
 * gateway was called with (`invoice:<id>:...`, off-session charges) or else by the payment Billfold
 * recorded for it (checkouts and payment links). Also listed: the gateway's successful payments
 * Billfold has no record of at all, money taken and lost track of.
 */
export async function chargesAtTestGateway(
  db: Db,
): Promise<{ invoices: InvoiceCharges[]; unrecorded: string[] }> {
  const charges = await db
    .selectFrom('test_gateway_objects as g')
    .leftJoin('payments as p', (j) =>
      j.on('p.gateway', '=', 'test').onRef('p.gateway_payment_ref', '=', 'g.id'),
    )
    .select([
      'g.id',
      sql<string>`g.data->>'status'`.as('status'),
      'p.id as recorded_as',
      sql<
        string | null
      >`case when g.idempotency_key like 'invoice:%' then split_part(g.idempotency_key, ':', 2)
        else coalesce(p.invoice_id, (select l.invoice_id from ledger_entries l
          where l.org_id = p.org_id and l.payment_id = p.id and l.invoice_id is not null limit 1)) end`.as(
        'invoice_id',
      ),
    ])
    .where('g.kind', '=', 'payment')
    .execute();
  const invoices = await db.selectFrom('invoices').select(['id', 'status']).orderBy('id').execute();
  return {
    invoices: invoices.map((invoice) => {
      const mine = charges.filter((charge) => charge.invoice_id === invoice.id);
      return {
        invoiceId: invoice.id,
        status: invoice.status,
        succeeded: mine.filter((charge) => charge.status === 'succeeded').length,
        failed: mine.filter((charge) => charge.status === 'failed').length,
      };
    }),
    unrecorded: charges
      .filter((charge) => charge.status === 'succeeded' && charge.recorded_as === null)
      .map((charge) => charge.id),
  };
}

/** What the test gateway's page for checkout `checkoutId` says is paid for, as Billfold asked it. */
export async function checkoutDescriptionAtTestGateway(
  db: Db,
  checkoutId: string,
): Promise<string | undefined> {
  const row = await db
    .selectFrom('test_gateway_objects')
    .select(sql<string>`data->>'description'`.as('description'))
    .where('kind', '=', 'checkout_session')
    .where(sql<string>`data->'metadata'->>'checkout_session_id'`, '=', checkoutId)
    .executeTakeFirst();
  return row?.description;
}
