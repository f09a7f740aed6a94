import type { BrowserContext, Page } from 'playwright-core';
import { Temporal } from 'temporal-polyfill';
import { describe, expect, it } from 'vitest';
import {
  auditAccessibility,
  billfoldInBrowser,
  callApi,
  chromiumAvailable,
  firstPeriodAmount,
  openBillingSection,
  screenshot,
} from './harness.js';

/**
 * ROCON's purchase journey (seed 003), in Chromium over the demo's catalog (Team at $49.00 a month,
 * Team India at ₹3,999.00): a marketing site's plans link, sign-up, the "Buy plan" dialog right after,
 * for whom (an organization created in it, or oneself), what it costs now and after with the tax,
 * which real gateway the customer would pay through, "Pay now" in a new tab, and the Billing page
 * left behind updating itself once the payment lands.
 */
describe.skipIf(!chromiumAvailable)('the purchase journey from a plans link in Chromium', () => {
  const demo = billfoldInBrowser({ demo: true });
  const run = Math.random().toString(36).slice(2, 8);
  const password = 'correct horse battery';

  /** A new person, from the plans link to their account; the page lands where the link meant. */
  async function signUpFromPlansLink(
    context: BrowserContext,
    link: string,
    label: string,
  ): Promise<{ page: Page; email: string }> {
    const page = await context.newPage();
    const email = `${label}.${run}@example.com`;
    await page.goto(`${demo.billfold.url}${link}`);
    await page.getByText('then you buy the plan you chose').waitFor();
    await page.getByLabel('Full name').fill(`${label} buyer`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByLabel('Country').selectOption('US');
    await page.getByLabel('Postal / ZIP code').fill('94107');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.waitForURL(/\/billing\?buy=team$/);
    return { page, email };
  }

  async function payWith4242(pay: Page) {
    await pay.getByLabel('Card number').fill('4242 4242 4242 4242');
    await pay.getByLabel('Expiry').fill('12 / 34');
    await pay.getByLabel('CVC').fill('123');
    await pay.getByLabel('Name on card').fill('Ada Lovelace');
    await pay.getByRole('button', { name: /^Pay / }).click();
  }

  /**
   * The dialog's sentence, worked out independently of the server: the rest of this calendar month in
   * the customer's zone (today billed, a one-day period named once), then the plan's fee from the 1st.
   */
  function expectedSummary(now: string, then: string, zone: string, usage: boolean): string {
    const today = Temporal.Now.plainDateISO(zone);
    const last = today.with({ day: today.daysInMonth });
    const day = (date: Temporal.PlainDate) =>
      date.toLocaleString('en-US', { month: 'short', day: 'numeric' });
    const period = today.equals(last) ? day(today) : `${day(today)} – ${day(last)}`;
    const from = day(today.add({ months: 1 }).with({ day: 1 }));
    return `${now} now for ${period}, then ${then} a month from ${from}${usage ? ', plus usage as it is used' : ''}.`;
  }

  /** ₹3,999.00 a month for the rest of this month, rounded half-up, and 18% GST on it, in paise. */
  function teamIndiaFirstPeriod(zone: string): string {
    const today = Temporal.Now.plainDateISO(zone);
    const days = today.daysInMonth;
    const remaining = days - today.day + 1;
    const fee = Math.floor((399_900 * remaining * 2 + days) / (2 * days));
    const gst = Math.floor((fee * 18 * 2 + 100) / 200);
    const total = fee + gst;
    return `₹${Math.floor(total / 100).toLocaleString('en-US')}.${String(total % 100).padStart(2, '0')}`;
  }

  /** Marks the page, so that finding the mark later shows the page was never loaded again. */
  const markPage = (page: Page) => page.evaluate('window.__notReloaded = true');
  const stillMarked = (page: Page) => page.evaluate('window.__notReloaded === true');

  /**
   * The page left behind says the payment of `amount` landed, and Plans (a section of the same page,
   * reached by its tab) marks `plan` current, all without the page being loaded again.
   */
  async function seesPaymentLand(page: Page, amount: string, plan: string) {
    await expect
      .poll(() => page.getByText(`Payment of ${amount} received. Your plan is active.`).count(), {
        timeout: 20_000,
      })
      .toBe(1);
    await openBillingSection(page, 'Plans');
    await expect
      .poll(() => page.getByRole('article', { name: plan }).textContent())
      .toContain('Current plan');
    expect(await stillMarked(page)).toBe(true);
  }

  it('India: sign up → Buy plan → a new organization in India → Cashfree named → paid → Billing updates itself', async () => {
    const context = await demo.browser.newContext({
      viewport: { width: 1280, height: 900 },
      timezoneId: 'Asia/Kolkata',
    });
    // The alias marketing sites use (`/signup`), as well as `/sign-up`.
    const { page } = await signUpFromPlansLink(context, '/signup?plan=team', 'india');

    const dialog = page.getByRole('dialog', { name: 'Buy plan' });
    await dialog.waitFor();
    await screenshot(page, '60-buy-plan-who-1280', { fullPage: false });
    await auditAccessibility(page, 'the Buy plan dialog (for whom)');

    await dialog.getByRole('button', { name: 'An organization' }).click();
    await dialog.getByLabel('Organization name').fill(`Rocon India ${run}`);
    await dialog.getByLabel('Country').selectOption('IN');
    await dialog.getByLabel('Postal / ZIP code').fill('560001');
    // Tax in India can be the state's, and Cashfree takes no payment without a phone: both asked here.
    await dialog.getByLabel('State').fill('Karnataka');
    // A phone the billing customer refuses is said beside it; the organization made meanwhile is kept.
    await dialog.getByLabel('Phone').fill('98123');
    await dialog.getByRole('button', { name: 'Continue' }).click();
    await dialog.getByText('Use the international format with the country code').waitFor();
    await dialog.getByLabel('Phone').fill('+91 98123 45678');
    await screenshot(page, '61-buy-plan-new-organization-1280', { fullPage: false });
    await auditAccessibility(page, 'the Buy plan dialog (a new organization)');
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, '61-buy-plan-new-organization-390', { fullPage: false });
    await auditAccessibility(page, 'the Buy plan dialog (a new organization) on a phone');
    await page.setViewportSize({ width: 1280, height: 900 });
    await dialog.getByRole('button', { name: 'Continue' }).click();

    // The session now acts on the new organization, whose billing customer pays in rupees: the link's
    // Team is offered to it as Team India, with GST.
    const buy = page.getByRole('dialog', { name: 'Buy Team India' });
    await buy.waitFor();
    await expect.poll(() => page.getByTestId('buy-plan-summary').count()).toBe(1);
    const summary = await page.getByTestId('buy-plan-summary').textContent();
    const dueNow = teamIndiaFirstPeriod('Asia/Kolkata');
    expect(summary).toBe(expectedSummary(dueNow, '₹4,718.82', 'Asia/Kolkata', true));
    const taxTable = buy.getByRole('table', { name: 'Price and tax' });
    expect(await taxTable.getByRole('row', { name: /^Tax ₹/ }).count()).toBe(1);
    expect(await taxTable.textContent()).toContain('₹3,999.00 plus ₹719.82 tax');
    const testMode = await buy.getByRole('status').filter({ hasText: 'Test mode' }).textContent();
    expect(testMode).toContain(
      'Live, this customer would pay through Cashfree, the gateway for its billing country, India.',
    );

    const organizations = await callApi(page, 'GET', '/v1/session');
    const created = organizations.body.organizations.find(
      (o: { name: string }) => o.name === `Rocon India ${run}`,
    );
    expect(created).toMatchObject({ country: 'IN', postal_code: '560001', role: 'owner' });
    expect(
      organizations.body.organizations.filter((o: { name: string }) => o.name === `Rocon India ${run}`),
    ).toHaveLength(1);
    const customer = await callApi(page, 'GET', '/v1/billing_customer', undefined, created.id);
    expect(customer.body).toMatchObject({
      country: 'IN',
      state: 'Karnataka',
      phone: '+919812345678',
      currency: 'INR',
      email: `india.${run}@example.com`,
    });

    await screenshot(page, '62-buy-plan-india-1280', { fullPage: false });
    await auditAccessibility(page, 'the Buy plan dialog (India, with GST)');
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, '63-buy-plan-india-390', { fullPage: false });
    await auditAccessibility(page, 'the Buy plan dialog on a phone');
    await page.setViewportSize({ width: 1280, height: 900 });

    await markPage(page);
    const [pay] = await Promise.all([
      context.waitForEvent('page'),
      buy.getByRole('button', { name: 'Pay now' }).click(),
    ]);
    await pay.waitForURL(/\/pay\/test\//);
    expect(await pay.getByText(/In live mode this payment goes to\s*Cashfree/).count()).toBe(1);
    expect(await pay.getByText('customers billed in India pay through Cashfree').count()).toBe(1);
    // The gateway's page asks for the amount with GST and says so.
    expect(await pay.getByRole('button', { name: `Pay ${dueNow}` }).count()).toBe(1);
    expect(await pay.getByText(/, plus ₹[\d,]+\.\d\d tax$/).count()).toBe(1);
    await screenshot(pay, '64-buy-plan-india-pay-page-new-tab');

    // The original tab waits for the payment, and says so.
    await page.getByText('Waiting for your payment').waitFor();
    await screenshot(page, '64-buy-plan-india-waiting-1280', { fullPage: false });
    expect(await page.getByRole('dialog').count()).toBe(0);
    // Moving to another tab of Billing meanwhile keeps the wait: the frame stays, and so does its watch.
    await openBillingSection(page, 'Invoices');
    await page.getByText('Waiting for your payment').waitFor();
    await payWith4242(pay);
    await pay.waitForURL(/\/billing/);

    // The Billing page left behind sees the payment land, without being loaded again.
    await seesPaymentLand(page, dueNow, 'Team India');
    expect(new URL(page.url()).search).toBe('');
    const subscriptions = await callApi(page, 'GET', '/v1/subscriptions', undefined, created.id);
    expect(subscriptions.body.data.filter((s: { status: string }) => s.status === 'active')).toMatchObject([
      { plan_name: 'Team India' },
    ]);
    await screenshot(page, '65-buy-plan-india-paid-1280');
    await context.close();
  });

  it('United States: the plan bought for oneself, Stripe named, paid, Billing updates itself', async () => {
    const zone = 'America/New_York';
    const context = await demo.browser.newContext({
      viewport: { width: 1280, height: 900 },
      timezoneId: zone,
    });
    const page = await context.newPage();
    // The sign-in link keeps the plan for a person who has an account (the next test follows it).
    await page.goto(`${demo.billfold.url}/sign-up?plan=team`);
    expect(await page.getByRole('link', { name: 'Sign in' }).getAttribute('href')).toBe(
      `/sign-in?next=${encodeURIComponent('/billing?buy=team')}`,
    );
    await page.getByLabel('Full name').fill('us buyer');
    await page.getByLabel('Email').fill(`us.${run}@example.com`);
    await page.getByLabel('Password').fill(password);
    await page.getByLabel('Country').selectOption('US');
    await page.getByLabel('Postal / ZIP code').fill('10001');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.waitForURL(/\/billing\?buy=team$/);

    const dialog = page.getByRole('dialog', { name: 'Buy plan' });
    await dialog.waitFor();
    // For oneself: the personal account, billed where the person signed up; only the state is asked.
    expect(await dialog.getByRole('button', { name: 'Myself' }).getAttribute('aria-pressed')).toBe('true');
    await dialog.getByText('Your account is billed in United States, 10001.').waitFor();
    await dialog.getByLabel('State').fill('NY');
    expect(await dialog.getByLabel('Phone').count()).toBe(0);
    await dialog.getByRole('button', { name: 'Continue' }).click();

    const buy = page.getByRole('dialog', { name: 'Buy Team' });
    await buy.waitFor();
    await expect.poll(() => page.getByTestId('buy-plan-summary').count()).toBe(1);
    const first = firstPeriodAmount(4900, zone);
    expect(await page.getByTestId('buy-plan-summary').textContent()).toBe(
      expectedSummary(first, '$49.00', zone, true),
    );
    // No tax in the US under the demo's rates: no tax line.
    expect(await buy.getByRole('table', { name: 'Price and tax' }).count()).toBe(0);
    expect(await buy.getByRole('status').filter({ hasText: 'Test mode' }).textContent()).toContain(
      'Live, this customer would pay through Stripe, the gateway for its billing country, United States.',
    );
    await screenshot(page, '66-buy-plan-us-1280', { fullPage: false });
    await auditAccessibility(page, 'the Buy plan dialog (United States)');
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, '67-buy-plan-us-390', { fullPage: false });
    await page.setViewportSize({ width: 1280, height: 900 });

    await markPage(page);
    const [pay] = await Promise.all([
      context.waitForEvent('page'),
      buy.getByRole('button', { name: 'Pay now' }).click(),
    ]);
    await pay.waitForURL(/\/pay\/test\//);
    expect(await pay.getByText(/In live mode this payment goes to\s*Stripe/).count()).toBe(1);
    await payWith4242(pay);
    await seesPaymentLand(page, first, 'Team');

    // With no plan named, "Buy plan" leads to Modify plan.
    await page.getByRole('link', { name: 'Buy plan' }).click();
    await page.waitForURL(/\/billing\/modify$/);
    await page.getByRole('heading', { level: 1, name: 'Modify plan' }).waitFor();

    // A plans link naming the plan already bought says so, rather than that it is not offered.
    await page.goto(`${demo.billfold.url}/billing?buy=team`);
    await page.getByRole('dialog', { name: 'Buy plan' }).getByRole('button', { name: 'Continue' }).click();
    const again = page.getByRole('dialog', { name: 'Buy plan' });
    await expect.poll(() => again.getByText(/^Team is already your current plan/).count()).toBe(1);
    expect(await again.getByText('is not offered').count()).toBe(0);
    await screenshot(page, '68-buy-plan-already-current-1280', { fullPage: false });
    await context.close();
  });

  it('a person who has an account signs in from the plans link and lands on the same dialog', async () => {
    const first = await demo.browser.newContext({ viewport: { width: 1280, height: 900 } });
    const { email } = await signUpFromPlansLink(first, '/sign-up?plan=team', 'returning');
    await first.close();

    const context = await demo.browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await page.goto(`${demo.billfold.url}/signup?plan=team`);
    await page.getByRole('link', { name: 'Sign in' }).click();
    await page.waitForURL(/\/sign-in\?next=/);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/billing\?buy=team$/);
    await page.getByRole('dialog', { name: 'Buy plan' }).waitFor();
    // Signed in already, the plans link goes straight to the dialog.
    await page.goto(`${demo.billfold.url}/sign-up?plan=team`);
    await page.waitForURL(/\/billing\?buy=team$/);
    await page.getByRole('dialog', { name: 'Buy plan' }).waitFor();
    // Closing the dialog leaves Billing as it was, the plan dropped from the address.
    await page.getByRole('button', { name: 'Cancel' }).click();
    await expect.poll(() => page.getByRole('dialog').count()).toBe(0);
    expect(new URL(page.url()).search).toBe('');
    await context.close();
  });
});
