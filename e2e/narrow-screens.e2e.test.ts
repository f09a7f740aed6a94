import type { Locator, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import {
  billfoldInBrowser,
  chromiumAvailable,
  overflowPastEdge,
  screenshot,
  signedInDemoPage,
} from './harness.js';

/**
 * The pages with the most to fit, on a phone (390 px) and a desktop, over the demo's data: the plan
 * editor, the Billing page and the subscription's Modify plan page. Nothing may overflow the width
 * of the screen, and a select shows its whole choice. Screenshots land in e2e/artifacts.
 */
describe.skipIf(!chromiumAvailable)('narrow and wide screens in Chromium', () => {
  const demo = billfoldInBrowser({ demo: true });

  const signedIn = (email: string, width: number) => signedInDemoPage(demo, email, width);

  // The checks run in the page, written as source: this package's types have no DOM.

  /** Whether a select's chosen text fits inside it, beside its arrow (measured in its own font). */
  const textFits = async (page: Page, select: Locator): Promise<boolean> =>
    (await page.evaluate(`(() => {
      const el = document.getElementById(${JSON.stringify(await select.getAttribute('id'))});
      const style = getComputedStyle(el);
      const context = document.createElement('canvas').getContext('2d');
      context.font = style.font;
      const text = el.options[el.selectedIndex]?.text ?? '';
      const room = el.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
      return context.measureText(text).width <= room;
    })()`)) as boolean;

  /** Whether an element sits within the screen's width (a tab in a row that scrolls sideways). */
  const inViewHorizontally = async (page: Page, element: Locator): Promise<boolean> => {
    const box = await element.boundingBox();
    const width = page.viewportSize()?.width ?? 0;
    return box !== null && box.x >= 0 && box.x + box.width <= width;
  };

  for (const [width, label] of [
    [390, 'phone'],
    [1280, 'desktop'],
  ] as const) {
    it(`fits the plan editor, Billing and Modify plan on a ${label}`, async () => {
      const operator = await signedIn('operator@example.com', width);
      await operator.goto(`${demo.billfold.url}/operator/plans`);
      await operator.getByRole('link', { name: 'Team' }).first().click();
      await expect.poll(() => operator.getByLabel('Fee billed').isVisible()).toBe(true);
      await screenshot(operator, `60-${label}-plan-editor`);
      expect(await overflowPastEdge(operator)).toBe(0);
      // Each choice of when the fee is billed shows whole in its select.
      const fee = operator.getByLabel('Fee billed');
      for (const choice of ['advance', 'arrears']) {
        await fee.selectOption(choice);
        expect(await textFits(operator, fee)).toBe(true);
      }

      const owner = await signedIn('demo@example.com', width);
      // Every section of Billing: the tabs scroll inside their row, the page never sideways.
      for (const [path, name] of [
        ['/billing', 'billing'],
        ['/billing/plans', 'billing-plans'],
        ['/billing/payment-methods', 'billing-payment-methods'],
        ['/billing/invoices', 'billing-invoices'],
        ['/billing/statements', 'billing-statements'],
        ['/billing/payment-links', 'billing-payment-links'],
      ] as const) {
        await owner.goto(`${demo.billfold.url}${path}`);
        await expect.poll(() => owner.getByRole('heading', { level: 1 }).textContent()).toContain('Billing');
        const current = owner
          .getByRole('navigation', { name: 'Billing sections' })
          .locator('[aria-current="page"]');
        await expect.poll(() => current.count()).toBe(1);
        await owner.waitForLoadState('networkidle');
        // The current tab is scrolled into its row's view.
        expect(await current.isVisible()).toBe(true);
        expect(await inViewHorizontally(owner, current), path).toBe(true);
        await screenshot(owner, `61-${label}-${name}`);
        expect(await overflowPastEdge(owner), path).toBe(0);
      }

      await owner.goto(`${demo.billfold.url}/billing/modify`);
      await owner.waitForLoadState('networkidle');
      await screenshot(owner, `62-${label}-modify-plan`);
      expect(await overflowPastEdge(owner)).toBe(0);
    });
  }
});
