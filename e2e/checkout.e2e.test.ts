import { sql } from 'kysely';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningBillfold } from '../server/src/server.js';
import {
  callApi,
  chromiumAvailable,
  firstPeriodAmount,
  launchBrowser,
  makeOperator,
  openBillingSection,
  screenshot,
  signUpPerson,
  startTestBillfold,
} from './harness.js';

/**
 * Subscribing through the built-in test gateway, in Chromium: "Select subscription" on a plan card,
 * the gateway's hosted page, a test card, and back to Billing with the plan active. A declined card
 * says so and a retry works; a card that needs authentication is approved on the bank's step.
 */
describe.skipIf(!chromiumAvailable)('checkout with the test gateway in Chromium', () => {
  let billfold: RunningBillfold;
  let browser: Browser;
  const run = Math.random().toString(36).slice(2, 8);
  /** Pro (29.00 a month) from today to the end of the month in Los Angeles. */
  const firstPro = firstPeriodAmount(2900, 'America/Los_Angeles');
  const password = 'correct horse battery';
  let people = 0;
  let operator: Page;

  beforeAll(async () => {
    billfold = await startTestBillfold();
    browser = await launchBrowser();
    // An operator publishes the plan through the API, as the catalog test does through its pages.
    operator = await owner('operator');
    await makeOperator(billfold, `operator.${run}@example.com`);
    const plan = await call(operator, 'POST', '/v1/operator/plans', {
      code: 'pro',
      name: 'Pro',
      description: 'For production workloads.',
      currency: 'USD',
      interval: 'month',
      base_price: 2900,
      limits: [{ feature: 'computations', mode: 'hard', limit: 100 }],
    });
    if (plan.status !== 201) throw new Error(`the plan was not created: ${JSON.stringify(plan.body)}`);
  });
  afterAll(async () => {
    await browser?.close();
    await billfold?.close();
  });

  async function owner(label: string): Promise<Page> {
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    return signUpPerson(page, billfold, {
      name: `${label} ${++people}`,
      email: `${label}.${run}@example.com`,
      password,
    });
  }

  /** Calls act on the person's own account: these people have no other organization. */
  const call = (page: Page, method: string, url: string, body?: unknown) =>
    callApi(page, method, url, body, 'personal');

  /** A person with a billing customer on their personal account, on Billing's Plans. */
  async function customerOnBilling(label: string): Promise<Page> {
    const page = await owner(label);
    const created = await call(page, 'POST', '/v1/billing_customer', {
      name: `${label} LLC`,
      email: `billing.${label}.${run}@example.com`,
      address_line1: '1 Market St',
      city: 'San Francisco',
      state: 'CA',
      postal_code: '94105',
      country: 'US',
      time_zone: 'America/Los_Angeles',
    });
    if (created.status !== 201) throw new Error(`no billing customer: ${JSON.stringify(created.body)}`);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Billing' }).click();
    await openBillingSection(page, 'Plans');
    await page.getByRole('article', { name: 'Pro' }).waitFor();
    return page;
  }

  async function payWith(page: Page, number: string) {
    await page.getByLabel('Card number').fill(number);
    await page.getByLabel('Expiry').fill('12 / 34');
    await page.getByLabel('CVC').fill('123');
    await page.getByLabel('Name on card').fill('Ada Lovelace');
    await page.getByRole('button', { name: /^Pay / }).click();
  }

  const selectPro = (page: Page) =>
    page.getByRole('article', { name: 'Pro' }).getByRole('button', { name: 'Select subscription' }).click();

  /** Back on Billing's Overview from a gateway: Pro is the plan marked current under Plans. */
  async function proIsCurrent(page: Page) {
    await openBillingSection(page, 'Plans');
    await expect
      .poll(() => page.getByRole('article', { name: 'Pro' }).textContent())
      .toContain('Current plan');
  }

  it('subscribes with 4242: the hosted page, then back to Billing with the plan active', async () => {
    const page = await customerOnBilling('visa');
    await screenshot(page, '30-checkout-plans');
    await selectPro(page);
    await page.waitForURL(/\/pay\/test\//);
    expect(await page.getByText(firstPro).count()).toBeGreaterThan(0);
    await page.getByLabel('Card number').fill('4242 4242 4242 4242');
    await page.getByLabel('Expiry').fill('12 / 34');
    await page.getByLabel('CVC').fill('123');
    await screenshot(page, '31-test-gateway-pay-page');
    await page.getByRole('button', { name: /^Pay / }).click();

    await page.waitForURL(/\/billing$/);
    await expect
      .poll(() => page.getByText(`Payment of ${firstPro} received. Your plan is active.`).count())
      .toBe(1);
    await proIsCurrent(page);
    await openBillingSection(page, 'Payment methods');
    expect(new URL(page.url()).pathname).toBe('/billing/payment-methods');
    await expect.poll(() => page.getByText('•••• 4242').count()).toBe(1);
    await screenshot(page, '32-checkout-active');

    // Update payment details: a new card saved at the gateway becomes the default.
    await page.getByRole('button', { name: 'Update payment details' }).click();
    await page.waitForURL(/\/pay\/test\//);
    await page.getByLabel('Card number').fill('5555 5555 5555 4444');
    await page.getByLabel('Expiry').fill('10 / 31');
    await page.getByLabel('CVC').fill('321');
    await screenshot(page, '35-test-gateway-save-card');
    await page.getByRole('button', { name: 'Save a card' }).click();
    // Back where the card was asked for, which lists it.
    await page.waitForURL(/\/billing\/payment-methods$/);
    await expect
      .poll(() => page.getByText('Card saved. It is now your default payment method.').count())
      .toBe(1);
    await expect.poll(() => page.getByText('•••• 4444').count()).toBe(1);
    const methods = await call(page, 'GET', '/v1/payment_methods');
    expect(
      methods.body.data.map(
        (m: { last4: string; is_default: boolean }) => `${m.last4}${m.is_default ? '*' : ''}`,
      ),
    ).toEqual(['4444*', '4242']);
    await screenshot(page, '36-payment-methods-updated');
  });

  it('declines 4000000000000002 with a clear message, activates nothing, and a retry works', async () => {
    const page = await customerOnBilling('declined');
    await selectPro(page);
    await page.waitForURL(/\/pay\/test\//);
    await payWith(page, '4000 0000 0000 0002');
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('Your card was declined.');
    await screenshot(page, '33-test-gateway-declined');
    // Asked from a tab of the app: the pay page's Content-Security-Policy lets it connect nowhere.
    const appTab = await page.context().newPage();
    await appTab.goto(`${billfold.url}/billing`);
    const plans = await call(appTab, 'GET', '/v1/plans');
    await appTab.close();
    expect(plans.body.data.find((p: { code: string }) => p.code === 'pro').current).toBe(false);

    await payWith(page, '4242 4242 4242 4242');
    await page.waitForURL(/\/billing$/);
    await proIsCurrent(page);
  });

  it('asks for authentication with 4000002760003184, then activates on approval', async () => {
    const page = await customerOnBilling('secure');
    await selectPro(page);
    await page.waitForURL(/\/pay\/test\//);
    await payWith(page, '4000 0027 6000 3184');
    await expect.poll(() => page.getByRole('button', { name: 'Complete authentication' }).count()).toBe(1);
    await screenshot(page, '34-test-gateway-authenticate');
    await page.getByRole('button', { name: 'Complete authentication' }).click();
    await page.waitForURL(/\/billing$/);
    await proIsCurrent(page);
  });

  it('cancels from the hosted page without charging', async () => {
    const page = await customerOnBilling('cancel');
    await selectPro(page);
    await page.waitForURL(/\/pay\/test\//);
    await page.getByRole('link', { name: 'Cancel and return' }).click();
    await expect.poll(() => page.getByText('Checkout cancelled. Nothing was charged.').count()).toBe(1);
    await openBillingSection(page, 'Plans');
    expect(await page.getByRole('article', { name: 'Pro' }).textContent()).not.toContain('Current plan');
  });

  it('makes a payment link that a visitor without an account pays, and cancels another', async () => {
    const page = await customerOnBilling('links');
    await openBillingSection(page, 'Payment links');
    const section = page.getByRole('region', { name: 'Payment links' });
    await section.getByLabel('Link for').selectOption({ label: 'Pro: $29.00' });
    await section.getByRole('button', { name: 'Create link' }).click();
    const link = page.getByRole('listitem').filter({ hasText: /Pro(, \d+ of \d+ days)? \(/ });
    await expect.poll(() => link.count()).toBe(1);
    const url =
      (await link
        .getByRole('status', { name: /Link for/ })
        .or(link.locator('output'))
        .first()
        .textContent()) ?? '';
    expect(url).toContain('/pay/test/tlink_');
    await screenshot(page, '37-payment-link-created');

    // Someone else, in a fresh browser with no session, pays it.
    const visitor = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    await visitor.goto(url);
    await payWith(visitor, '4242 4242 4242 4242');
    await expect.poll(() => visitor.getByText(/Payment received/).count()).toBeGreaterThan(0);
    await screenshot(visitor, '38-payment-link-paid-visitor');

    await page.reload();
    await expect.poll(() => link.textContent()).toContain('Paid');
    await proIsCurrent(page);
    await openBillingSection(page, 'Payment links');

    // A link for an amount, cancelled: it refuses payment with a clear page.
    await section.getByLabel('Link for').selectOption('amount');
    await section.getByLabel('Amount (USD)').fill('125');
    await section.getByLabel('For', { exact: true }).fill('Onboarding session');
    await section.getByRole('button', { name: 'Create link' }).click();
    const other = page.getByRole('listitem').filter({ hasText: 'Onboarding session' });
    await expect.poll(() => other.count()).toBe(1);
    const otherUrl = (await other.locator('output').textContent()) ?? '';
    await other.getByRole('button', { name: 'Cancel link' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Cancel link' }).click();
    await expect.poll(() => other.textContent()).toContain('Cancelled');
    await screenshot(page, '39-payment-links');
    await visitor.goto(otherUrl);
    await expect.poll(() => visitor.getByText('This payment link was cancelled').count()).toBeGreaterThan(0);
    await screenshot(visitor, '40-payment-link-cancelled-visitor');
  });

  it('pages the payment links: the next 25 after the last shown, until the API has no more', async () => {
    const page = await customerOnBilling('paged');
    for (let n = 1; n <= 27; n++) {
      const made = await call(page, 'POST', '/v1/payment_links', {
        amount: 100 * n,
        description: `Item ${n}`,
      });
      expect(made.status).toBe(201);
    }
    await openBillingSection(page, 'Payment links');
    const items = page.getByRole('list', { name: 'Payment links' }).getByRole('listitem');
    await expect.poll(() => items.count()).toBe(25);
    expect(await page.getByText('25 payment links shown').count()).toBe(1);
    await page.getByRole('button', { name: 'Load more' }).click();
    await expect.poll(() => items.count()).toBe(27);
    // The next page starts after the last one shown: every link once, none twice.
    const shown = (await items.locator('.cell-primary').allTextContents()).sort();
    expect(shown).toEqual(Array.from({ length: 27 }, (_, i) => `Item ${i + 1}`).sort());
    expect(await page.getByText('27 payment links, all of them').count()).toBe(1);
    expect(await page.getByRole('button', { name: 'Load more' }).count()).toBe(0);
  });

  it('lets an operator refund part of a payment from the customer page', async () => {
    await operator.reload();
    await operator
      .getByRole('navigation', { name: 'Operator' })
      .getByRole('link', { name: 'Customers' })
      .click();
    await operator.getByLabel('Search').fill('visa LLC');
    await operator.getByRole('link', { name: 'visa LLC' }).click();
    await expect
      .poll(() => operator.getByRole('table', { name: 'Payments' }).textContent())
      .toContain(firstPro);
    await operator.getByRole('button', { name: 'Refund' }).first().click();
    const dialog = operator.getByRole('dialog');
    // Half a dollar: less than the first invoice whatever day of the month the test runs on.
    await dialog.getByLabel('Amount (USD)').fill('0.50');
    await dialog.getByLabel('Reason').fill('Outage credit');
    await screenshot(operator, '41-operator-refund');
    await dialog.getByRole('button', { name: 'Refund' }).click();
    await expect.poll(() => operator.getByText('Refunded $0.50.').count()).toBe(1);
    await expect
      .poll(() => operator.getByRole('table', { name: 'Payments' }).textContent())
      .toContain('$0.50');
    await screenshot(operator, '42-operator-customer');
  });

  it('keeps no full card number in any table after all of the above', async () => {
    const db = billfold.database.db;
    const tables = await sql<{ table_schema: string; table_name: string }>`
      select table_schema, table_name from information_schema.tables
      where table_schema in ('public', 'pgboss') and table_type = 'BASE TABLE'`.execute(db);
    const numbers =
      '(4242424242424242|4000000000000002|4000002760003184|5555555555554444|4000000000009995|4000000000000341)';
    for (const { table_schema, table_name } of tables.rows) {
      const name = `${table_schema}.${table_name}`;
      const found = await sql<{ n: bigint }>`
        select count(*) as n from ${sql.table(name)} t where t::text ~ ${numbers}`.execute(db);
      expect(found.rows[0]?.n, name).toBe(0n);
    }
    expect(tables.rows.length).toBeGreaterThan(10);
  });
});
