import type { LightMyRequestResponse } from 'fastify';
import type { Person, TestApi } from './api.js';

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
 * as an owner would set it up through the API. Fails loudly when any step is refused.
 */
export async function customerOnTestClock(
  api: TestApi,
  details: object,
  frozenTime: string,
): Promise<BillingTestCustomer> {
  const owner = await api.signUp();
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
