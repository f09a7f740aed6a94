import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD, seedDemo } from '../server/src/cli/demo.js';
import type { RunningBillfold } from '../server/src/server.js';
import { systemClock } from '../server/src/time/index.js';
import { chromiumAvailable, launchBrowser, screenshot, startTestBillfold } from './harness.js';

/**
 * Accounts and access through the web UI, as people use it: sign up, create an organization, invite
 * a member who joins from the link, change their role, create and revoke an API key, read and filter
 * the audit log. Screenshots of every page land in e2e/artifacts.
 */
describe.skipIf(!chromiumAvailable)('accounts and access in Chromium', () => {
  let billfold: RunningBillfold;
  let browser: Browser;
  let owner: Page;
  let inviteUrl = '';
  let secret = '';
  const run = Math.random().toString(36).slice(2, 8);
  const ownerEmail = `owner.${run}@example.com`;
  const memberEmail = `member.${run}@example.com`;
  const password = 'correct horse battery';

  beforeAll(async () => {
    billfold = await startTestBillfold();
    browser = await launchBrowser();
    owner = await (await browser.newContext({ viewport: { width: 1280, height: 860 } })).newPage();
  });
  afterAll(async () => {
    await browser?.close();
    await billfold?.close();
  });

  async function signUp(page: Page, email: string, name: string) {
    await page.getByLabel('Full name').fill(name);
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByLabel('Country').selectOption('US');
    await page.getByLabel('Postal / ZIP code').fill('94107');
    await page.getByRole('button', { name: 'Create account' }).click();
  }

  const nav = (page: Page) => page.getByRole('navigation', { name: 'Main' });

  it('signs up and creates an organization', async () => {
    await owner.goto(`${billfold.url}/sign-up`);
    await screenshot(owner, '01-sign-up');
    await signUp(owner, ownerEmail, 'Olga Owner');
    await expect.poll(() => owner.getByRole('heading', { level: 1 }).textContent()).toContain('Personal');

    await owner.getByRole('button', { name: 'New organization' }).click();
    const dialog = owner.getByRole('dialog');
    await dialog.getByLabel('Organization name').fill('Acme Cloud');
    await dialog.getByLabel('Country').selectOption('US');
    await dialog.getByLabel('Postal / ZIP code').fill('10001');
    await screenshot(owner, '02-create-organization');
    await dialog.getByRole('button', { name: 'Create organization' }).click();
    await expect.poll(() => owner.getByRole('heading', { level: 1 }).textContent()).toContain('Acme Cloud');
    await screenshot(owner, '03-overview');
  });

  it('invites a member, who joins from the link', async () => {
    await nav(owner).getByRole('link', { name: 'Members' }).click();
    await owner.getByLabel('Email').fill(memberEmail);
    await owner.getByRole('button', { name: 'Invite', exact: true }).click();
    const link = owner.getByLabel('Invite link', { exact: true });
    await expect.poll(() => link.textContent()).toContain('/invite/');
    inviteUrl = (await link.textContent()) ?? '';
    await screenshot(owner, '04-members-invited');

    const member = await (await browser.newContext({ viewport: { width: 1280, height: 860 } })).newPage();
    await member.goto(inviteUrl);
    await expect.poll(() => member.getByText('Acme Cloud').count()).toBeGreaterThan(0);
    await screenshot(member, '05-invite-signed-out');
    await member
      .getByRole('link', { name: /create an account|sign up/i })
      .first()
      .click();
    await signUp(member, memberEmail, 'Mia Member');
    await member.waitForURL(/\/invite\//);
    await member.getByRole('button', { name: 'Accept invitation' }).click();
    await expect.poll(() => member.getByRole('heading', { level: 1 }).textContent()).toContain('Acme Cloud');
    // A member has no billing access, and the sidebar says so by not offering it.
    await expect.poll(() => nav(member).getByRole('link', { name: 'Members' }).count()).toBe(1);
    expect(await nav(member).getByRole('link', { name: 'Billing' }).count()).toBe(0);
    expect(await nav(member).getByRole('link', { name: 'API keys' }).count()).toBe(0);
    await screenshot(member, '06-member-overview');
    await member.context().close();
  });

  it("changes the member's role", async () => {
    await owner.reload();
    const roleSelect = owner.getByLabel('Role of Mia Member');
    await roleSelect.selectOption('admin');
    await expect.poll(() => roleSelect.inputValue()).toBe('admin');
    await owner.reload();
    await expect.poll(() => owner.getByLabel('Role of Mia Member').inputValue()).toBe('admin');
    await screenshot(owner, '07-members-role-changed');
  });

  it('creates an API key whose secret works once shown, and revokes it', async () => {
    await nav(owner).getByRole('link', { name: 'API keys' }).click();
    await owner.getByLabel('Key name').fill('Production server');
    await owner.getByLabel('Mode').selectOption('read_only');
    await owner.getByRole('button', { name: 'Create key' }).click();
    const shown = owner.getByLabel('API key secret', { exact: true });
    await expect.poll(() => shown.textContent()).toMatch(/^bfk_/);
    secret = (await shown.textContent()) ?? '';
    await screenshot(owner, '08-api-key-created');

    const withKey = () =>
      fetch(`${billfold.url}/v1/organization`, { headers: { authorization: `Bearer ${secret}` } });
    const read = await withKey();
    expect(read.status).toBe(200);
    expect(((await read.json()) as { name: string }).name).toBe('Acme Cloud');

    await owner.getByRole('button', { name: 'I have copied it' }).click();
    await owner.getByRole('button', { name: 'Revoke Production server' }).click();
    await screenshot(owner, '09-api-key-revoke-confirm');
    await owner.getByRole('dialog').getByRole('button', { name: 'Revoke key' }).click();
    await expect.poll(() => owner.getByRole('button', { name: 'Revoke Production server' }).count()).toBe(0);
    expect((await withKey()).status).toBe(401);
    await screenshot(owner, '10-api-keys-revoked');
  });

  it('reads the audit log and filters it by action', async () => {
    await nav(owner).getByRole('link', { name: 'Audit log' }).click();
    const table = owner.getByRole('table', { name: 'Audit events' });
    for (const action of ['member.joined', 'member.role_changed', 'api_key.created', 'api_key.revoked']) {
      await expect.poll(() => table.getByText(action, { exact: true }).count()).toBeGreaterThan(0);
    }
    // Each event reads as a sentence; what it recorded is one click away.
    const revoked = table.getByRole('row').filter({ hasText: 'revoked the API key “Production server”' });
    await expect.poll(() => revoked.count()).toBe(1);
    await revoked.getByText('Show JSON').click();
    await expect.poll(() => revoked.getByText('"revoked":true').count()).toBe(1);
    await screenshot(owner, '11-audit-log');

    await owner.getByLabel('Action prefix').fill('api_key.');
    await owner.getByRole('button', { name: 'Apply filters' }).click();
    await expect.poll(() => table.getByText('member.joined', { exact: true }).count()).toBe(0);
    // The filtered page may still be loading when the old rows are gone: wait for it.
    await expect.poll(() => table.getByText('api_key.created', { exact: true }).count()).toBe(1);
    await expect.poll(() => table.getByText('api_key.revoked', { exact: true }).count()).toBe(1);
    await screenshot(owner, '12-audit-log-filtered');
  });

  async function signIn(page: Page, withPassword: string) {
    await page.goto(`${billfold.url}/sign-in`);
    await page.getByLabel('Email').fill(ownerEmail);
    await page.getByLabel('Password').fill(withPassword);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  it('lands a person who signs in on a new browser in their team organization, not the empty personal one', async () => {
    const laptop = await (await browser.newContext({ viewport: { width: 1280, height: 860 } })).newPage();
    await signIn(laptop, password);
    await expect.poll(() => laptop.getByRole('heading', { level: 1 }).textContent()).toContain('Acme Cloud');
    await laptop.context().close();
  });

  it('changes the password on the Settings page: other sessions end, this one stays', async () => {
    // Signed in elsewhere twice: the browser of the test before and this one.
    const laptop = await (await browser.newContext({ viewport: { width: 1280, height: 860 } })).newPage();
    await signIn(laptop, password);
    await expect.poll(() => laptop.getByRole('heading', { level: 1 }).textContent()).toContain('Acme Cloud');

    await owner.getByRole('button', { name: /^Account menu for/ }).click();
    await owner.getByRole('menuitem', { name: 'Password and sessions' }).click();
    await owner.waitForURL(/\/settings#account$/);
    const form = owner.getByRole('form', { name: 'Change password' });
    await form.getByLabel('Current password').fill('not my password');
    await form.getByLabel('New password', { exact: true }).fill('a brand new secret');
    await form.getByLabel('Repeat new password').fill('a brand new secret');
    await form.getByRole('button', { name: 'Change password' }).click();
    await expect.poll(() => form.getByText('The current password is wrong').count()).toBe(1);

    await form.getByLabel('Current password').fill(password);
    await form.getByRole('button', { name: 'Change password' }).click();
    await expect
      .poll(() => form.getByText(/^Password changed\. 2 other sessions were signed out\.$/).count())
      .toBe(1);
    await screenshot(owner, '13-password-changed');

    await laptop.reload();
    await laptop.waitForURL(/\/sign-in/);
    await laptop.context().close();
    await owner.reload();
    await expect.poll(() => owner.getByRole('heading', { level: 1 }).textContent()).toContain('Settings');
  });

  it('signs out everywhere from the Settings page', async () => {
    const laptop = await (await browser.newContext({ viewport: { width: 1280, height: 860 } })).newPage();
    await signIn(laptop, 'a brand new secret');
    await expect.poll(() => laptop.getByRole('heading', { level: 1 }).textContent()).toContain('Acme Cloud');

    await owner.getByRole('button', { name: 'Sign out everywhere' }).click();
    await screenshot(owner, '14-sign-out-everywhere-confirm');
    await owner.getByRole('dialog').getByRole('button', { name: 'Sign out everywhere' }).click();
    await owner.waitForURL(/\/sign-in/);
    await laptop.reload();
    await laptop.waitForURL(/\/sign-in/);
    await laptop.context().close();
  });
});

describe.skipIf(!chromiumAvailable)('the demo in Chromium', () => {
  let billfold: RunningBillfold;
  let browser: Browser;

  beforeAll(async () => {
    billfold = await startTestBillfold({
      beforeListen: ({ db }) => seedDemo(db, systemClock, 'http://127.0.0.1'),
    });
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await billfold?.close();
  });

  it('lands the demo owner in Acme Cloud, which holds the demo data, not in the empty Personal', async () => {
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 860 } })).newPage();
    await page.goto(`${billfold.url}/sign-in`);
    await page.getByLabel('Email').fill('demo@example.com');
    await page.getByLabel('Password').fill(DEMO_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toContain('Acme Cloud');
    await screenshot(page, 'demo-01-signed-in');
  });
});
