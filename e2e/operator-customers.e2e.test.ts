import { resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningBillfold } from '../server/src/server.js';
import {
  artifactsDir,
  auditAccessibility,
  callApi,
  chromiumAvailable,
  launchBrowser,
  makeOperator,
  overflowPastEdge,
  screenshot,
  signUpPerson,
  startTestBillfold,
} from './harness.js';

/**
 * Support's view of a customer in Chromium: the customers list searched and filtered (kept in the
 * address across a reload), then one customer whose card fails: what each payment paid for and its
 * invoice, a refund with its reason, one unpaid invoice voided and another marked uncollectible, and a
 * ledger adjustment, each from a button behind a confirmation.
 */
describe.skipIf(!chromiumAvailable)("the operator's customer pages in Chromium", () => {
  let billfold: RunningBillfold;
  let browser: Browser;
  let operator: Page;
  let owner: Page;
  let orgId: string;
  let subscriptionId: string;
  /** The Pro subscription's state after two unpaid months, as the API says it. */
  let proStatus: string;
  const run = Math.random().toString(36).slice(2, 8);
  const customerName = `Support Case ${run} LLC`;

  beforeAll(async () => {
    billfold = await startTestBillfold();
    browser = await launchBrowser();
    operator = await signUp('operator');
    await makeOperator(billfold, `operator.${run}@example.com`);
    const plan = await callApi(operator, 'POST', '/v1/operator/plans', {
      code: 'pro',
      name: 'Pro',
      currency: 'USD',
      interval: 'month',
      base_price: 2000,
    });
    if (plan.status !== 201) throw new Error(`no plan: ${JSON.stringify(plan.body)}`);
    // Invoices the last retry could not collect stay open, so two months make two unpaid invoices.
    const settings = await callApi(operator, 'PATCH', '/v1/operator/billing_settings', {
      dunning_final_step: 'keep',
    });
    if (settings.status !== 200) throw new Error(`no settings: ${JSON.stringify(settings.body)}`);

    owner = await signUp('owner');
    const as = (method: string, url: string, body?: unknown) => callApi(owner, method, url, body, 'personal');
    const customer = await as('POST', '/v1/billing_customer', {
      name: customerName,
      email: `support.${run}@example.com`,
      address_line1: '1 Market St',
      city: 'San Francisco',
      state: 'CA',
      postal_code: '94105',
      country: 'US',
      time_zone: 'America/Los_Angeles',
    });
    if (customer.status !== 201) throw new Error(`no customer: ${JSON.stringify(customer.body)}`);
    orgId = customer.body.org_id;
    const clock = (await as('POST', '/v1/test_clocks', { frozen_time: '2027-03-10T20:00:00Z' })).body.id;
    const checkout = await as('POST', '/v1/checkout_sessions', { plan_id: plan.body.id });
    await payAtGateway(checkout.body.url, '4242 4242 4242 4242');
    // A card that is saved but fails every later charge: April's and May's invoices stay open.
    const setup = await as('POST', '/v1/checkout_sessions', { mode: 'setup' });
    await payAtGateway(setup.body.url, '4000 0000 0000 0341');
    const advanced = await as('POST', `/v1/test_clocks/${clock}/advance`, {
      frozen_time: '2027-05-20T19:00:00Z',
    });
    if (advanced.status !== 200) throw new Error(`no advance: ${JSON.stringify(advanced.body)}`);
    const subscriptions = (await as('GET', '/v1/subscriptions')).body.data;
    const pro = subscriptions.find((s: { plan_name: string }) => s.plan_name === 'Pro');
    subscriptionId = pro.id;
    proStatus = pro.status;
  });
  afterAll(async () => {
    await browser?.close();
    await billfold?.close();
  });

  async function signUp(label: string): Promise<Page> {
    const p = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    return signUpPerson(p, billfold, {
      name: `${label} person`,
      email: `${label}.${run}@example.com`,
      password: 'correct horse battery staple',
    });
  }

  async function payAtGateway(url: string, card: string) {
    await owner.goto(url);
    await owner.getByLabel('Card number').fill(card);
    await owner.getByLabel('Expiry').fill('12 / 34');
    await owner.getByLabel('CVC').fill('123');
    await owner.getByRole('button', { name: /^(Pay|Save a card)/ }).click();
    await owner.waitForURL(/\/billing$/);
  }

  const customersTable = () => operator.getByRole('table', { name: 'Customers' });

  it('searches and filters the customers list, and keeps both across a reload', async () => {
    await operator.goto(`${billfold.url}/operator/customers`);
    await customersTable().waitFor();
    await operator.getByLabel('Search').fill(`case ${run}`);
    await operator.waitForURL(new RegExp(`q=case\\+${run}|q=case%20${run}`));
    await expect.poll(() => customersTable().getByRole('row').count()).toBe(2);
    expect(await customersTable().textContent()).toContain(customerName);

    // Its Free subscription ended when Pro started; none of its subscriptions is paused.
    await operator.getByLabel('Subscription').selectOption('paused');
    await expect.poll(() => operator.getByText('No customer matches').count()).toBe(1);
    expect(['past_due', 'unpaid']).toContain(proStatus);
    await operator.getByLabel('Subscription').selectOption(proStatus);
    await expect.poll(() => customersTable().textContent()).toContain(customerName);
    await operator.getByLabel('Search').fill('nobody by this name');
    await expect.poll(() => operator.getByText('No customer matches').count()).toBe(1);
    await operator.getByLabel('Search').fill(`case ${run}`);
    await expect.poll(() => customersTable().getByRole('row').count()).toBe(2);

    await operator.reload();
    expect(await operator.getByLabel('Search').inputValue()).toBe(`case ${run}`);
    expect(await operator.getByLabel('Subscription').inputValue()).toBe(proStatus);
    await expect.poll(() => customersTable().textContent()).toContain(customerName);
    await screenshot(operator, '80-operator-customers-filtered');
    await auditAccessibility(operator, 'customers list, filtered');
    await operator.setViewportSize({ width: 390, height: 844 });
    expect(await overflowPastEdge(operator)).toBe(0);
    await screenshot(operator, '80b-operator-customers-filtered-phone');
    await auditAccessibility(operator, 'customers list, filtered, phone');
    await operator.setViewportSize({ width: 1280, height: 900 });

    await operator.getByRole('button', { name: 'Clear search and filters' }).click();
    await expect.poll(() => operator.getByLabel('Search').inputValue()).toBe('');
    expect(new URL(operator.url()).search).toBe('');
    await customersTable().getByRole('link', { name: customerName }).click();
    await operator.waitForURL(new RegExp(`/operator/customers/${orgId}$`));
  });

  it('shows what each payment paid for, refunds with a reason, voids, marks uncollectible and adjusts', async () => {
    await operator.goto(`${billfold.url}/operator/customers/${orgId}`);
    const payments = operator.getByRole('table', { name: 'Payments' });
    const invoices = operator.getByRole('table', { name: 'Invoices' });
    await payments.waitFor();
    await invoices.waitFor();
    const notice = operator.locator('.alert-success');

    // The checkout's payment: the plan's line, and the invoice it paid.
    const paid = payments.getByRole('row').filter({ hasText: 'Succeeded' }).first();
    expect(await paid.textContent()).toContain('Pro');
    const invoiceLink = paid.getByRole('button', { name: /^View invoice / });
    const number = (await invoiceLink.textContent()) ?? '';
    // Its number opens the invoice's document, read with the customer's organization named.
    const [document] = await Promise.all([operator.context().waitForEvent('page'), invoiceLink.click()]);
    await document.waitForLoadState();
    await expect.poll(() => document.content()).toContain(number);
    await document.close();

    // A partial refund with its reason, listed under the payment.
    await paid.getByRole('button', { name: 'Refund' }).click();
    const refund = operator.getByRole('dialog', { name: 'Refund payment' });
    await refund.getByLabel('Amount (USD)').fill('5.00');
    await refund.getByLabel('Reason').fill('Charged twice for March');
    await refund.getByRole('button', { name: 'Refund' }).click();
    await expect.poll(() => notice.textContent()).toContain('Refunded $5.00.');
    await expect.poll(() => paid.textContent()).toContain('Charged twice for March');
    expect(await paid.textContent()).toContain('$5.00');

    // April's and May's invoices are open: one is voided, the other marked uncollectible.
    const open = () => invoices.getByRole('row').filter({ hasText: 'Open' });
    await expect.poll(() => open().count()).toBe(2);
    await open().first().getByRole('button', { name: 'Void' }).click();
    const voiding = operator.getByRole('dialog', { name: /^Void invoice/ });
    await voiding.getByRole('button', { name: 'Void invoice' }).click();
    // The reason is asked for first: it goes into the audit log.
    await expect.poll(() => voiding.getByText('Say why, for the audit log').count()).toBe(1);
    await voiding.getByLabel('Reason').fill('Billed after the customer asked to stop');
    await auditAccessibility(operator, 'void invoice dialog');
    await voiding.screenshot({ path: resolve(artifactsDir, '81c-operator-void-invoice.png') });
    await voiding.getByRole('button', { name: 'Void invoice' }).click();
    await expect.poll(() => notice.textContent()).toMatch(/Invoice .+ voided\./);
    await expect.poll(() => open().count()).toBe(1);
    expect(await invoices.getByRole('row').filter({ hasText: 'Void' }).count()).toBeGreaterThan(0);

    await open().first().getByRole('button', { name: 'Mark uncollectible' }).click();
    const marking = operator.getByRole('dialog', { name: /^Mark invoice uncollectible/ });
    await marking.getByLabel('Reason').fill('Customer went out of business');
    await marking.getByRole('button', { name: 'Mark uncollectible' }).click();
    await expect.poll(() => notice.textContent()).toMatch(/Invoice .+ marked uncollectible\./);
    await expect.poll(() => open().count()).toBe(0);
    expect(await invoices.getByRole('row').filter({ hasText: 'Uncollectible' }).count()).toBe(1);

    // A credit of $12.50 on the Pro subscription's ledger; a bad amount is refused in the form.
    await operator.getByRole('button', { name: 'Ledger adjustment' }).click();
    const adjusting = operator.getByRole('dialog', { name: 'Ledger adjustment' });
    await adjusting.getByLabel('Amount (USD)').fill('12.505');
    await adjusting.getByLabel('Reason').fill('Goodwill credit for the outage');
    await adjusting.getByRole('button', { name: 'Post adjustment' }).click();
    await expect.poll(() => adjusting.getByText('Enter an amount in USD', { exact: false }).count()).toBe(1);
    await adjusting.getByLabel('Amount (USD)').fill('12.50');
    await auditAccessibility(operator, 'ledger adjustment dialog');
    await adjusting.screenshot({ path: resolve(artifactsDir, '81d-operator-ledger-adjustment.png') });
    await adjusting.getByRole('button', { name: 'Post adjustment' }).click();
    await expect
      .poll(() => notice.textContent())
      .toContain('Credited $12.50 on the Pro ledger: Goodwill credit for the outage.');
    const ledger = await callApi(
      operator,
      'GET',
      `/v1/ledger_entries?subscription_id=${subscriptionId}&limit=100`,
      undefined,
      orgId,
    );
    expect(ledger.status).toBe(200);
    expect(
      ledger.body.data.filter((e: { kind: string; amount: number }) => e.kind === 'adjustment'),
    ).toMatchObject([{ amount: 1250, description: 'Goodwill credit for the outage' }]);

    await screenshot(operator, '81-operator-customer');
    await auditAccessibility(operator, 'customer page');
    await operator.setViewportSize({ width: 390, height: 844 });
    expect(await overflowPastEdge(operator)).toBe(0);
    await screenshot(operator, '81b-operator-customer-phone');
    await auditAccessibility(operator, 'customer page, phone');
    await operator.setViewportSize({ width: 1280, height: 900 });
  });
});
