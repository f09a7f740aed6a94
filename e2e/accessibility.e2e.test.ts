import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type AccessibilitySummary,
  artifactsDir,
  auditAccessibility,
  billfoldInBrowser,
  callApi,
  chromiumAvailable,
  type Json,
  overflowPastEdge,
  screenshot,
  signedInDemoPage,
} from './harness.js';

/**
 * Every page of the web UI, its dialogs and menus, and the pages the server renders itself (an
 * invoice, the test gateway's pay page), audited with axe-core over the demo's data on a phone
 * (390 px) and a desktop (1280 px): none may have a serious or critical violation, nor anything
 * past the screen's edge. What each page still has, by impact, lands in
 * e2e/artifacts/accessibility.json; screenshots beside it.
 */
describe.skipIf(!chromiumAvailable)('accessibility of every page in Chromium', () => {
  const demo = billfoldInBrowser({ demo: true });
  const report: Record<string, AccessibilitySummary> = {};

  afterAll(() => {
    mkdirSync(artifactsDir, { recursive: true });
    writeFileSync(resolve(artifactsDir, 'accessibility.json'), `${JSON.stringify(report, null, 2)}\n`);
  });

  for (const [width, device] of [
    [390, 'phone'],
    [1280, 'desktop'],
  ] as const) {
    describe(`on a ${device}`, () => {
      let page: Page;
      let count = 0;

      /**
       * Audits the page once it has loaded its data, finds nothing past the screen's edge, and keeps
       * a screenshot of what was audited.
       */
      async function audit(name: string) {
        await page.waitForLoadState('networkidle');
        await expect.poll(() => page.locator('.loading').count()).toBe(0);
        report[`${name} (${width} px)`] = await auditAccessibility(page, `${name} at ${width} px`);
        expect.soft(await overflowPastEdge(page), `${name} at ${width} px`).toBe(0);
        count += 1;
        await screenshot(
          page,
          `a11y-${device}-${String(count).padStart(2, '0')}-${name.replace(/\W+/g, '-')}`,
        );
      }

      async function visit(path: string, name: string) {
        await page.goto(`${demo.billfold.url}${path}`);
        await expect.poll(() => page.getByRole('heading', { level: 1 }).count()).toBeGreaterThan(0);
        await audit(name);
      }

      async function signIn(email: string) {
        page = await signedInDemoPage(demo, email, width);
      }

      /**
       * Opens a dialog with the button named, audits the page with it open, closes it with Escape and
       * finds focus back on the button.
       */
      async function auditDialog(openerName: string, name: string) {
        const opener = page.getByRole('button', { name: openerName }).first();
        await opener.click();
        await expect.poll(() => page.getByRole('dialog').count()).toBe(1);
        await audit(name);
        await page.keyboard.press('Escape');
        await expect.poll(() => page.getByRole('dialog').count()).toBe(0);
        await expect
          .poll(() => opener.evaluate((button) => button === button.ownerDocument.activeElement))
          .toBe(true);
      }

      /** On a phone the sidebar folds behind its Menu button. */
      async function openSidebar() {
        if (width < 800) await page.getByRole('button', { name: 'Menu', exact: true }).click();
      }

      it('signed out: sign in, sign up and an invitation', async () => {
        page = await (await demo.browser.newContext({ viewport: { width, height: 900 } })).newPage();
        await visit('/sign-in', 'sign in');
        await visit('/sign-up', 'sign up');

        await signIn('demo@example.com');
        const acme = (await callApi(page, 'GET', '/v1/session')).body.organizations.find(
          (o: Json) => o.name === 'Acme Cloud',
        );
        const invitation = await callApi(
          page,
          'POST',
          '/v1/invitations',
          { email: `new.${device}@example.com`, role: 'member' },
          acme.id,
        );
        expect(invitation.status).toBe(201);
        const invitePath = new URL(invitation.body.url).pathname;
        await page.context().close();

        page = await (await demo.browser.newContext({ viewport: { width, height: 900 } })).newPage();
        await visit(invitePath, 'invitation');
        await page.context().close();
      });

      it("an organization's owner: every page, its dialogs and the account menu", async () => {
        await signIn('demo@example.com');
        const acme = (await callApi(page, 'GET', '/v1/session')).body.organizations.find(
          (o: Json) => o.name === 'Acme Cloud',
        );
        await visit('/', 'overview');
        await openSidebar();
        await audit('navigation and account menu');
        const accountButton = page.getByRole('button', { name: /Account menu/ });
        await accountButton.click();
        await expect.poll(() => page.getByRole('menu').count()).toBe(1);
        await audit('account menu open');
        await page.keyboard.press('Escape');
        await expect
          .poll(() => accountButton.evaluate((button) => button === button.ownerDocument.activeElement))
          .toBe(true);
        await auditDialog('New organization', 'create organization');

        await visit('/members', 'members');
        await auditDialog('Remove', 'remove member');

        await visit('/api-keys', 'API keys');
        await auditDialog('Revoke', 'revoke API key');

        await visit('/webhooks', 'webhooks');
        await page.getByLabel('Endpoint URL').fill(`https://hooks.example.com/${device}`);
        await page.getByRole('button', { name: 'Add endpoint' }).click();
        await expect
          .poll(() => page.getByText(`https://hooks.example.com/${device}`).count())
          .toBeGreaterThan(0);
        await audit('webhooks with an endpoint');

        await visit('/audit-log', 'audit log');
        await visit('/billing', 'billing');
        await auditDialog('Update customer details', 'billing location');
        await visit('/billing/plans', 'billing plans');
        await visit('/billing/payment-methods', 'billing payment methods');
        await visit('/billing/invoices', 'billing invoices');
        await visit('/billing/statements', 'billing statements');
        await visit('/billing/payment-links', 'billing payment links');
        // A plans link's dialog, open over Billing (which it hides from assistive technology meanwhile).
        await page.goto(`${demo.billfold.url}/billing?buy=team`);
        await page.getByRole('dialog', { name: 'Buy plan' }).waitFor();
        await audit('buy plan dialog');
        await visit('/billing/modify', 'modify plan');
        const team = (await callApi(page, 'GET', '/v1/plans', undefined, acme.id)).body.data.find(
          (p: Json) => p.name === 'Team',
        );
        await visit(`/billing/plans/${team.id}`, 'plan detail');
        await visit('/usage', 'usage');
        await visit('/settings', 'settings');
        await visit('/settings#account', 'account');

        // The invoice as the server renders it, opened as the web UI opens it.
        const invoice = (await callApi(page, 'GET', '/v1/invoices', undefined, acme.id)).body.data[0];
        const html = (await page.evaluate(
          async ({ id, org }) =>
            (await fetch(`/v1/invoices/${id}/html`, { headers: { 'billfold-organization': org } })).text(),
          { id: invoice.id, org: acme.id },
        )) as string;
        await page.setContent(html);
        await audit('invoice document');

        // The test gateway's page, where the demo's payment link is paid.
        const link = (await callApi(page, 'GET', '/v1/payment_links', undefined, acme.id)).body.data[0];
        await page.goto(`${demo.billfold.url}${new URL(link.url).pathname}`);
        await audit('test gateway pay page');
        await page.context().close();
      });

      it('an operator: plans, the plan editor, metrics, customers and a page not found', async () => {
        await signIn('operator@example.com');
        await visit('/operator/plans', 'operator plans');
        await visit('/operator/plans/new', 'new plan');
        await page.goto(`${demo.billfold.url}/operator/plans`);
        await page.getByRole('link', { name: 'Team' }).first().click();
        await expect.poll(() => page.getByLabel('Fee billed').isVisible()).toBe(true);
        await audit('plan editor');
        await visit('/operator/metrics', 'metrics');
        await visit('/operator/customers', 'customers');
        await page.getByRole('link', { name: 'Acme Cloud' }).first().click();
        await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toContain('Acme');
        await audit('customer detail');
        await auditDialog('Refund', 'refund payment');
        await auditDialog('Ledger adjustment', 'ledger adjustment');
        await visit('/no-such-page', 'not found');
        await page.context().close();
      });
    });
  }
});
