import { describe, expect, it } from 'vitest';
import type { MyOrganization, Role } from '../api/client';
import { permissionsFor } from '../api/permissions';
import { BillingLayout, billingSections } from '../billing/BillingLayout';
import { routes } from '../routes';
import { navigationFor } from './nav';

const memberOf = (role: Role | null) => ({ role }) as MyOrganization;
const labels = (role: Role | null, isOperator = false) => {
  const navigation = navigationFor(routes, permissionsFor(memberOf(role), isOperator));
  return { member: navigation.member.map((e) => e.label), operator: navigation.operator.map((e) => e.label) };
};

describe('the route table', () => {
  it('declares each address once', () => {
    const paths = routes.map((route) => route.path);
    expect(new Set(paths).size).toBe(paths.length);
  });

  it('leads each role to the pages it may open, in the navigation’s order', () => {
    const everyone = ['Overview', 'Members', 'Settings'];
    expect(labels('member')).toEqual({ member: everyone, operator: [] });
    expect(labels('admin')).toEqual({
      member: ['Overview', 'Members', 'Billing', 'Usage', 'Settings'],
      operator: [],
    });
    const managers = [
      'Overview',
      'Members',
      'API keys',
      'Webhooks',
      'Audit log',
      'Billing',
      'Usage',
      'Settings',
    ];
    expect(labels('owner')).toEqual({ member: managers, operator: [] });
    expect(labels('super_admin')).toEqual({ member: managers, operator: [] });
    // An operator looking at an organization it does not belong to.
    expect(labels(null, true)).toEqual({ member: managers, operator: ['Plans', 'Metrics', 'Customers'] });
  });

  it('guards every page of a section as the section is guarded, those out of the navigation too', () => {
    for (const route of routes) {
      if (route.path.startsWith('/operator/')) expect(route.needs, route.path).toBe('operate');
      if (route.path.startsWith('/billing')) expect(route.needs, route.path).toBe('readBilling');
    }
  });

  it('gives each section of Billing its own page, only the Overview in the navigation', () => {
    const billing = routes.filter((route) => billingSections.some((section) => section.path === route.path));
    expect(billing.map((route) => route.title)).toEqual([
      'Billing',
      'Plans',
      'Payment methods',
      'Invoices',
      'Statements',
      'Payment links',
    ]);
    expect(billing.filter((route) => route.nav).map((route) => route.path)).toEqual(['/billing']);
    // One frame for the six, kept mounted from tab to tab; the plan pages have their own.
    expect(billing.every((route) => route.layout === BillingLayout)).toBe(true);
    expect(routes.filter((route) => route.layout === BillingLayout)).toHaveLength(billingSections.length);
    // The plan pages under Plans' address are not taken by it.
    expect(routes.map((route) => route.path)).toEqual(
      expect.arrayContaining(['/billing/modify', '/billing/plans/:planId']),
    );
  });

  it('frames together only pages that need the same permission', () => {
    for (const route of routes.filter((r) => r.layout)) {
      const first = routes.find((r) => r.layout === route.layout);
      expect(route.needs, route.path).toBe(first?.needs);
      expect(route.public, route.path).toBeUndefined();
    }
  });

  it('puts the pages outside the signed-in shell in no navigation and behind no permission', () => {
    for (const route of routes.filter((r) => r.public)) {
      expect(route.nav).toBeUndefined();
      expect(route.needs).toBeUndefined();
    }
  });
});
