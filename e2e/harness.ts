import { existsSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { Temporal } from 'temporal-polyfill';
import type { OpenDatabase } from '../server/src/db/database.js';
import { type RunningBillfold, startBillfold } from '../server/src/server.js';

/**
 * Browser tests drive Debian's Chromium through playwright-core against a real Billfold: in-process,
 * on an in-memory PGlite, serving the built web UI. Under CI a missing Chromium fails the run; on a
 * laptop without it the tests say they were skipped.
 */

export const CHROMIUM = process.env.BILLFOLD_CHROMIUM ?? '/usr/bin/chromium';
export const chromiumAvailable = existsSync(CHROMIUM);
export const artifactsDir = resolve(import.meta.dirname, 'artifacts');

if (!chromiumAvailable) {
  if (process.env.CI)
    throw new Error(`Chromium is required under CI at ${CHROMIUM} (apt-get install chromium)`);
  console.warn(`\n  SKIPPED: browser tests (no Chromium at ${CHROMIUM}; apt-get install chromium)\n`);
}

/** `beforeListen`: adds data to the fresh database first, as `billfold start --demo` does. */
export async function startTestBillfold(
  options: { beforeListen?: (database: OpenDatabase) => Promise<unknown> } = {},
): Promise<RunningBillfold> {
  const webDist = resolve(import.meta.dirname, '../web/dist');
  if (!existsSync(resolve(webDist, 'index.html'))) throw new Error('Build the web UI first: npm run build');
  return startBillfold(
    {
      database: { kind: 'pglite' },
      host: '127.0.0.1',
      port: 0,
      publicUrl: 'http://127.0.0.1',
      webDist,
      trustProxy: false,
      gateways: [],
      stripe: undefined,
      cashfree: undefined,
    },
    {
      work: false,
      ...(options.beforeListen
        ? { beforeListen: async (database: OpenDatabase) => void (await options.beforeListen?.(database)) }
        : {}),
    },
  );
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
      '--no-first-run',
    ],
  });
}

/** Saves a full-page screenshot under e2e/artifacts for a person to look at. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(artifactsDir, { recursive: true });
  await page.screenshot({ path: resolve(artifactsDir, `${name}.png`), fullPage: true });
}

/**
 * 0 when nothing reaches past the screen's right edge; else by how much, and what starts it. The
 * check runs in the page, written as source: this package's types have no DOM.
 */
export const overflowPastEdge = (page: Page) =>
  page.evaluate(`(() => {
    const width = document.documentElement.clientWidth;
    const past = document.documentElement.scrollWidth - width;
    if (past <= 0) return 0;
    const beyond = (el) => !!el && el.getBoundingClientRect().right > width + 1;
    const culprits = [...document.querySelectorAll('body *')]
      .filter((el) => beyond(el) && !beyond(el.parentElement))
      .slice(0, 5)
      .map((el) => el.tagName.toLowerCase() + '.' + el.className + ' in .' + el.parentElement?.className);
    return past + 'px past the edge: ' + culprits.join('; ');
  })()`);

// biome-ignore lint/suspicious/noExplicitAny: tests read the API's JSON loosely and assert on it
export type Json = any;

/**
 * An API call from inside the page, with its session cookie and CSRF token, as the web UI makes it.
 * `org` names the organization acted on: an id, 'personal' for the person's own account, or none.
 */
export async function callApi(
  page: Page,
  method: string,
  url: string,
  body?: unknown,
  org?: string,
): Promise<{ status: number; body: Json }> {
  return page.evaluate(
    async ({ method, url, body, org }) => {
      const session = (await (await fetch('/v1/session')).json()) as {
        csrf_token: string;
        organizations: { id: string; kind: string }[];
      };
      const orgId = org === 'personal' ? session.organizations.find((o) => o.kind === 'personal')?.id : org;
      const response = await fetch(url, {
        method,
        headers: {
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          'x-csrf-token': session.csrf_token,
          ...(orgId ? { 'billfold-organization': orgId } : {}),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: response.status, body: await response.json() };
    },
    { method, url, body, org },
  );
}

/**
 * What the first invoice of a plan costs today, worked out independently of the server: calendar
 * months in the customer's zone, today billed, rounded half-up (docs/billing-rules.md). The browser
 * tests run on the real clock, so the amount depends on the day they run.
 */
export function firstPeriodAmount(baseMinor: number, timeZone: string): string {
  const today = Temporal.Now.plainDateISO(timeZone);
  const days = today.daysInMonth;
  const remaining = days - today.day + 1;
  const cents = Math.floor((baseMinor * remaining * 2 + days) / (2 * days));
  return `$${(cents / 100).toFixed(2)}`;
}
