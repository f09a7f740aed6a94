import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../server/src/context.js';
import { deliverWebhook } from '../server/src/events/index.js';
import type { RunningBillfold } from '../server/src/server.js';
import { tenantContext } from '../server/src/tenant.js';
import { systemClock } from '../server/src/time/index.js';
import {
  artifactsDir,
  callApi,
  chromiumAvailable,
  launchBrowser,
  makeOperator,
  openBillingSection,
  screenshot,
  signUpPerson,
  startTestBillfold,
} from './harness.js';

/**
 * The billing overview and Modify plan in Chromium (C17, C19, C20, C31), on a test clock so the
 * amounts are those of a known day: 10 March 2027 in Los Angeles. Subscribe to Basic, upgrade to
 * Pro after reading the summary, find the invoice and download its PDF (turned into a PNG to look
 * at); then a card that fails off-session makes the account past due, and paying makes it active.
 */
const popplerAvailable = existsSync('/usr/bin/pdftoppm');

describe.skipIf(!chromiumAvailable)('subscriptions and invoices in Chromium', () => {
  let billfold: RunningBillfold;
  let browser: Browser;
  let page: Page;
  let operator: Page;
  let clockId: string;
  const planIds: Record<string, string> = {};
  const run = Math.random().toString(36).slice(2, 8);
  const call = (method: string, url: string, body?: unknown) => callApi(page, method, url, body, 'personal');

  beforeAll(async () => {
    billfold = await startTestBillfold();
    browser = await launchBrowser();
    operator = await signUp('operator');
    await makeOperator(billfold, `operator.${run}@example.com`);
    for (const [code, name, price] of [
      ['basic', 'Basic', 1000],
      ['pro', 'Pro', 2000],
      ['enterprise', 'Enterprise', 5000],
    ] as const) {
      const created = await callApi(operator, 'POST', '/v1/operator/plans', {
        code,
        name,
        description: `${name} for teams.`,
        currency: 'USD',
        interval: 'month',
        base_price: price,
        limits: [{ feature: 'computations', mode: 'hard', limit: code === 'basic' ? 20 : 100 }],
      });
      if (created.status !== 201) throw new Error(`no plan: ${JSON.stringify(created.body)}`);
      planIds[code] = created.body.id;
    }
    page = await signUp('owner');
    const customer = await call('POST', '/v1/billing_customer', {
      name: 'Owner LLC',
      email: `billing.${run}@example.com`,
      address_line1: '1 Market St',
      city: 'San Francisco',
      state: 'CA',
      postal_code: '94105',
      country: 'US',
      time_zone: 'America/Los_Angeles',
    });
    if (customer.status !== 201) throw new Error(`no customer: ${JSON.stringify(customer.body)}`);
    // 13:00 on 10 March 2027 in Los Angeles.
    const clock = await call('POST', '/v1/test_clocks', { frozen_time: '2027-03-10T20:00:00Z' });
    clockId = clock.body.id;
  });
  afterAll(async () => {
    await browser?.close();
    await billfold?.close();
  });

  async function signUp(label: string): Promise<Page> {
    const p = await (
      await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true })
    ).newPage();
    return signUpPerson(p, billfold, {
      name: `${label} person`,
      email: `${label}.${run}@example.com`,
      password: 'correct horse battery staple',
    });
  }

  async function payWith(number: string) {
    await page.getByLabel('Card number').fill(number);
    await page.getByLabel('Expiry').fill('12 / 34');
    await page.getByLabel('CVC').fill('123');
    await page.getByRole('button', { name: /^(Pay|Save a card)/ }).click();
    // Back to Billing: the Overview, or the section the card was asked from.
    await page.waitForURL(/\/billing(\/payment-methods)?$/);
  }

  it('subscribes, reads the summary of an upgrade, upgrades, and downloads the invoice', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Billing' }).click();
    await openBillingSection(page, 'Plans');
    // The plan's page says what the checkout will take: Basic for 22 of March's 31 days,
    // 1000 × 22 / 31 = 709.68 → $7.10 (not the month's $10.00).
    await page.getByRole('article', { name: 'Basic' }).getByRole('link', { name: 'Plan details' }).click();
    const firstPayment = page.getByTestId('first-payment');
    await expect.poll(() => firstPayment.textContent()).toContain('You pay $7.10 now');
    expect(await firstPayment.textContent()).toContain('22 of 31 days');
    expect(await firstPayment.textContent()).toContain('Then $10.00 / month from Apr 1, 2027');
    await screenshot(page, '42b-plan-detail-first-payment');
    await page.getByRole('button', { name: 'Select subscription' }).click();
    await page.waitForURL(/\/pay\/test\//);
    expect(await page.getByText('$7.10').count()).toBeGreaterThan(0);
    await payWith('4242 4242 4242 4242');
    await expect
      .poll(() => page.getByText('Payment of $7.10 received. Your plan is active.').count())
      .toBe(1);
    await expect.poll(() => page.getByText('$10.00 on Apr 1, 2027').count()).toBe(1);
    await screenshot(page, '43-billing-overview');

    await page.getByRole('link', { name: 'Modify plan' }).click();
    await page.getByRole('heading', { level: 1, name: 'Modify plan' }).waitFor();
    await page.getByRole('button', { name: 'Choose Pro' }).click();
    const summary = page.getByRole('table', { name: 'Summary' });
    await expect.poll(() => summary.textContent()).toContain('Total due now');
    // 22 days left: credit 709.68 → −$7.10, Pro 1419.35 → $14.19, due $7.09; next $20.00 on 1 April.
    const text = (await summary.textContent()) ?? '';
    for (const part of ['-$7.10', '$14.19', '$7.09', '$20.00']) expect(text).toContain(part);
    await screenshot(page, '44-modify-plan-summary');
    await page.getByRole('button', { name: 'Upgrade now and pay $7.09' }).click();
    await page.waitForURL(/\/billing$/);
    await expect.poll(() => page.getByText(/You are now on Pro\. \$7\.09 was charged/).count()).toBe(1);

    await openBillingSection(page, 'Invoices');
    const invoices = page.getByRole('table', { name: 'Invoices' });
    await expect.poll(() => invoices.locator('tbody tr').count()).toBe(2);
    await invoices.scrollIntoViewIfNeeded();
    await screenshot(page, '45-invoices');
    const upgrade = invoices.locator('tbody tr').first();
    const number = (await upgrade.locator('.cell-primary').textContent()) ?? '';
    expect(number).toMatch(/^BF-\d{6}$/);
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      upgrade.getByRole('button', { name: 'PDF' }).click(),
    ]);
    expect(download.suggestedFilename()).toBe(`${number}.pdf`);
    mkdirSync(artifactsDir, { recursive: true });
    const pdfPath = resolve(artifactsDir, '46-invoice.pdf');
    await download.saveAs(pdfPath);
    expect((await readFile(pdfPath)).subarray(0, 5).toString()).toBe('%PDF-');
    // Looked at as a picture: pdftoppm (poppler-utils, which CI installs) renders its first page.
    if (!popplerAvailable) {
      if (process.env.CI) throw new Error('pdftoppm is missing: apt-get install poppler-utils');
      console.warn('  pdftoppm not installed: the invoice PDF was saved but not rendered');
      return;
    }
    execFileSync('pdftoppm', [
      '-png',
      '-r',
      '80',
      '-singlefile',
      pdfPath,
      resolve(artifactsDir, '46-invoice-pdf'),
    ]);
    expect(existsSync(resolve(artifactsDir, '46-invoice-pdf.png'))).toBe(true);
    const pdfText = execFileSync('pdftotext', [pdfPath, '-']).toString();
    for (const part of [
      number,
      'Owner LLC',
      'Unused time on Basic',
      'Remaining time on Pro',
      '$7.09',
      'PAID',
    ]) {
      expect(pdfText).toContain(part);
    }
  });

  it('sends a subscriber from a plan’s page to Modify plan instead of a second checkout', async () => {
    await page.goto(`${billfold.url}/billing/plans/${planIds.enterprise}`);
    await expect
      .poll(() => page.getByText('This organization pays for Pro already', { exact: false }).count())
      .toBe(1);
    await screenshot(page, '46b-plan-detail-subscriber');
    await page.getByRole('link', { name: 'Modify plan' }).click();
    await page.getByRole('heading', { level: 1, name: 'Modify plan' }).waitFor();
  });

  it('shows what is owed across every open invoice, on Billing and Overview, and pays it all at once', async () => {
    // The operator keeps invoicing a subscription after its last retry fails (the default pauses it).
    await operator.goto(`${billfold.url}/operator/customers`);
    const dunning = operator.locator('.card', { hasText: 'Save dunning' });
    await dunning.getByLabel('After the last retry fails').selectOption('keep');
    await dunning.getByRole('button', { name: 'Save dunning' }).click();
    await expect.poll(() => operator.getByText('Dunning saved.', { exact: false }).count()).toBe(1);
    await dunning.scrollIntoViewIfNeeded();
    await screenshot(operator, '46c-operator-dunning');

    // The card is replaced by one that is saved but fails every later charge.
    await page.goto(`${billfold.url}/billing/payment-methods`);
    await page.getByRole('button', { name: 'Update payment details' }).click();
    await page.waitForURL(/\/pay\/test\//);
    await payWith('4000 0000 0000 0341');
    const advanced = await call('POST', `/v1/test_clocks/${clockId}/advance`, {
      frozen_time: '2027-04-02T00:00:00Z',
    });
    expect(advanced.body.report).toMatchObject({ renewed: 1, failed: 1 });
    await page.goto(`${billfold.url}/billing`);
    const banner = page.getByRole('alert', { name: 'Payment due' });
    await expect.poll(() => banner.textContent()).toContain('Your last payment failed');
    expect(await banner.textContent()).toContain('$20.00 is due on invoice');
    await screenshot(page, '47-past-due');

    // Retries on 4, 6 and 8 April fail; the subscription stays invoiced: May's $20.00 fails too.
    await call('POST', `/v1/test_clocks/${clockId}/advance`, { frozen_time: '2027-05-02T00:00:00Z' });
    await page.reload();
    await expect.poll(() => banner.textContent()).toContain('Your account is blocked for unpaid invoices');
    expect(await banner.textContent()).toContain('$40.00 is due on 2 invoices');
    expect(await banner.getByRole('button', { name: 'Pay $40.00 now' }).count()).toBe(1);
    await screenshot(page, '47b-blocked-two-invoices');
    // The Overview says the same.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Overview' }).click();
    await expect.poll(() => banner.textContent()).toContain('$40.00 is due on 2 invoices');
    await screenshot(page, '47c-overview-blocked');

    await banner.getByRole('button', { name: 'Use another card' }).click();
    await page.waitForURL(/\/pay\/test\//);
    await payWith('4242 4242 4242 4242');
    await page
      .getByRole('alert', { name: 'Payment due' })
      .getByRole('button', { name: 'Pay $40.00 now' })
      .click();
    await expect.poll(() => page.getByText(/\$40\.00 paid \(invoices .+, .+\)\. Thank you/).count()).toBe(1);
    await expect.poll(() => page.getByRole('alert', { name: 'Payment due' }).count()).toBe(0);
    await screenshot(page, '48-active-again');
    // One payment of $40.00 for both invoices.
    const payments = await call('GET', '/v1/payments');
    expect(payments.body.data.filter((p: { amount: number }) => p.amount === 4000)).toHaveLength(1);
    // The statements: March and April closed, May open. April ended owing its invoice; May's
    // payment settled it and May's own.
    await openBillingSection(page, 'Statements');
    const statements = page.getByRole('table', { name: /^Statements of/ });
    await expect.poll(() => statements.locator('tbody tr').count()).toBe(3);
    const [may, april, march] = await statements.locator('tbody tr').allTextContents();
    expect(march).toContain('Closed');
    expect(april).toContain('Closed');
    expect(april).toContain('$20.00 owed');
    expect(may).toContain('Open');
    expect(may).toContain('$0.00, settled');
    await statements.scrollIntoViewIfNeeded();
    await screenshot(page, '48b-statements');
  });

  it('sends billing events to a webhook endpoint and shows what was delivered', async () => {
    const received: string[] = [];
    const receiver = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => {
        body += chunk;
      });
      request.on('end', () => {
        received.push(body);
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((done) => receiver.listen(0, '127.0.0.1', done));
    const hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/billfold`;
    try {
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Webhooks' }).click();
      await page.getByLabel('Endpoint URL').fill(hookUrl);
      await page.getByLabel('Events').selectOption('subscription.*');
      await page.getByRole('button', { name: 'Add endpoint' }).click();
      await expect.poll(() => page.getByText('Signing secret').count()).toBe(1);

      // A change in Billing: cancel at the end of the period.
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Billing' }).click();
      await page.getByRole('button', { name: 'Cancel subscription' }).click();
      await page.getByRole('dialog').getByRole('button', { name: 'Cancel at period end' }).click();
      await expect.poll(() => page.getByRole('button', { name: 'Keep subscription' }).count()).toBe(1);

      // The delivery job's work, done here (this Billfold runs no job workers).
      const pending = await billfold.database.db
        .selectFrom('webhook_deliveries')
        .select(['org_id', 'id'])
        .where('status', '=', 'pending')
        .execute();
      expect(pending.length).toBeGreaterThan(0);
      for (const delivery of pending) {
        await deliverWebhook(
          tenantContext(
            {
              db: billfold.database.db,
              clock: systemClock,
              log: silentLogger,
              actor: { type: 'system', id: 'e2e' },
              requestId: 'e2e',
            },
            delivery.org_id,
          ),
          delivery.id,
        );
      }
      expect(received.map((body) => JSON.parse(body).type)).toContain('subscription.updated');

      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Webhooks' }).click();
      const log = page.getByRole('table', { name: 'Deliveries' });
      await expect.poll(() => log.textContent()).toContain('subscription.updated');
      expect(await log.textContent()).toContain('HTTP 204');
      await screenshot(page, '49-webhooks');
    } finally {
      receiver.close();
    }
  });

  it('upgrades without a saved card: the gateway’s page saves one, and the upgrade is made on return', async () => {
    const methods = await call('GET', '/v1/payment_methods');
    for (const method of methods.body.data) {
      expect((await call('DELETE', `/v1/payment_methods/${method.id}`)).status).toBe(200);
    }
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Billing' }).click();
    await page.getByRole('link', { name: 'Modify plan' }).click();
    await page.getByRole('button', { name: 'Choose Enterprise' }).click();
    await page.getByRole('button', { name: /^Upgrade now and pay/ }).click();
    await expect
      .poll(() => page.getByText('There is no saved card to charge.', { exact: false }).count())
      .toBe(1);
    await screenshot(page, '50-upgrade-needs-card');
    await page.getByRole('button', { name: /^Add a card and pay/ }).click();
    await page.waitForURL(/\/pay\/test\//);
    await page.getByLabel('Card number').fill('4242 4242 4242 4242');
    await page.getByLabel('Expiry').fill('12 / 34');
    await page.getByLabel('CVC').fill('123');
    await page.getByRole('button', { name: 'Save a card' }).click();
    await page.waitForURL(/\/billing$/);
    await expect.poll(() => page.getByText(/You are now on Enterprise\. .* was charged/).count()).toBe(1);
    await screenshot(page, '51-upgraded-after-card');
  });

  it('pauses a subscription whose last retry fails (the default), and resumes it from the day it is paid', async () => {
    await operator.goto(`${billfold.url}/operator/customers`);
    const dunning = operator.locator('.card', { hasText: 'Save dunning' });
    await dunning.getByLabel('After the last retry fails').selectOption('pause');
    await dunning.getByRole('button', { name: 'Save dunning' }).click();
    await expect.poll(() => operator.getByText('Dunning saved.', { exact: false }).count()).toBe(1);

    const owner = await signUp('pauser');
    const as = (method: string, url: string, body?: unknown) => callApi(owner, method, url, body, 'personal');
    const customer = await as('POST', '/v1/billing_customer', {
      name: 'Pauser LLC',
      email: `pauser.${run}@example.com`,
      address_line1: '1 Market St',
      city: 'San Francisco',
      state: 'CA',
      postal_code: '94105',
      country: 'US',
      time_zone: 'America/Los_Angeles',
    });
    expect(customer.status).toBe(201);
    const clock = (await as('POST', '/v1/test_clocks', { frozen_time: '2027-03-10T20:00:00Z' })).body.id;
    const payAtGateway = async (url: string, card: string) => {
      await owner.goto(url);
      await owner.getByLabel('Card number').fill(card);
      await owner.getByLabel('Expiry').fill('12 / 34');
      await owner.getByLabel('CVC').fill('123');
      await owner.getByRole('button', { name: /^(Pay|Save a card)/ }).click();
      await owner.waitForURL(/\/billing$/);
    };
    const checkout = await as('POST', '/v1/checkout_sessions', { plan_id: planIds.basic });
    await payAtGateway(checkout.body.url, '4242 4242 4242 4242');
    const setup = await as('POST', '/v1/checkout_sessions', { mode: 'setup' });
    await payAtGateway(setup.body.url, '4000 0000 0000 0341');
    // April's $10.00 fails on 1, 4, 6 and 8 April: then the subscription is paused, and on 1 May
    // nothing is invoiced.
    await as('POST', `/v1/test_clocks/${clock}/advance`, { frozen_time: '2027-05-20T19:00:00Z' });
    await owner.goto(`${billfold.url}/billing`);
    const banner = owner.getByRole('alert', { name: 'Payment due' });
    await expect.poll(() => banner.textContent()).toContain('$10.00 is due on invoice');
    const summary = owner.locator('.subscription-summary');
    expect(await summary.textContent()).toContain('Paused');
    expect(await summary.textContent()).toContain('None while paused');
    await screenshot(owner, '52-paused-for-payment');

    await banner.getByRole('button', { name: 'Use another card' }).click();
    await owner.waitForURL(/\/pay\/test\//);
    await payAtGateway(owner.url(), '4242 4242 4242 4242');
    await owner
      .getByRole('alert', { name: 'Payment due' })
      .getByRole('button', { name: 'Pay $10.00 now' })
      .click();
    await expect.poll(() => owner.getByText(/\$10\.00 paid \(invoice .+\)\. Thank you/).count()).toBe(1);
    // Resumed on 20 May (noon in Los Angeles): 12 of May's 31 days, 1000 × 12 / 31 = 387.10 → $3.87.
    await expect.poll(() => summary.textContent()).toContain('Active');
    expect(await summary.textContent()).toContain('May 20, 2027 – May 31, 2027');
    await openBillingSection(owner, 'Invoices');
    const invoices = owner.getByRole('table', { name: 'Invoices' });
    await expect.poll(() => invoices.textContent()).toContain('$3.87');
    await screenshot(owner, '53-resumed-after-payment');
  });
});
