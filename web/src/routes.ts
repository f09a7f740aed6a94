import type { ComponentType } from 'react';
import { ApiKeysPage } from './api-keys/ApiKeysPage';
import { AuditLogPage } from './audit/AuditLogPage';
import { SignInPage } from './auth/SignInPage';
import { SignUpPage } from './auth/SignUpPage';
import { BillingLayout, type BillingSectionPath, billingSections } from './billing/BillingLayout';
import { BillingPage } from './billing/BillingPage';
import { BillingInvoicesPage } from './billing/Invoices';
import { ModifyPlanPage } from './billing/ModifyPlanPage';
import { BillingPaymentLinksPage } from './billing/PaymentLinks';
import { BillingPaymentMethodsPage } from './billing/PaymentMethods';
import { PlanDetailPage } from './billing/PlanDetailPage';
import { BillingPlansPage } from './billing/Plans';
import { BillingStatementsPage } from './billing/Statements';
import { MetricsPage } from './catalog/MetricsPage';
import { PlanEditorPage } from './catalog/PlanEditorPage';
import { PlansPage } from './catalog/PlansPage';
import { CustomerDetailPage } from './customers/CustomerDetailPage';
import { CustomersPage } from './customers/CustomersPage';
import { InvitePage } from './invite/InvitePage';
import { MembersPage } from './members/MembersPage';
import { OverviewPage } from './organizations/OverviewPage';
import { SettingsPage } from './organizations/SettingsPage';
import { NotFoundPage } from './shell/NotFoundPage';
import type { PageRoute } from './shell/nav';
import {
  BuildingIcon,
  CardIcon,
  ChartIcon,
  HomeIcon,
  KeyIcon,
  LayersIcon,
  ScrollIcon,
  SendIcon,
  SettingsIcon,
  UsersIcon,
} from './ui';
import { UsagePage } from './usage/UsagePage';
import { WebhooksPage } from './webhooks/WebhooksPage';

/**
 * A section of the Billing area (billing/BillingLayout.tsx lists them): named as its tab is, the
 * Overview as the area, open to those who read billing, and drawn in the area's one frame, which
 * stays mounted from tab to tab.
 */
function billingSection(path: BillingSectionPath, page: ComponentType, nav?: PageRoute['nav']): PageRoute {
  const label = billingSections.find((section) => section.path === path)?.label;
  const title = path === '/billing' || !label ? 'Billing' : label;
  return { path, page, title, needs: 'readBilling', layout: BillingLayout, ...(nav ? { nav } : {}) };
}

/**
 * Every page, once: the router is built from this table, the shell's navigation and the Overview's
 * quick links are its entries with `nav` (in this order), and a page with `needs` is shown only to
 * the roles that have it (shell/RequirePermission.tsx).
 */
export const routes: readonly PageRoute[] = [
  { path: '/sign-in', page: SignInPage, title: 'Sign in', public: true },
  { path: '/sign-up', page: SignUpPage, title: 'Create your account', public: true },
  // The address marketing sites' plans links use (`/signup?plan=team`).
  { path: '/signup', page: SignUpPage, title: 'Create your account', public: true },
  { path: '/invite/:token', page: InvitePage, title: 'Invitation', public: true },

  { path: '/', page: OverviewPage, title: 'Overview', nav: { section: 'member', icon: HomeIcon } },
  {
    path: '/members',
    page: MembersPage,
    title: 'Members',
    nav: { section: 'member', icon: UsersIcon, summary: 'Invite people and choose their roles' },
  },
  {
    path: '/api-keys',
    page: ApiKeysPage,
    title: 'API keys',
    needs: 'readApiKeys',
    nav: { section: 'member', icon: KeyIcon, summary: 'Keys for your servers and integrations' },
  },
  {
    path: '/webhooks',
    page: WebhooksPage,
    title: 'Webhooks',
    needs: 'readApiKeys',
    nav: { section: 'member', icon: SendIcon },
  },
  {
    path: '/audit-log',
    page: AuditLogPage,
    title: 'Audit log',
    needs: 'readAuditLog',
    nav: { section: 'member', icon: ScrollIcon, summary: 'Who changed what, and when' },
  },
  billingSection('/billing', BillingPage, {
    section: 'member',
    icon: CardIcon,
    summary: 'Plans, invoices and payment methods',
  }),
  billingSection('/billing/plans', BillingPlansPage),
  billingSection('/billing/payment-methods', BillingPaymentMethodsPage),
  billingSection('/billing/invoices', BillingInvoicesPage),
  billingSection('/billing/statements', BillingStatementsPage),
  billingSection('/billing/payment-links', BillingPaymentLinksPage),
  { path: '/billing/modify', page: ModifyPlanPage, title: 'Modify plan', needs: 'readBilling' },
  { path: '/billing/plans/:planId', page: PlanDetailPage, title: 'Plan', needs: 'readBilling' },
  {
    path: '/usage',
    page: UsagePage,
    title: 'Usage',
    needs: 'readBilling',
    nav: { section: 'member', icon: ChartIcon, summary: 'Metered usage of your services' },
  },
  {
    path: '/settings',
    page: SettingsPage,
    title: 'Settings',
    nav: { section: 'member', icon: SettingsIcon, summary: 'Name and billing address' },
  },

  {
    path: '/operator/plans',
    page: PlansPage,
    title: 'Plans',
    needs: 'operate',
    nav: { section: 'operator', icon: LayersIcon },
  },
  { path: '/operator/plans/new', page: PlanEditorPage, title: 'New plan', needs: 'operate' },
  { path: '/operator/plans/:planId', page: PlanEditorPage, title: 'Plan', needs: 'operate' },
  {
    path: '/operator/metrics',
    page: MetricsPage,
    title: 'Metrics and features',
    needs: 'operate',
    nav: { section: 'operator', icon: ChartIcon, label: 'Metrics' },
  },
  {
    path: '/operator/customers',
    page: CustomersPage,
    title: 'Customers',
    needs: 'operate',
    nav: { section: 'operator', icon: BuildingIcon },
  },
  { path: '/operator/customers/:orgId', page: CustomerDetailPage, title: 'Customer', needs: 'operate' },

  { path: '*', page: NotFoundPage, title: 'Page not found' },
];
