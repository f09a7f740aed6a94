import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import {
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
 * A table's sorting and filter, on the demo's Members page (Dana the owner, Avery an admin, Morgan a
 * member): on a desktop by its column headers, on a phone, where rows are cards, by its "Sort by";
 * and its pages, on the pending invitations, ten at a time.
 */
describe.skipIf(!chromiumAvailable)('sorting and filtering a table in Chromium', () => {
  const demo = billfoldInBrowser({ demo: true });

  async function membersPage(width: number): Promise<Page> {
    const page = await signedInDemoPage(demo, 'demo@example.com', width);
    await page.goto(`${demo.billfold.url}/members`);
    await expect.poll(() => names(page)).toHaveLength(3);
    return page;
  }

  const table = (page: Page) => page.getByRole('table', { name: 'Members', exact: true });
  /** The members' names as the table lists them (the name cell's first text, without "(you)"). */
  const names = (page: Page) =>
    table(page)
      .getByRole('row')
      .locator('td:first-child .cell-primary')
      .evaluateAll((cells) => cells.map((cell) => cell.firstChild?.textContent ?? ''));

  it('sorts by a header on a desktop, and the filter narrows the rows', async () => {
    const page = await membersPage(1280);
    const nameHeader = table(page).getByRole('columnheader', { name: 'Name' });
    expect(await nameHeader.getAttribute('aria-sort')).toBeNull();

    await nameHeader.getByRole('button').click();
    await expect.poll(() => names(page)).toEqual(['Avery Admin', 'Dana Demo', 'Morgan Member']);
    expect(await nameHeader.getAttribute('aria-sort')).toBe('ascending');

    // By keyboard: the header's button takes Enter.
    await nameHeader.getByRole('button').focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => names(page)).toEqual(['Morgan Member', 'Dana Demo', 'Avery Admin']);
    expect(await nameHeader.getAttribute('aria-sort')).toBe('descending');

    // Role sorts by power, not by the alphabet: the owner last when ascending.
    await table(page).getByRole('columnheader', { name: 'Role' }).getByRole('button').click();
    await expect.poll(() => names(page)).toEqual(['Morgan Member', 'Avery Admin', 'Dana Demo']);
    expect(await nameHeader.getAttribute('aria-sort')).toBeNull();

    await page.getByLabel('Filter members').fill('owner');
    await expect.poll(() => names(page)).toEqual(['Dana Demo']);
    await expect
      .poll(() => page.getByRole('status').filter({ hasText: 'match' }).textContent())
      .toBe('1 of 3 match');
    await page.getByLabel('Filter members').fill('nobody');
    await expect.poll(() => table(page).textContent()).toContain('No members match “nobody”.');
    await page.getByLabel('Filter members').fill('mem');
    await expect.poll(() => names(page)).toEqual(['Morgan Member']);
    await screenshot(page, '70-desktop-members-sorted-filtered');
    expect((await auditAccessibility(page, 'members-filtered-desktop')).serious).toBe(0);
  });

  it('pages the pending invitations ten at a time, the filter counting from the first page', async () => {
    const page = await membersPage(1280);
    const acme = (await callApi(page, 'GET', '/v1/session')).body.organizations.find(
      (o: Json) => o.name === 'Acme Cloud',
    );
    for (let i = 1; i <= 12; i++) {
      const email = `guest${String(i).padStart(2, '0')}@example.com`;
      const role = i % 3 === 0 ? 'admin' : 'member';
      expect((await callApi(page, 'POST', '/v1/invitations', { email, role }, acme.id)).status).toBe(201);
    }
    await page.reload();
    const invitations = page.getByRole('table', { name: 'Pending invitations' });
    const pager = page.getByRole('navigation', { name: 'Pending invitations pages' });
    const emails = () =>
      invitations.locator('tbody td:first-child').evaluateAll((cells) => cells.map((c) => c.textContent));
    await expect.poll(() => pager.textContent()).toContain('1–10 of 12');
    await invitations.getByRole('columnheader', { name: 'Email' }).getByRole('button').click();
    await expect.poll(emails).toHaveLength(10);
    expect((await emails())[0]).toBe('guest01@example.com');
    expect(await pager.getByRole('button', { name: 'Previous' }).isDisabled()).toBe(true);

    await pager.getByRole('button', { name: 'Next' }).click();
    await expect.poll(emails).toEqual(['guest11@example.com', 'guest12@example.com']);
    expect(await pager.textContent()).toContain('11–12 of 12');
    expect(await pager.getByRole('button', { name: 'Next' }).isDisabled()).toBe(true);
    await screenshot(page, '72-desktop-invitations-page-two');

    // A filter starts again at the first page: four of the twelve were invited as admins.
    await page.getByLabel('Filter pending invitations').fill('admin');
    await expect
      .poll(emails)
      .toEqual(['guest03@example.com', 'guest06@example.com', 'guest09@example.com', 'guest12@example.com']);
    expect(await pager.count()).toBe(0);
    expect((await auditAccessibility(page, 'invitations-paged-desktop')).serious).toBe(0);
  });

  it('sorts by "Sort by" on a phone, where the rows are cards', async () => {
    const page = await membersPage(390);
    const sortBy = page.getByLabel('Sort by members', { exact: true });
    await sortBy.selectOption({ label: 'Name, descending' });
    await expect.poll(() => names(page)).toEqual(['Morgan Member', 'Dana Demo', 'Avery Admin']);
    expect(await table(page).getByRole('columnheader', { name: 'Name' }).getAttribute('aria-sort')).toBe(
      'descending',
    );
    // The hidden header row keeps no buttons to tab to.
    expect(await table(page).locator('thead button').count()).toBe(0);
    await page.getByLabel('Filter members').fill('a');
    await screenshot(page, '71-phone-members-sorted');
    expect(await overflowPastEdge(page)).toBe(0);
    await sortBy.selectOption({ label: 'As listed' });
    await page.getByLabel('Filter members').fill('');
    await expect.poll(() => names(page)).toHaveLength(3);
  });
});
