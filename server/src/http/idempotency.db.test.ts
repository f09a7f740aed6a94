import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Person, type TestApi, testApi } from '../testing/api.js';
import { type BillingTestCustomer, customerOnTestClock } from '../testing/billing.js';
import { engines } from '../testing/databases.js';

/**
 * Whose Idempotency-Key is it? The person's (signed in) or the API key's: never just the
 * organization's. Otherwise the second of two members who happen to pick the same key (a counter, a
 * date, an order number) is handed the first one's response, and what they asked for is never done.
 */

const US = {
  name: 'Keys Inc.',
  email: 'billing@keys.example',
  address_line1: '1 Market St',
  city: 'San Francisco',
  state: 'CA',
  postal_code: '94105',
  country: 'US',
};

describe.each(engines())('Idempotency-Key scope on %s', (engine) => {
  let api: TestApi;
  let customer: BillingTestCustomer;
  let colleague: Person;

  beforeAll(async () => {
    api = await testApi(engine);
    customer = await customerOnTestClock(api, US, '2027-01-15T10:00:00Z');
    colleague = await api.signUp();
    const { url } = (
      await api.call({
        method: 'POST',
        url: '/v1/invitations',
        as: customer.owner,
        org: customer.orgId,
        body: { email: colleague.email, role: 'super_admin' },
      })
    ).json();
    const accepted = await api.call({
      method: 'POST',
      url: '/v1/invitations/accept',
      as: colleague,
      body: { token: url.split('/invite/')[1] },
    });
    expect(accepted.statusCode, accepted.body).toBeLessThan(300);
  });
  afterAll(() => api.close());

  /** Renames the organization: a write both members and full API keys may make. */
  const rename = (as: Person | { apiKey: string }, name: string, key: string) =>
    api.call({
      method: 'POST',
      url: '/v1/organization',
      as,
      org: 'apiKey' in as ? undefined : customer.orgId,
      body: { name },
      headers: { 'idempotency-key': key },
    });
  const nameNow = async () =>
    (
      await api.database.db
        .selectFrom('organizations')
        .select('name')
        .where('id', '=', customer.orgId)
        .executeTakeFirstOrThrow()
    ).name;
  const audited = () =>
    api.database.db
      .selectFrom('audit_events')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('org_id', '=', customer.orgId)
      .executeTakeFirstOrThrow()
      .then((row) => Number(row.n));

  it('does not replay one member’s response to another member using the same key', async () => {
    const first = await rename(customer.owner, 'Keys Inc.', 'rename-1');
    expect(first.statusCode, first.body).toBe(200);
    // Same key, same request, another person: done again, for them, not replayed.
    const same = await rename(colleague, 'Keys Inc.', 'rename-1');
    expect(same.statusCode, same.body).toBe(200);
    expect(same.headers['idempotent-replayed']).toBeUndefined();
    // Same key, another request, another person: theirs to use, not a reuse of the owner's key.
    const other = await rename(colleague, 'Keys Incorporated', 'rename-2');
    const mine = await rename(customer.owner, 'Keys & Co.', 'rename-2');
    expect(other.statusCode, other.body).toBe(200);
    expect(mine.statusCode, mine.body).toBe(200);
    expect(mine.json().name).toBe('Keys & Co.');
    expect(await nameNow()).toBe('Keys & Co.');
    // The owner's own retry is still a replay, and the owner's key with other parameters is refused.
    const retry = await rename(customer.owner, 'Keys & Co.', 'rename-2');
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect((await rename(customer.owner, 'Else', 'rename-2')).json().error.code).toBe(
      'idempotency.key_reused',
    );
    expect(await nameNow()).toBe('Keys & Co.');
  });

  it('does not replay one API key’s response to another key of the same organization', async () => {
    const newKey = async (name: string) =>
      (
        await api.call({
          method: 'POST',
          url: '/v1/api_keys',
          as: customer.owner,
          org: customer.orgId,
          body: { name, mode: 'full' },
        })
      ).json().secret as string;
    const billing = { apiKey: await newKey('billing integration') };
    const provisioning = { apiKey: await newKey('provisioning integration') };
    expect((await rename(billing, 'Billing named', 'order-42')).statusCode).toBe(200);
    const second = await rename(provisioning, 'Provisioning named', 'order-42');
    expect(second.statusCode, second.body).toBe(200);
    expect(second.headers['idempotent-replayed']).toBeUndefined();
    expect(await nameNow()).toBe('Provisioning named');
    const retry = await rename(billing, 'Billing named', 'order-42');
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(await nameNow()).toBe('Provisioning named');
  });

  it('lets two members race with the same key: each request is done once per person', async () => {
    const before = await audited();
    const responses = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        i % 2
          ? rename(colleague, 'Raced by colleague', 'race-1')
          : rename(customer.owner, 'Raced by owner', 'race-1'),
      ),
    );
    expect(responses.map((r) => r.statusCode)).toEqual([200, 200, 200, 200, 200, 200]);
    const replayed = (who: number) =>
      responses.filter((r, i) => i % 2 === who && r.headers['idempotent-replayed'] === 'true').length;
    expect([replayed(0), replayed(1)]).toEqual([2, 2]);
    // One rename each, audited once each.
    expect(await audited()).toBe(before + 2);
  });
});
