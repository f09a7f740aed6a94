import createClient, { type Client, type Middleware } from 'openapi-fetch';
import type { components, operations, paths } from './schema.js';

export type { components, operations, paths };
export type Schemas = components['schemas'];

/** The error envelope every non-2xx response carries. */
export interface BillfoldApiError {
  error: { type: string; code: string; message: string; param: string | null; request_id: string };
}

export interface BillfoldClientOptions {
  /** Where Billfold runs, e.g. http://localhost:4000. Empty in the browser: same origin. */
  baseUrl?: string;
  /** An organization's API key (server-side integrations). */
  apiKey?: string;
  /** With a session cookie (the web UI): the CSRF token and the organization acted on. */
  session?: () => { csrfToken?: string | undefined; organizationId?: string | undefined };
  fetch?: typeof fetch;
}

export type BillfoldClient = Client<paths>;

/**
 * The typed client, derived from Billfold's OpenAPI document. Every write carries an Idempotency-Key,
 * so a retry of the same call never does the work twice.
 */
export function createBillfoldClient(options: BillfoldClientOptions = {}): BillfoldClient {
  const client = createClient<paths>({
    baseUrl: options.baseUrl ?? '',
    credentials: 'same-origin',
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const headers: Middleware = {
    onRequest({ request }) {
      if (options.apiKey) request.headers.set('authorization', `Bearer ${options.apiKey}`);
      const session = options.session?.();
      // A call may name another organization itself (an operator looking at a customer).
      if (session?.organizationId && !request.headers.has('billfold-organization'))
        request.headers.set('billfold-organization', session.organizationId);
      if (request.method !== 'GET') {
        if (session?.csrfToken) request.headers.set('x-csrf-token', session.csrfToken);
        if (!request.headers.has('idempotency-key'))
          request.headers.set('idempotency-key', crypto.randomUUID());
      }
      return request;
    },
  };
  client.use(headers);
  return client;
}

/** Narrows an unknown error body to Billfold's envelope. */
export function isApiError(value: unknown): value is BillfoldApiError {
  return typeof value === 'object' && value !== null && 'error' in value && typeof value.error === 'object';
}

export * from './money.js';
