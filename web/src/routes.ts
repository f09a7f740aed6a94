import { ApiKeysPage } from './api-keys/ApiKeysPage';
import { AuditLogPage } from './audit/AuditLogPage';
import { SignInPage } from './auth/SignInPage';
import { SignUpPage } from './auth/SignUpPage';
import { BillingPage } from './billing/BillingPage';
import { ModifyPlanPage } from './billing/ModifyPlanPage';
import { PlanDetailPage } from './billing/PlanDetailPage';
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
  {
    path: '/billing',
    page: BillingPage,
    title: 'Billing',
    needs: 'readBilling',
    nav: { section: 'member', icon: CardIcon, summary: 'Plans, invoices and payment methods' },
  },
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
