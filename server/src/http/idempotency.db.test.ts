import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Person, type TestApi, testApi } from '../testing/api.js';
import { type BillingTestCustomer, checkoutWithCard, customerOnTestClock } from '../testing/billing.js';
import { countRows, engines } from '../testing/databases.js';

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

  it('does not replay the response of one member to another member using the same key', async () => {
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
    expect((await rename(customer.owner, 'Else', 'rename-2')).json().error).toMatchObject({
      code: 'idempotency.key_reused',
      message: expect.stringContaining('other parameters'),
    });
    expect(await nameNow()).toBe('Keys & Co.');
  });

  it('does not replay the response of one API key to another key of the same organization', async () => {
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

  /** Objects of one kind in the test gateway's own table: what was done at the gateway. */
  const atGateway = async (kind: 'payment_link' | 'refund') =>
    Number(
      (
        await api.database.db
          .selectFrom('test_gateway_objects')
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .where('kind', '=', kind)
          .executeTakeFirstOrThrow()
      ).n,
    );

  it('holds for operations that call a gateway outside one transaction: a payment link, made once', async () => {
    const [links, gatewayLinks] = [
      await countRows(api.database, 'payment_links'),
      await atGateway('payment_link'),
    ];
    const create = () =>
      api.call({
        method: 'POST',
        url: '/v1/payment_links',
        as: customer.owner,
        org: customer.orgId,
        body: { amount: 700, description: 'Setup fee' },
        headers: { 'idempotency-key': 'link-1' },
      });
    const responses = await Promise.all([create(), create(), create(), create()]);
    // The first makes it; a duplicate meanwhile is told it is still running, or replays its answer.
    for (const response of responses) {
      if (response.statusCode !== 201) expect(response.json().error.code).toBe('idempotency.in_progress');
    }
    const made = responses.filter((response) => response.statusCode === 201);
    expect(new Set(made.map((response) => response.json().id)).size).toBe(1);
    const retry = await create();
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(retry.json().id).toBe(made[0]?.json().id);
    expect(await countRows(api.database, 'payment_links')).toBe(links + 1);
    expect(await atGateway('payment_link')).toBe(gatewayLinks + 1);
  });

  it('refunds once when an operator retries a refund with its Idempotency-Key', async () => {
    const operator = await api.signUpOperator();
    const planId = (
      await api.call({
        method: 'POST',
        url: '/v1/operator/plans',
        as: operator,
        body: { code: 'pro_idem', name: 'Pro', currency: 'USD', interval: 'month', base_price: 2000 },
      })
    ).json().id;
    const payer = await customerOnTestClock(api, US, '2027-01-15T10:00:00Z');
    await checkoutWithCard(api, payer, { plan_id: planId });
    const [payment] = (await payer.call('GET', '/v1/payments')).json().data;
    const refunds = await atGateway('refund');
    const refund = () =>
      api.call({
        method: 'POST',
        url: `/v1/operator/organizations/${payer.orgId}/payments/${payment.id}/refunds`,
        as: operator,
        body: { amount: 300, reason: 'Outage credit' },
        headers: { 'idempotency-key': 'refund-outage-1' },
      });
    const first = await refund();
    expect(first.statusCode, first.body).toBe(201);
    const again = await refund();
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json().id).toBe(first.json().id);
    expect(await atGateway('refund')).toBe(refunds + 1);
    // A failed request leaves the key free: the same key with a fixable mistake, then fixed.
    const tooMuch = await api.call({
      method: 'POST',
      url: `/v1/operator/organizations/${payer.orgId}/payments/${payment.id}/refunds`,
      as: operator,
      body: { amount: 999_999, reason: 'Typo' },
      headers: { 'idempotency-key': 'refund-typo-1' },
    });
    expect(tooMuch.json().error.code).toBe('refund.too_much');
    const fixed = await api.call({
      method: 'POST',
      url: `/v1/operator/organizations/${payer.orgId}/payments/${payment.id}/refunds`,
      as: operator,
      body: { amount: 100, reason: 'Typo' },
      headers: { 'idempotency-key': 'refund-typo-1' },
    });
    expect(fixed.statusCode, fixed.body).toBe(201);
    expect(await atGateway('refund')).toBe(refunds + 2);
  });

  it('takes a key of 1 to 255 visible ASCII characters and refuses any other, changing nothing', async () => {
    for (const key of ['k', 'k'.repeat(255), '~!{}-_.:=+/'] as const) {
      const response = await rename(customer.owner, 'Keys Inc.', key);
      expect(response.statusCode, key).toBe(200);
    }
    const before = await audited();
    for (const key of ['', 'k'.repeat(256), 'with space', 'tab\tkey', 'ключ', ' leading', 'trailing ']) {
      const response = await rename(customer.owner, 'Refused Inc.', key);
      expect(response.statusCode, JSON.stringify(key)).toBe(400);
      expect(response.json().error).toMatchObject({
        code: 'idempotency.invalid_key',
        param: 'Idempotency-Key',
        message: expect.stringContaining('1-255 visible ASCII'),
      });
    }
    // The header sent twice is not one key.
    const twice = await api.call({
      method: 'POST',
      url: '/v1/organization',
      as: customer.owner,
      org: customer.orgId,
      body: { name: 'Refused Inc.' },
      headers: { 'idempotency-key': ['a', 'b'] } as unknown as Record<string, string>,
    });
    expect(twice.statusCode, twice.body).toBe(400);
    expect(twice.json().error.code).toBe('idempotency.invalid_key');
    expect(await nameNow()).toBe('Keys Inc.');
    expect(await audited()).toBe(before);
  });

  it('tells a retry that arrives while its first request still runs to come back, and then replays', async () => {
    const link = () =>
      api.call({
        method: 'POST',
        url: '/v1/payment_links',
        as: customer.owner,
        org: customer.orgId,
        body: { amount: 900, description: 'Migration' },
        headers: { 'idempotency-key': 'link-in-flight' },
      });
    const first = await link();
    expect(first.statusCode, first.body).toBe(201);
    // The state the key is in while its first request is at the gateway: claimed, not yet answered.
    const answer = await api.database.db
      .selectFrom('idempotency_keys')
      .select(['scope', 'response_status', 'response_body'])
      .where('key', '=', 'link-in-flight')
      .executeTakeFirstOrThrow();
    const setAnswer = (status: number | null, body: unknown) =>
      api.database.db
        .updateTable('idempotency_keys')
        .set({ response_status: status, response_body: body === null ? null : JSON.stringify(body) })
        .where('scope', '=', answer.scope)
        .where('key', '=', 'link-in-flight')
        .execute();
    await setAnswer(null, null);
    const links = await countRows(api.database, 'payment_links');
    const meanwhile = await link();
    expect(meanwhile.statusCode).toBe(409);
    expect(meanwhile.json().error).toMatchObject({
      code: 'idempotency.in_progress',
      param: 'Idempotency-Key',
      message: expect.stringContaining('still running'),
    });
    expect(await countRows(api.database, 'payment_links')).toBe(links);
    await setAnswer(answer.response_status, answer.response_body);
    const after = await link();
    expect(after.headers['idempotent-replayed']).toBe('true');
    expect(after.json().id).toBe(first.json().id);
  });
});
