import { listOf, listQuery, toPage } from '../../api-shapes.js';
import * as events from '../../events/index.js';
import { defineRoute } from '../route.js';

/**
 * Outbound webhooks (C36): where an organization wants its events sent, and what was sent. Endpoint
 * secrets are credentials, so the API key permissions govern them (owners and super admins).
 */

const TAG = 'Webhooks';

export const eventsRoutes = [
  defineRoute({
    method: 'GET',
    path: '/v1/webhook_endpoints',
    operationId: 'listWebhookEndpoints',
    summary: 'Webhook endpoints that receive events',
    tag: TAG,
    permission: 'api_keys.read',
    query: listQuery,
    response: listOf(events.endpointObject),
    handler: async ({ tenant, query }) =>
      toPage(await events.listEndpoints(tenant, query), (rows) => rows.map(events.presentEndpoint)),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/webhook_endpoints',
    operationId: 'createWebhookEndpoint',
    summary: 'Send events to a URL, signed with a secret of its own',
    tag: TAG,
    permission: 'api_keys.write',
    body: events.createEndpointBody,
    response: events.endpointObject,
    status: 201,
    redact: ['secret'],
    handler: async ({ tenant, body }) => events.presentEndpoint(await events.createEndpoint(tenant, body)),
  }),
  defineRoute({
    method: 'DELETE',
    path: '/v1/webhook_endpoints/:webhook_endpoint_id',
    operationId: 'disableWebhookEndpoint',
    summary: 'Stop sending events to an endpoint (its delivery log stays)',
    tag: TAG,
    permission: 'api_keys.write',
    params: events.endpointParams,
    response: events.endpointObject,
    redact: ['secret'],
    handler: async ({ tenant, params }) =>
      events.presentEndpoint(await events.disableEndpoint(tenant, params.webhook_endpoint_id)),
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/webhook_endpoints/:webhook_endpoint_id/deliveries',
    operationId: 'listWebhookDeliveries',
    summary: 'What was sent to an endpoint, newest first: event, status, attempts, response',
    tag: TAG,
    permission: 'api_keys.read',
    params: events.endpointParams,
    query: listQuery,
    response: listOf(events.deliveryObject),
    handler: async ({ tenant, params, query }) =>
      toPage(await events.listDeliveries(tenant, params.webhook_endpoint_id, query), (rows) =>
        rows.map(events.presentDelivery),
      ),
  }),
];
