import type { paths } from '@billfold/sdk';
import {
  type InfiniteData,
  infiniteQueryOptions,
  keepPreviousData,
  QueryClient,
  type QueryKey,
  queryOptions,
} from '@tanstack/react-query';
import {
  type ApiError,
  api,
  type BillingCustomer,
  type Body,
  type Query,
  toApiError,
  unwrap,
} from './client';
import { allPages } from './pages';

/**
 * Every read of the web UI, as TanStack Query options. A key starts with the organization whose data
 * it is, and that organization is the one the request names (the Billfold-Organization header), so
 * an answer is never shown for another organization, and a write can refresh exactly what it changed
 * by the key's prefix: `[org, 'subscriptions']` covers the list and each subscription.
 */

declare module '@tanstack/react-query' {
  interface Register {
    // Every read and write goes through `unwrap`, which throws nothing else.
    defaultError: ApiError;
  }
}

export function createQueryClient() {
  return new QueryClient({
    defaultOptions: {
      queries: {
        // What the API refused (a 404, a missing permission) stays refused; only an unreachable server
        // is asked again.
        retry: (failures, error) => toApiError(error).status === 0 && failures < 2,
      },
    },
  });
}

/** Names the organization a read is of: the first part of its key. */
const inOrg = (org: string) => ({ header: { 'billfold-organization': org } });

/** One page of a list read with a cursor, as the API pages them (`starting_after` the last id). */
interface CursorPage {
  data: { id: string }[];
  has_more: boolean;
}
const cursorPages = {
  initialPageParam: undefined as string | undefined,
  getNextPageParam: (last: CursorPage) => (last.has_more ? last.data.at(-1)?.id : undefined),
};
/** The rows of every page loaded so far, in order. */
export const rowsOf = <T>(pages: InfiniteData<{ data: T[] }> | undefined): T[] =>
  pages?.pages.flatMap((page) => page.data) ?? [];

/** A list's filters: its query without the paging, which the list's pages add. */
type Filters<P extends keyof paths> = Omit<Query<P>, 'limit' | 'starting_after'>;
export type AuditQuery = Filters<'/v1/audit_events'>;
export type OperatorPlanQuery = Filters<'/v1/operator/plans'>;
type OperatorCustomerQuery = Filters<'/v1/operator/customers'>;
type UsageQuery = Query<'/v1/usage'>;

const PAGE_SIZE = 25;
/** A page's query: the page size, after the cursor if it is not the first. */
const pageQuery = (after: string | undefined) => ({
  limit: PAGE_SIZE,
  ...(after ? { starting_after: after } : {}),
});

/** How many of an endpoint's deliveries the delivery log reads: the latest, not all of them. */
export const WEBHOOK_DELIVERIES_SHOWN = 100;

export const queries = {
  /** An invite link's preview, read before signing in: no organization's data. */
  invitationPreview: (token: string) =>
    queryOptions({
      queryKey: ['invitation_previews', token],
      queryFn: () => unwrap(api.GET('/v1/invitation_previews/{token}', { params: { path: { token } } })),
    }),

  organization: (org: string) =>
    queryOptions({
      queryKey: [org, 'organization'],
      queryFn: () => unwrap(api.GET('/v1/organization', { params: inOrg(org) })),
    }),
  members: (org: string) =>
    queryOptions({
      queryKey: [org, 'members'],
      queryFn: () =>
        allPages(
          (query) => api.GET('/v1/members', { params: { ...inOrg(org), query } }),
          (m) => m.user_id,
        ),
    }),
  invitations: (org: string) =>
    queryOptions({
      queryKey: [org, 'invitations'],
      queryFn: () => allPages((query) => api.GET('/v1/invitations', { params: { ...inOrg(org), query } })),
    }),
  apiKeys: (org: string) =>
    queryOptions({
      queryKey: [org, 'api_keys'],
      queryFn: () => allPages((query) => api.GET('/v1/api_keys', { params: { ...inOrg(org), query } })),
    }),
  webhookEndpoints: (org: string) =>
    queryOptions({
      queryKey: [org, 'webhook_endpoints'],
      queryFn: () =>
        allPages((query) => api.GET('/v1/webhook_endpoints', { params: { ...inOrg(org), query } })),
    }),
  webhookDeliveries: (org: string, endpointId: string) =>
    queryOptions({
      queryKey: [org, 'webhook_endpoints', endpointId, 'deliveries'],
      queryFn: () =>
        unwrap(
          api.GET('/v1/webhook_endpoints/{webhook_endpoint_id}/deliveries', {
            // The latest ones only: a log to glance at, not to page through.
            params: {
              ...inOrg(org),
              path: { webhook_endpoint_id: endpointId },
              query: { limit: WEBHOOK_DELIVERIES_SHOWN },
            },
          }),
        ),
    }),
  auditEvents: (org: string, filters: AuditQuery) =>
    infiniteQueryOptions({
      queryKey: [org, 'audit_events', filters],
      queryFn: ({ pageParam }) =>
        unwrap(
          api.GET('/v1/audit_events', {
            params: {
              ...inOrg(org),
              query: { ...filters, ...pageQuery(pageParam) },
            },
          }),
        ),
      ...cursorPages,
    }),

  /** The billing customer, or null while the organization has none (the API answers 404). */
  billingCustomer: (org: string) =>
    queryOptions({
      queryKey: [org, 'billing_customer'],
      queryFn: async (): Promise<BillingCustomer | null> => {
        try {
          return await unwrap(api.GET('/v1/billing_customer', { params: inOrg(org) }));
        } catch (error) {
          if (toApiError(error).code === 'billing_customer.not_found') return null;
          throw error;
        }
      },
    }),
  subscriptions: (org: string) =>
    queryOptions({
      queryKey: [org, 'subscriptions'],
      queryFn: () => allPages((query) => api.GET('/v1/subscriptions', { params: { ...inOrg(org), query } })),
    }),
  subscription: (org: string, subscriptionId: string) =>
    queryOptions({
      queryKey: [org, 'subscriptions', subscriptionId],
      queryFn: () =>
        unwrap(
          api.GET('/v1/subscriptions/{subscription_id}', {
            params: { ...inOrg(org), path: { subscription_id: subscriptionId } },
          }),
        ),
    }),
  /** What moving a subscription to a plan would cost now, from the computation the change makes. */
  planChangePreview: (org: string, subscriptionId: string, planId: string) =>
    queryOptions({
      queryKey: [org, 'subscriptions', subscriptionId, 'preview_change', planId],
      queryFn: () =>
        unwrap(
          api.POST('/v1/subscriptions/{subscription_id}/preview_change', {
            params: { ...inOrg(org), path: { subscription_id: subscriptionId } },
            body: { plan_id: planId },
          }),
        ),
    }),
  billingStatus: (org: string) =>
    queryOptions({
      queryKey: [org, 'billing_status'],
      queryFn: () => unwrap(api.GET('/v1/billing/status', { params: inOrg(org) })),
    }),
  /** The invoices, newest first, a page at a time. */
  invoices: (org: string) =>
    infiniteQueryOptions({
      queryKey: [org, 'invoices', 'pages'],
      queryFn: ({ pageParam }) =>
        unwrap(api.GET('/v1/invoices', { params: { ...inOrg(org), query: pageQuery(pageParam) } })),
      ...cursorPages,
    }),
  /** A subscription's monthly statements, a page at a time. */
  statements: (org: string, subscriptionId: string) =>
    infiniteQueryOptions({
      queryKey: [org, 'statements', subscriptionId, 'pages'],
      queryFn: ({ pageParam }) =>
        unwrap(
          api.GET('/v1/statements', {
            params: { ...inOrg(org), query: { ...pageQuery(pageParam), subscription_id: subscriptionId } },
          }),
        ),
      ...cursorPages,
    }),
  /** The plans this organization may choose, the current one marked. */
  plans: (org: string) =>
    queryOptions({
      queryKey: [org, 'plans'],
      queryFn: () => allPages((query) => api.GET('/v1/plans', { params: { ...inOrg(org), query } })),
    }),
  plan: (org: string, planId: string) =>
    queryOptions({
      queryKey: [org, 'plans', planId],
      queryFn: () =>
        unwrap(api.GET('/v1/plans/{plan_id}', { params: { ...inOrg(org), path: { plan_id: planId } } })),
    }),
  /** The first invoice a checkout of the plan would issue, quoted as the checkout quotes it. */
  checkoutQuote: (org: string, planId: string) =>
    queryOptions({
      queryKey: [org, 'checkout_quotes', planId],
      queryFn: () =>
        unwrap(api.POST('/v1/checkout_quotes', { params: inOrg(org), body: { plan_id: planId } })),
    }),
  /**
   * How a checkout ended, back from the gateway's page: asking applies it if the webhook has not yet
   * (applying twice changes nothing), so once it has ended what it changed is read again. An ended
   * checkout never changes; one still open is asked about again by the page that waits for it.
   */
  checkoutOutcome: (org: string, checkoutId: string) =>
    queryOptions({
      queryKey: [org, 'checkout_sessions', checkoutId],
      queryFn: async ({ client }) => {
        const session = await unwrap(
          api.POST('/v1/checkout_sessions/{checkout_session_id}/sync', {
            params: { ...inOrg(org), path: { checkout_session_id: checkoutId } },
          }),
        );
        if (session.status !== 'open') await invalidate(client, billingChanges(org));
        return session;
      },
      staleTime: Number.POSITIVE_INFINITY,
    }),
  paymentMethods: (org: string) =>
    queryOptions({
      queryKey: [org, 'payment_methods'],
      queryFn: () =>
        allPages((query) => api.GET('/v1/payment_methods', { params: { ...inOrg(org), query } })),
    }),
  /**
   * The payment links, a page at a time; with `askGateway`, the page's active ones are asked about at
   * the gateway too (one may have been paid since; asking twice changes nothing), and a plan paid that
   * way is read again.
   */
  paymentLinks: (org: string, askGateway: boolean) =>
    infiniteQueryOptions({
      queryKey: [org, 'payment_links', { askGateway }],
      queryFn: async ({ client, pageParam }) => {
        const page = await unwrap(
          api.GET('/v1/payment_links', { params: { ...inOrg(org), query: pageQuery(pageParam) } }),
        );
        if (!askGateway) return page;
        const fresh = await Promise.all(
          page.data.map((link) =>
            link.status === 'active'
              ? unwrap(
                  api.POST('/v1/payment_links/{payment_link_id}/sync', {
                    params: { ...inOrg(org), path: { payment_link_id: link.id } },
                  }),
                )
              : link,
          ),
        );
        if (fresh.some((link, i) => link.plan_id && link.status !== page.data[i]?.status))
          await invalidate(client, billingChanges(org));
        return { ...page, data: fresh };
      },
      ...cursorPages,
    }),
  usageSummary: (org: string) =>
    queryOptions({
      queryKey: [org, 'usage', 'summary'],
      queryFn: () => unwrap(api.GET('/v1/usage/summary', { params: inOrg(org) })),
    }),
  /** One metric's use over a span, per hour or per customer's day, split by a dimension if asked. */
  usage: (org: string, query: UsageQuery) =>
    queryOptions({
      queryKey: [org, 'usage', query],
      queryFn: () => unwrap(api.GET('/v1/usage', { params: { ...inOrg(org), query } })),
    }),
  /** An organization's payments with their refunds, as operators see them. */
  payments: (org: string) =>
    queryOptions({
      queryKey: [org, 'payments'],
      queryFn: () =>
        allPages((query) =>
          api.GET('/v1/operator/organizations/{org_id}/payments', {
            params: { path: { org_id: org }, query },
          }),
        ),
    }),

  // The platform's catalog and settings, which operators read from whichever organization is chosen.
  operatorPlans: (org: string, filters: OperatorPlanQuery) =>
    infiniteQueryOptions({
      queryKey: [org, 'operator', 'plans', 'pages', filters],
      queryFn: ({ pageParam }) =>
        unwrap(
          api.GET('/v1/operator/plans', {
            params: {
              ...inOrg(org),
              query: { ...filters, ...pageQuery(pageParam) },
            },
          }),
        ),
      ...cursorPages,
    }),
  /** Every active plan (the list's default status), to choose from. */
  operatorPlanChoices: (org: string) =>
    queryOptions({
      queryKey: [org, 'operator', 'plans', 'choices'],
      queryFn: () => allPages((query) => api.GET('/v1/operator/plans', { params: { ...inOrg(org), query } })),
    }),
  /** What terms being edited would bill for some usage: a calculation, kept while the next is made. */
  draftPrice: (org: string, body: Body<'/v1/operator/price_previews', 'post'>) =>
    queryOptions({
      queryKey: [org, 'operator', 'price_preview', body],
      queryFn: () => unwrap(api.POST('/v1/operator/price_previews', { params: inOrg(org), body })),
      placeholderData: keepPreviousData,
    }),
  operatorPlan: (org: string, planId: string) =>
    queryOptions({
      queryKey: [org, 'operator', 'plan', planId],
      queryFn: () =>
        unwrap(
          api.GET('/v1/operator/plans/{plan_id}', { params: { ...inOrg(org), path: { plan_id: planId } } }),
        ),
    }),
  operatorPlanVersions: (org: string, planId: string) =>
    queryOptions({
      queryKey: [org, 'operator', 'plan', planId, 'versions'],
      queryFn: () =>
        allPages((query) =>
          api.GET('/v1/operator/plans/{plan_id}/versions', {
            params: { ...inOrg(org), path: { plan_id: planId }, query },
          }),
        ),
    }),
  metrics: (org: string) =>
    queryOptions({
      queryKey: [org, 'operator', 'metrics'],
      queryFn: () =>
        allPages(
          (query) => api.GET('/v1/operator/metrics', { params: { ...inOrg(org), query } }),
          (m) => m.code,
        ),
    }),
  features: (org: string) =>
    queryOptions({
      queryKey: [org, 'operator', 'features'],
      queryFn: () =>
        allPages(
          (query) => api.GET('/v1/operator/features', { params: { ...inOrg(org), query } }),
          (f) => f.code,
        ),
    }),
  operatorCustomers: (org: string, filters: OperatorCustomerQuery) =>
    infiniteQueryOptions({
      queryKey: [org, 'operator', 'customers', 'pages', filters],
      queryFn: ({ pageParam }) =>
        unwrap(
          api.GET('/v1/operator/customers', {
            params: {
              ...inOrg(org),
              query: { ...filters, ...pageQuery(pageParam) },
            },
          }),
        ),
      ...cursorPages,
    }),
  /** Up to a hundred customers matching a search, to pick from. */
  customerChoices: (org: string, q: string) =>
    queryOptions({
      queryKey: [org, 'operator', 'customers', 'choices', q],
      queryFn: () =>
        unwrap(
          api.GET('/v1/operator/customers', {
            params: { ...inOrg(org), query: { limit: 100, ...(q ? { q } : {}) } },
          }),
        ),
    }),
  gatewayRouting: (org: string) =>
    queryOptions({
      queryKey: [org, 'operator', 'gateway_routing'],
      queryFn: () => unwrap(api.GET('/v1/operator/gateway_routing', { params: inOrg(org) })),
    }),
  billingSettings: (org: string) =>
    queryOptions({
      queryKey: [org, 'operator', 'billing_settings'],
      queryFn: () => unwrap(api.GET('/v1/operator/billing_settings', { params: inOrg(org) })),
    }),
};

/**
 * What starting, changing or paying for a plan can alter in an organization: its subscriptions (and
 * the plan change previews under them), which plan is current, its invoices, statements and standing,
 * its cards, and the period its use is counted in.
 */
export const billingChanges = (org: string): QueryKey[] => [
  [org, 'subscriptions'],
  [org, 'plans'],
  [org, 'checkout_quotes'],
  [org, 'invoices'],
  [org, 'statements'],
  [org, 'billing_status'],
  [org, 'payment_methods'],
  [org, 'usage'],
];

/** Marks the reads under these keys stale and reads again those on screen. */
export const invalidate = (client: QueryClient, keys: readonly QueryKey[]) =>
  Promise.all(keys.map((queryKey) => client.invalidateQueries({ queryKey })));
