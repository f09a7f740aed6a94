import type { Browser, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD, seedDemo } from '../server/src/cli/demo.js';
import type { RunningBillfold } from '../server/src/server.js';
import { systemClock } from '../server/src/time/index.js';
import {
  chromiumAvailable,
  launchBrowser,
  overflowPastEdge,
  screenshot,
  startTestBillfold,
} from './harness.js';

/**
 * The pages with the most to fit, on a phone (390 px) and a desktop, over the demo's data: the plan
 * editor, the Billing page and the subscription's Modify plan page. Nothing may overflow the width
 * of the screen, and a select shows its whole choice. Screenshots land in e2e/artifacts.
 */
describe.skipIf(!chromiumAvailable)('narrow and wide screens in Chromium', () => {
  let billfold: RunningBillfold;
  let browser: Browser;

  beforeAll(async () => {
    billfold = await startTestBillfold({
      beforeListen: (database) => seedDemo(database.db, systemClock),
    });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await billfold?.close();
  });

  async function signedIn(email: string, width: number): Promise<Page> {
    const page = await (await browser.newContext({ viewport: { width, height: 900 } })).newPage();
    await page.goto(`${billfold.url}/sign-in`);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(DEMO_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((url) => !url.pathname.startsWith('/sign-in'));
    return page;
  }

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

  for (const [width, label] of [
    [390, 'phone'],
    [1280, 'desktop'],
  ] as const) {
    it(`fits the plan editor, Billing and Modify plan on a ${label}`, async () => {
      const operator = await signedIn('operator@example.com', width);
      await operator.goto(`${billfold.url}/operator/plans`);
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
      await owner.goto(`${billfold.url}/billing`);
      await expect.poll(() => owner.getByRole('heading', { level: 1 }).textContent()).toContain('Billing');
      await owner.waitForLoadState('networkidle');
      await screenshot(owner, `61-${label}-billing`);
      expect(await overflowPastEdge(owner)).toBe(0);

      await owner.goto(`${billfold.url}/billing/modify`);
      await owner.waitForLoadState('networkidle');
      await screenshot(owner, `62-${label}-modify-plan`);
      expect(await overflowPastEdge(owner)).toBe(0);
    });
  }
});
