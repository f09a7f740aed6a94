import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningBillfold } from '../server/src/server.js';
import {
  callApi,
  chromiumAvailable,
  launchBrowser,
  makeOperator,
  openBillingSection,
  screenshot,
  startTestBillfold,
} from './harness.js';

/**
 * The catalog and billing customers in the web UI: an operator publishes a graduated plan with
 * limits; the owner of another organization creates its billing customer (fixing a validation error
 * on the way), sees the plan's card with the right price and updates its details; an admin sees it
 * all read-only; a member has no Billing at all. Screenshots land in e2e/artifacts.
 */
describe.skipIf(!chromiumAvailable)('catalog and billing in Chromium', () => {
  let billfold: RunningBillfold;
  let browser: Browser;
  let operator: Page;
  let owner: Page;
  let orgId = '';
  const run = Math.random().toString(36).slice(2, 8);
  const password = 'correct horse battery';

  beforeAll(async () => {
    billfold = await startTestBillfold();
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await billfold?.close();
  });

  async function newPage() {
    return (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  }

  async function signUp(page: Page, email: string, name: string) {
    await page.goto(`${billfold.url}/sign-up`);
    await page.getByLabel('Full name').fill(name);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByLabel('Country').selectOption('US');
    await page.getByLabel('Postal / ZIP code').fill('94107');
    await page.getByRole('button', { name: 'Create account' }).click();
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toContain('Personal');
  }

  const call = callApi;

  const main = (page: Page) => page.getByRole('navigation', { name: 'Main' });
  const heading = (page: Page) => page.getByRole('heading', { level: 1 }).textContent();

  it('an operator publishes a graduated plan with limits', async () => {
    operator = await newPage();
    const email = `operator.${run}@example.com`;
    await signUp(operator, email, 'Olivia Operator');
    await makeOperator(billfold, email);
    await operator.reload();

    // What usage is charged for: a metric that counts computations.
    const operatorNav = operator.getByRole('navigation', { name: 'Operator' });
    await operatorNav.getByRole('link', { name: 'Metrics' }).click();
    await operator.getByLabel('Metric code').fill('computations');
    await operator.getByLabel('Metric name').fill('Computations');
    await operator.getByLabel('Unit', { exact: true }).fill('computation');
    await operator.getByLabel('Aggregation').selectOption('count');
    await operator.getByRole('button', { name: 'Create metric' }).click();
    await expect
      .poll(() => operator.getByRole('table', { name: 'Metrics' }).textContent())
      .toContain('Computations');
    await screenshot(operator, '19-operator-metrics');

    await operatorNav.getByRole('link', { name: 'Plans' }).click();
    await expect.poll(() => heading(operator)).toContain('Plans');
    await screenshot(operator, '20-operator-plans');
    await operator
      .getByRole('link', { name: 'New plan' })
      .or(operator.getByRole('button', { name: 'New plan' }))
      .click();

    await operator.getByLabel('Code').fill('growth');
    await operator.getByLabel('Name', { exact: true }).fill('Growth');
    await operator.getByLabel('Description').fill('For teams that compute every day.');
    await operator.getByLabel('Currency').selectOption('USD');
    await operator.getByLabel('Base price').fill('49');
    await operator.getByLabel('Trial days').fill('14');

    await operator.getByRole('button', { name: 'Add limit' }).click();
    await operator.getByLabel('Limit 1 feature').selectOption('computations');
    await operator.getByLabel('Limit 1 value').fill('50');
    await operator.getByRole('button', { name: 'Add limit' }).click();
    await operator.getByLabel('Limit 2 feature').selectOption('members');
    await operator.getByLabel('Limit 2 mode').selectOption('soft');
    await operator.getByLabel('Limit 2 value').fill('10');

    await operator.getByRole('button', { name: 'Add charge' }).click();
    await operator.getByLabel('Charge 1 metric').selectOption('computations');
    await operator.getByLabel('Pricing model').selectOption('graduated');
    await operator.getByLabel('Charge 1 included quantity').fill('100');
    await operator.getByLabel('Tier 1 unit price').fill('0.05');
    // A new tier goes last, unbounded; the one before it now needs an upper bound.
    await operator.getByRole('button', { name: 'Add tier' }).click();
    await operator.getByLabel('Tier 1 up to').fill('1000');
    await operator.getByLabel('Tier 2 unit price').fill('0.0125');
    await screenshot(operator, '21-operator-plan-editor');
    await operator.getByRole('button', { name: 'Create plan' }).click();

    await expect.poll(() => heading(operator)).toContain('Growth');
    const plans = await call(operator, 'GET', '/v1/operator/plans?q=growth');
    expect(plans.body.data[0]).toMatchObject({
      code: 'growth',
      version: {
        version: 1,
        base_price: 4900,
        trial_days: 14,
        limits: [
          { feature: 'computations', mode: 'hard', limit: 50 },
          { feature: 'members', mode: 'soft', limit: 10 },
        ],
        charges: [
          {
            metric: 'computations',
            included_quantity: '100',
            price: {
              model: 'graduated',
              tiers: [
                { up_to: '1000', unit_price: '0.05' },
                { up_to: null, unit_price: '0.0125' },
              ],
            },
          },
        ],
      },
    });

    // "What would 1,250 computations cost?" 1,150 billable: 1,000 × 0.05 + 150 × 0.0125 = 51.875 → $51.88,
    // plus the $49 fee. The preview follows the typing, a line per tier under the charge.
    await operator.getByLabel('Computations quantity').fill('1250');
    const preview = operator.getByRole('table', { name: 'Preview lines' });
    await expect.poll(() => preview.getByText('$100.88').count()).toBe(1);
    await expect
      .poll(() => preview.getByRole('row', { name: /above 1,000 150 \$0\.0125 \$1\.875/ }).count())
      .toBe(1);
    // Editing the terms prices them again before anything is saved: a $59 fee makes it $110.88.
    await operator.getByLabel('Base price').fill('59');
    await expect.poll(() => preview.getByText('$110.88').count()).toBe(1);
    await operator.getByLabel('Base price').fill('49');
    await expect.poll(() => preview.getByText('$100.88').count()).toBe(1);
    await screenshot(operator, '22-operator-plan-preview');
  });

  it('the owner of another organization creates its billing customer, fixing a validation error', async () => {
    owner = await newPage();
    await signUp(owner, `owner.${run}@example.com`, 'Omar Owner');
    const org = await call(owner, 'POST', '/v1/organizations', {
      name: 'Nimbus Labs',
      country: 'US',
      postal_code: '10001',
    });
    orgId = org.body.id;
    await owner.goto(`${billfold.url}/`);
    await owner.getByLabel('Organization').selectOption({ label: 'Nimbus Labs' });
    await expect.poll(() => heading(owner)).toContain('Nimbus Labs');

    await main(owner).getByRole('link', { name: 'Billing' }).click();
    await expect.poll(() => owner.getByText('No billing customer yet').count()).toBe(1);
    await screenshot(owner, '23-billing-empty');
    // Every section is the customer's: without one, each says so, and offers no sections to go to.
    await owner.goto(`${billfold.url}/billing/invoices`);
    await expect.poll(() => owner.getByText('No billing customer yet').count()).toBe(1);
    expect(await owner.getByRole('navigation', { name: 'Billing sections' }).count()).toBe(0);
    // Nothing can be bought before there is a customer to bill.
    expect(await owner.getByRole('link', { name: 'Buy plan' }).count()).toBe(0);
    await owner.getByRole('button', { name: 'Create billing customer' }).click();

    const dialog = owner.getByRole('dialog');
    await dialog.getByLabel('Billing name').fill('Nimbus Labs Inc.');
    await dialog.getByLabel('Billing email').fill('billing@nimbus.example');
    await dialog.getByLabel('Address', { exact: true }).fill('350 Fifth Avenue');
    await dialog.getByLabel('City').fill('New York');
    await dialog.getByLabel('State / province').fill('NY');
    await dialog.getByLabel('Postal / ZIP code').fill('1000');
    await dialog.getByLabel('Country').selectOption('US');
    await dialog.getByLabel('Phone').fill('+1 212 555 0100');
    await dialog.getByLabel('Time zone').selectOption('America/New_York');
    await dialog.getByRole('button', { name: 'Create billing customer' }).click();
    await expect
      .poll(() => dialog.getByText('Use a US ZIP code such as 94107 or 94107-1234').count())
      .toBe(1);
    await screenshot(owner, '24-billing-customer-error');

    await dialog.getByLabel('Postal / ZIP code').fill('10118');
    await dialog.getByRole('button', { name: 'Create billing customer' }).click();
    await expect.poll(() => owner.getByRole('dialog').count()).toBe(0);
    await expect
      .poll(() => owner.getByText('Billing customer created. Choose a plan under Plans.').count())
      .toBe(1);

    // Billing's sections have their own addresses, the current one marked in the tabs.
    await openBillingSection(owner, 'Plans');
    expect(new URL(owner.url()).pathname).toBe('/billing/plans');
    const growth = owner.getByRole('article', { name: 'Growth' });
    await expect.poll(() => growth.textContent()).toContain('$49.00 / month');
    expect(await growth.textContent()).toContain('50 computations');
    expect(await growth.textContent()).toContain('100 computations included, then $0.05 per computation');
    const free = owner.getByRole('article', { name: 'Free' });
    expect(await free.textContent()).toContain('Current plan');
    // With a subscription in force (Free), buying another plan is modifying it.
    expect(await owner.getByRole('link', { name: 'Buy plan' }).getAttribute('href')).toBe('/billing/modify');
    await screenshot(owner, '25-billing-plans');
  });

  it('the owner updates the details and opens a plan', async () => {
    await openBillingSection(owner, 'Overview');
    expect(new URL(owner.url()).pathname).toBe('/billing');
    await owner.getByRole('button', { name: 'Update customer details' }).click();
    const dialog = owner.getByRole('dialog');
    await dialog.getByLabel('Tax ID').fill('12-3456789');
    await screenshot(owner, '26-billing-update-details');
    await dialog.getByRole('button', { name: 'Update' }).click();
    await expect.poll(() => owner.getByText('Billing details updated.').count()).toBe(1);
    expect(await owner.getByText('12-3456789').count()).toBe(1);

    await openBillingSection(owner, 'Plans');
    await owner.getByRole('article', { name: 'Growth' }).getByRole('link', { name: 'Plan details' }).click();
    await expect.poll(() => heading(owner)).toContain('Growth');
    await expect.poll(() => owner.getByText('$0.0125').count()).toBeGreaterThan(0);
    // The checkout's own quote: a 14-day trial takes nothing now.
    const firstPayment = owner.getByTestId('first-payment');
    await expect.poll(() => firstPayment.textContent()).toContain('Nothing to pay now: 14 days free');
    expect(await firstPayment.textContent()).toContain('then $49.00 / month');
    await screenshot(owner, '27-plan-detail');
  });

  it('an admin sees billing read-only, and a member has no billing at all', async () => {
    const join = async (role: 'admin' | 'member', name: string) => {
      const page = await newPage();
      const email = `${role}.${run}@example.com`;
      await signUp(page, email, name);
      const invitation = await call(owner, 'POST', '/v1/invitations', { email, role }, orgId);
      expect(invitation.status).toBe(201);
      const accepted = await call(page, 'POST', '/v1/invitations/accept', {
        token: String(invitation.body.url).split('/invite/')[1],
      });
      expect(accepted.status).toBe(200);
      await page.goto(`${billfold.url}/`);
      await page.getByLabel('Organization').selectOption({ label: 'Nimbus Labs' });
      await expect.poll(() => heading(page)).toContain('Nimbus Labs');
      return page;
    };

    const admin = await join('admin', 'Ada Admin');
    await main(admin).getByRole('link', { name: 'Billing' }).click();
    await expect.poll(() => admin.getByText('Read-only for your role').count()).toBe(1);
    await expect.poll(() => admin.getByText('Billed to').count()).toBe(1);
    expect(await admin.getByRole('button', { name: 'Update customer details' }).count()).toBe(0);
    await openBillingSection(admin, 'Plans');
    await expect.poll(() => admin.getByRole('article', { name: 'Growth' }).count()).toBe(1);
    expect(await admin.getByRole('button', { name: 'Select subscription' }).count()).toBe(0);
    await screenshot(admin, '28-billing-admin-read-only');

    const member = await join('member', 'Max Member');
    expect(await main(member).getByRole('link', { name: 'Billing' }).count()).toBe(0);
    const refused = await call(member, 'GET', '/v1/billing_customer', undefined, orgId);
    expect(refused.status).toBe(403);
    await member.goto(`${billfold.url}/billing`);
    await expect.poll(() => member.getByText('Not available for your role').count()).toBe(1);
    await screenshot(member, '29-billing-member-no-access');
  });

  it('lays plan cards in rows without a lone one as plans are added up to 7, and tells two of one name apart', async () => {
    const cards = owner.getByRole('article');
    /** How many cards each row holds, read from where the cards are. */
    const rowSizes = async () => {
      const tops = await cards.evaluateAll((elements) =>
        elements.map((element) => Math.round(element.getBoundingClientRect().top)),
      );
      const rows = new Map<number, number>();
      for (const top of tops) rows.set(top, (rows.get(top) ?? 0) + 1);
      return [...rows.values()];
    };
    await owner.goto(`${billfold.url}/billing/plans`);
    await expect.poll(() => cards.count()).toBeGreaterThan(0);
    const start = await cards.count();
    expect(start).toBeLessThan(7);
    for (let n = start; n <= 7; n++) {
      if (n > start) {
        // The last is a second Growth, made for this organization only.
        const twin = n === 7;
        const plan = await call(operator, 'POST', '/v1/operator/plans', {
          code: twin ? 'growth_nimbus' : `extra_${n}`,
          name: twin ? 'Growth' : `Extra ${n}`,
          currency: 'USD',
          interval: 'month',
          base_price: 10_000 + n * 100,
          ...(twin ? { visibility: 'restricted', audience_org_ids: [orgId] } : {}),
        });
        expect(plan.status, JSON.stringify(plan.body)).toBe(201);
        await owner.reload();
      }
      await expect.poll(() => cards.count()).toBe(n);
      await owner.waitForLoadState('networkidle');
      const rows = await rowSizes();
      expect(rows.reduce((a, b) => a + b, 0)).toBe(n);
      expect(Math.max(...rows), `${n} plans in rows of ${rows}`).toBeLessThanOrEqual(3);
      expect(Math.max(...rows) - Math.min(...rows), `${n} plans in rows of ${rows}`).toBeLessThanOrEqual(1);
      if (n > 1) expect(Math.min(...rows), `${n} plans in rows of ${rows}`).toBeGreaterThan(1);
      await screenshot(owner, `29b-billing-plans-${n}`);
    }

    // Two plans called Growth: each card says its code, version and whom it is offered to.
    const twins = owner.getByRole('article', { name: /^Growth \(/ });
    await expect.poll(() => twins.count()).toBe(2);
    const nimbus = owner.getByRole('article', { name: 'Growth (growth_nimbus)' });
    expect(await nimbus.textContent()).toContain('Private offer');
    expect(await nimbus.textContent()).toContain('Version 1');
    const other = twins.filter({ hasNotText: 'growth_nimbus' });
    expect(await other.textContent()).toContain('Public plan');
    // Plans of their own names say none of it.
    expect(await owner.getByRole('article', { name: 'Free' }).textContent()).not.toContain('Public plan');

    // On a phone, one card under another.
    await owner.setViewportSize({ width: 390, height: 900 });
    await expect.poll(rowSizes).toEqual([1, 1, 1, 1, 1, 1, 1]);
    await screenshot(owner, '29c-billing-plans-7-phone');
    await owner.setViewportSize({ width: 1280, height: 900 });
  });
});
