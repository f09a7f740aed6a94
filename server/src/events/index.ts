// Public surface of outbound events: the outbox, webhook endpoints and their delivery log (C36).
export { deliverWebhook, SIGNATURE_HEADER, signPayload, webhookDeliveryJob } from './delivery.js';
export {
  createEndpoint,
  createEndpointBody,
  deliveryObject,
  disableEndpoint,
  endpointObject,
  endpointParams,
  listDeliveries,
  listEndpoints,
  presentDelivery,
  presentEndpoint,
} from './endpoints.js';
export { EVENT_TYPES, type EventType, emit, emitMany, WEBHOOK_DELIVERY_JOB } from './events.js';
