import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { createApiKey } from '../server/src/access/index.js';
import { silentLogger } from '../server/src/context.js';
import { platformContext } from '../server/src/tenant.js';
import { systemClock } from '../server/src/time/index.js';
import {
  billfoldInBrowser,
  chromiumAvailable,
  type Json,
  overflowPastEdge,
  screenshot,
  signedInDemoPage,
} from './harness.js';

/**
 * The Usage page and the billing overview's usage against limits, over the demo organization's
 * metered use, on a desktop and a phone: the numbers shown are the API's, the chart draws, its
 * switches work, and nothing reaches past the screen. Screenshots land in e2e/artifacts.
 */
describe.skipIf(!chromiumAvailable)('usage in Chromium', () => {
  const demo = billfoldInBrowser({ demo: true });

  const signedIn = (width: number) => signedInDemoPage(demo, 'demo@example.com', width);

  /**
   * Opens a page and returns the usage summary the page itself was answered with: machine hours
   * grow by the second, so a second request would not see what the page shows.
   */
  async function openWithSummary(page: Page, path: string): Promise<{ metrics: Json[] }> {
    const answered = page.waitForResponse(
      (response) => new URL(response.url()).pathname === '/v1/usage/summary',
    );
    await page.goto(`${demo.billfold.url}${path}`);
    const response = await answered;
    expect(response.status()).toBe(200);
    return (await response.json()) as { metrics: Json[] };
  }

  /** A quantity as the page writes it, in the browser's own locale: 2 decimals, or 2 digits below 1. */
  const shown = (page: Page, quantity: string) =>
    page.evaluate(`(() => {
      const value = Number(${JSON.stringify(quantity)});
      const small = value !== 0 && Math.abs(value) < 1;
      return new Intl.NumberFormat(undefined, small ? { maximumSignificantDigits: 2 } : { maximumFractionDigits: 2 })
        .format(value);
    })()`) as Promise<string>;

  for (const [width, label] of [
    [1280, 'desktop'],
    [390, 'phone'],
  ] as const) {
    it(`shows this period's use against the limits on a ${label}`, async () => {
      const page = await signedIn(width);
      const summary = await openWithSummary(page, '/usage');
      await page.locator('.usage-meter').first().waitFor();
      // The demo organization has used something this period: real numbers, not zeros.
      const used = summary.metrics.filter((metric) => Number(metric.total) > 0);
      expect(used.length).toBeGreaterThan(0);
      const meters = (await page.locator('.usage-meters').textContent()) ?? '';
      for (const metric of summary.metrics) {
        expect(meters).toContain(metric.name);
        expect(meters).toContain(await shown(page, metric.total));
        if (metric.limit !== null) expect(meters).toContain(await shown(page, String(metric.limit)));
      }

      // The chart of the first metric with use, per day, then per hour: its figure is the API's.
      const charted = used[0];
      await page.getByLabel('Metric').selectOption(charted.code);
      await page.locator('.usage-chart canvas').first().waitFor();
      const hourly = page.waitForResponse((response) => {
        const url = new URL(response.url());
        return url.pathname === '/v1/usage' && url.searchParams.get('granularity') === 'hour';
      });
      await page.getByRole('button', { name: 'Hourly' }).click();
      const report = (await (await hourly).json()) as Json;
      expect(report.metric.code).toBe(charted.code);
      expect(Number(report.total)).toBeGreaterThan(0);
      await expect
        .poll(() => page.locator('.usage-chart-readout').textContent())
        .toContain(await shown(page, report.total));
      expect(await page.getByRole('button', { name: 'Hourly' }).getAttribute('aria-pressed')).toBe('true');
      await page.locator('.usage-chart canvas').first().waitFor();

      // A metric with dimensions is grouped by one: each group gets its colour in the legend.
      const groupBy = page.getByLabel('Group by');
      if (await groupBy.isVisible()) {
        const choices = await groupBy
          .locator('option')
          .evaluateAll((options) =>
            options.map((option) => (option as unknown as { value: string }).value).filter(Boolean),
          );
        await groupBy.selectOption(choices[0] ?? '');
        await page.getByRole('button', { name: 'Daily' }).click();
        await page.locator('.usage-chart-legend li').first().waitFor();
      }
      expect(await overflowPastEdge(page)).toBe(0);
      await page.waitForLoadState('networkidle');
      // From the top: a full-page shot of a scrolled page paints the sticky phone header mid-page.
      await page.evaluate('window.scrollTo(0, 0)');
      await screenshot(page, width === 1280 ? '70-usage-desktop' : '71-usage-phone');

      // The demo's usage began ten days before its plan: the period before holds some of it. The
      // page asks for that period's totals, shows each as the API answered, and charts its days.
      const totals = new Map<string, string>();
      const collect = (response: { url(): string; json(): Promise<Json> }) => {
        const url = new URL(response.url());
        if (url.pathname === '/v1/usage' && url.searchParams.get('granularity') === 'day')
          void response.json().then((body: Json) => totals.set(body.metric.code, body.total));
      };
      page.on('response', collect);
      await page.getByLabel('Period').selectOption('1');
      await expect
        .poll(() => page.getByRole('heading', { name: 'This period', exact: true }).count())
        .toBe(0);
      await expect.poll(() => totals.size).toBe(summary.metrics.length);
      page.off('response', collect);
      expect([...totals.values()].filter((total) => Number(total) > 0).length).toBeGreaterThan(0);
      await expect
        .poll(() => page.locator('.usage-meters .usage-meter').count())
        .toBe(summary.metrics.length);
      const earlier = (await page.locator('.usage-meters').textContent()) ?? '';
      for (const [, total] of totals) expect(earlier).toContain(await shown(page, total));
      await page.locator('.usage-chart canvas').first().waitFor();
      expect(await page.getByRole('alert').count()).toBe(0);
      expect(await overflowPastEdge(page)).toBe(0);
    });

    it(`shows usage against limits on the billing overview on a ${label}`, async () => {
      const page = await signedIn(width);
      const summary = await openWithSummary(page, '/billing');
      await page.locator('.usage-limits .usage-meter').first().waitFor();
      const limited = summary.metrics.filter((metric) => metric.limit !== null && metric.feature !== null);
      expect(limited.length).toBeGreaterThan(0);
      const block = (await page.locator('.usage-limits').textContent()) ?? '';
      for (const metric of limited) {
        expect(block).toContain(metric.name);
        expect(block).toContain(await shown(page, metric.total));
      }
      // A bar per metered limit, its value the API's total (a meter stops at its maximum).
      const bars = page.locator('.usage-limits meter');
      expect(await bars.count()).toBe(limited.length);
      await page.waitForLoadState('networkidle');
      await page.evaluate('window.scrollTo(0, 0)');
      await screenshot(page, width === 1280 ? '72-overview-usage' : '73-overview-usage-phone');
      expect(await overflowPastEdge(page)).toBe(0);
    });
  }

  it('tells a limit crossed as a webhook within 2 s and as banners on the billing overview', async () => {
    const db = demo.billfold.database.db;
    const acme = await db
      .selectFrom('organizations')
      .select('id')
      .where('name', '=', 'Acme Cloud')
      .executeTakeFirstOrThrow();
    // The platform's ingest key, made by the demo's operator as POST /v1/platform/ingest_keys would.
    const operator = await db
      .selectFrom('users')
      .select('id')
      .where('email', '=', 'operator@example.com')
      .executeTakeFirstOrThrow();
    const ctx = {
      db,
      clock: systemClock,
      log: silentLogger,
      actor: { type: 'user' as const, id: operator.id },
      requestId: 'req_e2e',
    };
    const { secret } = await createApiKey(platformContext(ctx), { name: 'Backend', mode: 'ingest' });
    const reached = () =>
      db
        .selectFrom('events')
        .select(['type', 'data'])
        .where('org_id', '=', acme.id)
        .where('type', '=', 'usage.threshold_reached')
        .execute();
    const before = (await reached()).length;
    // Storage to 85 GB of Team's 100 (orange); 100 more computations pass its 100 (red).
    const now = Date.now();
    const events = [
      { event_id: `e2e_storage_${now}`, customer: acme.id, code: 'storage_gb', properties: { gb: 85 } },
      ...Array.from({ length: 100 }, (_, i) => ({
        event_id: `e2e_computation_${now}_${i}`,
        customer: acme.id,
        code: 'computations',
      })),
    ];
    const sentAt = performance.now();
    const sent = await fetch(`${demo.billfold.url}/v1/events/batch`, {
      method: 'POST',
      headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
      body: JSON.stringify({ events }),
    });
    expect(sent.status).toBe(200);
    await expect
      .poll(async () => (await reached()).length, { timeout: 2_000, interval: 20 })
      .toBeGreaterThan(before);
    const latency = performance.now() - sentAt;
    expect(latency).toBeLessThan(2_000);
    await expect
      .poll(async () => (await reached()).map((e) => (e.data as Json).object.metric), { timeout: 2_000 })
      .toContain('storage_gb');

    const page = await signedIn(1280);
    await page.goto(`${demo.billfold.url}/billing`);
    const red = page.locator('.alert-error', { hasText: 'Limit reached: Computations' });
    const orange = page.locator('.alert-warning', { hasText: '80% of the limit or more used: Storage' });
    await red.waitFor();
    await orange.waitFor();
    expect(await red.getByRole('link', { name: 'See usage' }).getAttribute('href')).toBe('/usage');
    await page.waitForLoadState('networkidle');
    await screenshot(page, '74-overview-usage-alerts');
    // The Usage page shows the same two.
    await page.goto(`${demo.billfold.url}/usage`);
    await page.locator('.alert-error', { hasText: 'Limit reached: Computations' }).waitFor();
    await page.locator('.alert-warning', { hasText: '80% of the limit or more used: Storage' }).waitFor();
  });

  it('tells an organization without a plan how usage starts', async () => {
    const page = await signedIn(1280);
    await page.goto(`${demo.billfold.url}/usage`);
    await page.locator('.usage-meter').first().waitFor();
    // Acme's client has no subscription: no period, so nothing is counted yet.
    await page.getByLabel('Organization').selectOption({ label: '↳ Globex (client of Acme)' });
    await expect.poll(() => page.getByRole('heading', { name: 'No plan yet' }).count()).toBe(1);
    expect(await page.getByRole('link', { name: 'Choose a plan' }).getAttribute('href')).toBe(
      '/billing/plans',
    );
  });
});
