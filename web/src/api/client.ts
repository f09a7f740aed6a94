import { createBillfoldClient, isApiError, type paths } from '@billfold/sdk';

/**
 * The one API client of the web UI: same origin, session cookie, and the CSRF token and chosen
 * organization read from the session state on every request.
 */
interface ClientSession {
  csrfToken?: string | undefined;
  organizationId?: string | undefined;
}

let current: ClientSession = {};
let onSignedOut: (() => void) | undefined;

export function setClientSession(session: ClientSession) {
  current = session;
}

/** Called when the API says the session is gone (expired, signed out elsewhere). */
export function onSessionLost(handler: (() => void) | undefined) {
  onSignedOut = handler;
}

export const api = createBillfoldClient({ baseUrl: '', session: () => current });

/** An error the API answered with, or a network failure, in one shape the pages can show. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly type: string,
    readonly code: string,
    readonly param: string | null = null,
    readonly requestId: string | null = null,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  return new ApiError(
    'Could not reach Billfold. Check your connection and try again.',
    0,
    'network',
    'network.unreachable',
  );
}

/** Turns openapi-fetch's `{ data, error, response }` into the data, or throws an ApiError. */
export async function unwrap<T>(
  call: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  let result: { data?: T; error?: unknown; response: Response };
  try {
    result = await call;
  } catch (error) {
    throw toApiError(error);
  }
  const { data, error, response } = result;
  if (response.ok && data !== undefined) return data;
  if (isApiError(error)) {
    const e = error.error;
    if (response.status === 401 && e.code === 'session.required') onSignedOut?.();
    throw new ApiError(e.message, response.status, e.type, e.code, e.param, e.request_id);
  }
  throw new ApiError(
    `Unexpected response from Billfold (HTTP ${response.status})`,
    response.status,
    'internal',
    'response.unexpected',
  );
}

type Json<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends {
  responses: { 200: { content: { 'application/json': infer R } } };
}
  ? R
  : paths[P][M] extends { responses: { 201: { content: { 'application/json': infer R } } } }
    ? R
    : never;

/** What a write sends, as the API's document declares it. */
export type Body<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends {
  requestBody?: { content: { 'application/json': infer B } };
}
  ? B
  : never;

/** What a read takes in its query string, as the API's document declares it. */
export type Query<P extends keyof paths> = paths[P] extends { get: { parameters: { query?: infer Q } } }
  ? NonNullable<Q>
  : never;

export type SessionObject = Json<'/v1/session', 'get'>;
export type MyOrganization = SessionObject['organizations'][number];
export type User = SessionObject['user'];
export type Role = NonNullable<MyOrganization['role']>;
export type Organization = Json<'/v1/organization', 'get'>;
export type Membership = Json<'/v1/members', 'get'>['data'][number];
export type Invitation = Json<'/v1/invitations', 'get'>['data'][number];
export type InvitationPreview = Json<'/v1/invitation_previews/{token}', 'get'>;
export type ApiKey = Json<'/v1/api_keys', 'get'>['data'][number];
export type AuditEvent = Json<'/v1/audit_events', 'get'>['data'][number];
export type AuditPage = Json<'/v1/audit_events', 'get'>;
export type BillingCustomer = Json<'/v1/billing_customer', 'get'>;
export type OfferedPlan = Json<'/v1/plans', 'get'>['data'][number];
export type PlanVersion = OfferedPlan['version'];
export type Subscription = Json<'/v1/subscriptions', 'get'>['data'][number];
export type PaymentMethod = Json<'/v1/payment_methods', 'get'>['data'][number];
export type Plan = Json<'/v1/operator/plans', 'get'>['data'][number];
export type PlanPage = Json<'/v1/operator/plans', 'get'>;
export type Metric = Json<'/v1/operator/metrics', 'get'>['data'][number];
export type Feature = Json<'/v1/operator/features', 'get'>['data'][number];
export type PricePreview = Json<'/v1/operator/plans/{plan_id}/preview', 'post'>;
export type OperatorCustomer = Json<'/v1/operator/customers', 'get'>['data'][number];
export type GatewayRouting = Json<'/v1/operator/gateway_routing', 'get'>;
export type BillingSettings = Json<'/v1/operator/billing_settings', 'get'>;
export type CheckoutQuote = Json<'/v1/checkout_quotes', 'post'>;
export type PaymentLink = Json<'/v1/payment_links', 'get'>['data'][number];
export type PaymentWithRefunds = Json<'/v1/payments', 'get'>['data'][number];
export type SubscriptionDetail = Json<'/v1/subscriptions/{subscription_id}', 'get'>;
export type Invoice = Json<'/v1/invoices', 'get'>['data'][number];
export type BillingStatus = Json<'/v1/billing/status', 'get'>;
export type CheckoutSession = Json<'/v1/checkout_sessions/{checkout_session_id}/sync', 'post'>;
export type PlanChangePreview = Json<'/v1/subscriptions/{subscription_id}/preview_change', 'post'>;
export type Statement = Json<'/v1/statements', 'get'>['data'][number];
export type UsageSummary = Json<'/v1/usage/summary', 'get'>;
export type SummaryMetric = UsageSummary['metrics'][number];
export type UsageReport = Json<'/v1/usage', 'get'>;
export type WebhookEndpoint = Json<'/v1/webhook_endpoints', 'get'>['data'][number];
export type WebhookDelivery = Json<
  '/v1/webhook_endpoints/{webhook_endpoint_id}/deliveries',
  'get'
>['data'][number];
