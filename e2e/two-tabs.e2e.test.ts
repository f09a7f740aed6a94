import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// The app's decorations (its gateways), to reach the test gateway's fault switch.
import type {} from '../server/src/http/app.js';
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
 * One paid plan, paid once, in Chromium: an owner opens the Billing page in two tabs of one browser
 * and goes to the gateway for Pro in one and Team in the other. Opening the second closes the first
 * page at the gateway; when the gateway fails to (as gateways sometimes do) and both are paid, the
 * second payment is refunded in full and the tab returning from it says why.
 */
describe.skipIf(!chromiumAvailable)('two tabs, two plans, in Chromium', () => {
  let billfold: RunningBillfold;
  let browser: Browser;
  const run = Math.random().toString(36).slice(2, 8);
  const firstPro = firstPeriodAmount(2900, 'America/Los_Angeles');
  const firstTeam = firstPeriodAmount(4900, 'America/Los_Angeles');
  let people = 0;

  beforeAll(async () => {
    billfold = await startTestBillfold();
    browser = await launchBrowser();
    const operator = await owner(await browser.newContext(), 'operator');
    await makeOperator(billfold, `operator.${run}@example.com`);
    for (const [code, name, price] of [
      ['pro', 'Pro', 2900],
      ['team', 'Team', 4900],
    ] as const) {
      const plan = await callApi(operator, 'POST', '/v1/operator/plans', {
        code,
        name,
        currency: 'USD',
        interval: 'month',
        base_price: price,
      });
      if (plan.status !== 201) throw new Error(`the plan was not created: ${JSON.stringify(plan.body)}`);
    }
  });
  afterAll(async () => {
    await browser?.close();
    await billfold?.close();
  });

  async function owner(context: Awaited<ReturnType<Browser['newContext']>>, label: string): Promise<Page> {
    return signUpPerson(await context.newPage(), billfold, {
      name: `${label} ${++people}`,
      email: `${label}.${run}@example.com`,
      password: 'correct horse battery',
    });
  }

  const openBilling = async (page: Page) => {
    await page.goto(`${billfold.url}/billing/plans`);
    await page.getByRole('article', { name: 'Team' }).waitFor();
  };
  const select = (page: Page, plan: string) =>
    page.getByRole('article', { name: plan }).getByRole('button', { name: 'Select subscription' }).click();
  async function payWith4242(page: Page) {
    await page.getByLabel('Card number').fill('4242 4242 4242 4242');
    await page.getByLabel('Expiry').fill('12 / 34');
    await page.getByLabel('CVC').fill('123');
    await page.getByRole('button', { name: /^Pay / }).click();
  }

  it('refunds the second tab’s payment and tells the person why', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const first = await owner(context, 'tabs');
    const created = await callApi(
      first,
      'POST',
      '/v1/billing_customer',
      {
        name: 'Tabs LLC',
        email: `billing.tabs.${run}@example.com`,
        address_line1: '1 Market St',
        city: 'San Francisco',
        state: 'CA',
        postal_code: '94105',
        country: 'US',
        time_zone: 'America/Los_Angeles',
      },
      'personal',
    );
    if (created.status !== 201) throw new Error(`no billing customer: ${JSON.stringify(created.body)}`);
    const second = await context.newPage();
    await openBilling(first);
    await openBilling(second);

    await select(first, 'Pro');
    await first.waitForURL(/\/pay\/test\//);
    // The gateway fails to close the Pro page when the Team checkout opens: both can be paid.
    billfold.app.billfoldGateways.test.setFaults({ next: 'error' });
    await select(second, 'Team');
    await second.waitForURL(/\/pay\/test\//);
    billfold.app.billfoldGateways.test.setFaults({});

    await payWith4242(first);
    await first.waitForURL(/\/billing$/);
    await expect
      .poll(() => first.getByText(`Payment of ${firstPro} received. Your plan is active.`).count())
      .toBe(1);

    await payWith4242(second);
    await second.waitForURL(/\/billing$/);
    const refunded = `You already subscribed to Pro in another tab; your payment of ${firstTeam} was refunded.`;
    await expect.poll(() => second.getByText(refunded).count()).toBe(1);
    await screenshot(second, '37-second-tab-refunded');
    await openBillingSection(second, 'Plans');
    await expect
      .poll(() => second.getByRole('article', { name: 'Pro' }).textContent())
      .toContain('Current plan');

    const payments = await callApi(second, 'GET', '/v1/payments', undefined, 'personal');
    expect(payments.body.data.map((p: { amount: number; status: string }) => p.status).sort()).toEqual([
      'succeeded',
      'succeeded',
    ]);
    const refunds = await billfold.database.db
      .selectFrom('test_gateway_objects')
      .select('id')
      .where('kind', '=', 'refund')
      .execute();
    expect(refunds).toHaveLength(1);
  });
});
