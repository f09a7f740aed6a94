import { type Person, type TestApi, testApi } from './api.js';
import { publishPlans } from './billing.js';
import type { Engine } from './databases.js';

/**
 * Metering's setup for tests, through the API as an operator and a customer would do it: the
 * issuer's metrics, its ingest key, and a customer organization to send usage about. Each step
 * fails loudly when refused.
 */

/** Creates the issuer's metrics (bodies as POST /v1/operator/metrics takes them). */
export async function createMetrics(
  api: TestApi,
  operator: Person,
  bodies: readonly object[],
): Promise<void> {
  for (const body of bodies) {
    const made = await api.call({ method: 'POST', url: '/v1/operator/metrics', as: operator, body });
    if (made.statusCode !== 201) throw new Error(`metric refused: ${made.body}`);
  }
}

/** Features the operator defines (`[code, name, unit]`; the unit defaults to the code): fails loudly when refused. */
export async function createFeatures(
  api: TestApi,
  operator: Person,
  features: ReadonlyArray<readonly [code: string, name: string, unit?: string]>,
): Promise<void> {
  for (const [code, name, unit] of features) {
    const body = { code, name, unit: unit ?? code };
    const made = await api.call({ method: 'POST', url: '/v1/operator/features', as: operator, body });
    if (made.statusCode !== 201) throw new Error(`feature refused: ${made.body}`);
  }
}

/** The platform's ingest key, made by `operator`: what the issuer's backend sends usage with. */
export async function ingestKeyOf(
  api: TestApi,
  operator: Person,
  name = 'Backend',
): Promise<{ apiKey: string }> {
  const key = await api.call({
    method: 'POST',
    url: '/v1/platform/ingest_keys',
    as: operator,
    body: { name },
  });
  if (key.statusCode !== 201) throw new Error(`no ingest key: ${key.body}`);
  return { apiKey: key.json().secret as string };
}

/** A billing customer's details (POST /v1/billing_customer) for `name`, in San Francisco. */
export const sanFranciscoCustomer = (name: string) => ({
  name: `${name} Inc.`,
  email: `billing@${name.toLowerCase().replace(/[^a-z]/g, '')}.example`,
  address_line1: '1 Market St',
  city: 'San Francisco',
  state: 'CA',
  postal_code: '94105',
  country: 'US',
});

/** A new organization with a billing customer in San Francisco, owned by `owner` (or a new person). */
export async function meteredCustomer(
  api: TestApi,
  name: string,
  existingOwner?: Person,
): Promise<{ owner: Person; orgId: string }> {
  const owner = existingOwner ?? (await api.signUp());
  const org = await api.call({
    method: 'POST',
    url: '/v1/organizations',
    as: owner,
    body: { name, country: 'US', postal_code: '94105' },
  });
  const orgId = org.json().id as string;
  const customer = await api.call({
    method: 'POST',
    url: '/v1/billing_customer',
    as: owner,
    org: orgId,
    body: sanFranciscoCustomer(name),
  });
  if (customer.statusCode !== 201) throw new Error(`no billing customer: ${customer.body}`);
  return { owner, orgId };
}

/** A billing customer in Los Angeles, for a customer on a test clock whose usage is billed. */
export const losAngelesCustomer = {
  name: 'Usage Inc.',
  email: 'billing@usage.example',
  address_line1: '1 Market St',
  city: 'San Francisco',
  state: 'CA',
  postal_code: '94105',
  country: 'US',
  time_zone: 'America/Los_Angeles',
};

/**
 * An issuer that meters usage: a fresh API on `engine`, its operator, its metrics, one monthly USD
 * plan (the body as POST /v1/operator/plans takes it) and the ingest key its backend sends with.
 */
export async function meteredIssuer(
  engine: Engine,
  metrics: readonly object[],
  plan: object,
): Promise<{ api: TestApi; operator: Person; ingestKey: { apiKey: string }; planId: string }> {
  const api = await testApi(engine);
  const operator = await api.signUpOperator();
  await createMetrics(api, operator, metrics);
  const { metered: planId } = await publishPlans(api, operator, [['metered', plan]]);
  return { api, operator, ingestKey: await ingestKeyOf(api, operator), planId };
}
