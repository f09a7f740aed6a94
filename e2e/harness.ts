import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import type { AxeResults, ImpactValue } from 'axe-core';
import { type Browser, chromium, type Page } from 'playwright-core';
import { Temporal } from 'temporal-polyfill';
import { afterAll, beforeAll, expect } from 'vitest';
import { grantOperator } from '../server/src/access/index.js';
import { DEMO_PASSWORD, seedDemo } from '../server/src/cli/demo.js';
import { silentLogger } from '../server/src/context.js';
import type { OpenDatabase } from '../server/src/db/database.js';
import { type RunningBillfold, startBillfold } from '../server/src/server.js';
import { systemClock } from '../server/src/time/index.js';

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

/** A Billfold and a Chromium shared by one describe block's tests. */
export interface BillfoldInBrowser {
  readonly billfold: RunningBillfold;
  readonly browser: Browser;
}

/**
 * Starts a Billfold (with the demo's data when `demo`) and a Chromium before the describe block's
 * tests, and closes both after them. Read `billfold` and `browser` inside tests and hooks: they are
 * set once started.
 */
export function billfoldInBrowser({ demo = false } = {}): BillfoldInBrowser {
  const running = {} as { billfold: RunningBillfold; browser: Browser };
  beforeAll(async () => {
    running.billfold = await startTestBillfold(
      demo ? { beforeListen: (database) => seedDemo(database.db, systemClock) } : {},
    );
    running.browser = await launchBrowser();
  });
  afterAll(async () => {
    await running.browser?.close();
    await running.billfold?.close();
  });
  return running;
}

/** A new page of this width, signed in as one of the demo's people (all share the demo password). */
export async function signedInDemoPage(
  { billfold, browser }: BillfoldInBrowser,
  email: string,
  width: number,
): Promise<Page> {
  const page = await (await browser.newContext({ viewport: { width, height: 900 } })).newPage();
  await page.goto(`${billfold.url}/sign-in`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(DEMO_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => !url.pathname.startsWith('/sign-in'));
  return page;
}

/**
 * Signs a new person up on this page, billed in the US (94107) as the form asks, and waits for their
 * personal account's Overview.
 */
export async function signUpPerson(
  page: Page,
  billfold: RunningBillfold,
  person: { name: string; email: string; password: string },
): Promise<Page> {
  await page.goto(`${billfold.url}/sign-up`);
  await page.getByLabel('Full name').fill(person.name);
  await page.getByLabel('Email').fill(person.email);
  await page.getByLabel('Password').fill(person.password);
  await page.getByLabel('Country').selectOption('US');
  await page.getByLabel('Postal / ZIP code').fill('94107');
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('heading', { level: 1, name: /Personal/ }).waitFor();
  return page;
}

/** What `billfold operator <email>` does: the person becomes a platform operator. */
export async function makeOperator(billfold: RunningBillfold, email: string): Promise<void> {
  await billfold.database.db.transaction().execute((tx) =>
    grantOperator(
      {
        db: tx,
        clock: systemClock,
        log: silentLogger,
        actor: { type: 'system', id: 'e2e' },
        requestId: 'req_e2e',
      },
      email,
    ),
  );
}

/**
 * Saves a screenshot under e2e/artifacts for a person to look at: the full page, or (`fullPage:
 * false`) what the screen shows, for a dialog, which stays on screen while the page scrolls under it.
 */
export async function screenshot(page: Page, name: string, { fullPage = true } = {}): Promise<void> {
  mkdirSync(artifactsDir, { recursive: true });
  await page.screenshot({ path: resolve(artifactsDir, `${name}.png`), fullPage });
}

/** Opens a section of the Billing area from its tabs, and waits until its tab is marked the current one. */
export async function openBillingSection(page: Page, name: string): Promise<void> {
  const tab = page
    .getByRole('navigation', { name: 'Billing sections' })
    .getByRole('link', { name, exact: true });
  await tab.click();
  await expect.poll(() => tab.getAttribute('aria-current')).toBe('page');
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

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** The violations of one page by impact, counted in offending elements, with the rules that found them. */
export type AccessibilitySummary = Record<NonNullable<ImpactValue>, number> & { rules: string[] };

/**
 * Runs axe-core (every WCAG 2.x A/AA rule and its best practices) on the page as it is now, and fails
 * the test, without stopping it, on any serious or critical violation: each is printed with its rule,
 * impact, help and the selectors of the elements at fault. The source is evaluated rather than added
 * as a script tag, which the strict Content-Security-Policy of the pages the server renders (an
 * invoice, a pay page) would refuse.
 */
export async function auditAccessibility(page: Page, name: string): Promise<AccessibilitySummary> {
  const results = (await page.evaluate(
    `(async () => {
      if (!window.axe) { ${axeSource}\n }
      return axe.run(document, { resultTypes: ['violations'] });
    })()`,
  )) as AxeResults;
  const summary: AccessibilitySummary = { critical: 0, serious: 0, moderate: 0, minor: 0, rules: [] };
  const blocking: string[] = [];
  for (const violation of results.violations) {
    const impact = violation.impact ?? 'minor';
    summary[impact] += violation.nodes.length;
    summary.rules.push(`${violation.id} (${impact}, ${violation.nodes.length})`);
    if (impact === 'serious' || impact === 'critical') {
      const where = violation.nodes.map((node) => node.target.join(' ')).join(' | ');
      blocking.push(`${violation.id} (${impact}): ${violation.help} at ${where}`);
    }
  }
  expect.soft(blocking, `serious or critical accessibility violations on ${name}`).toEqual([]);
  return summary;
}

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
