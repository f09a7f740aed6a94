import type { RouteDef } from '../route.js';
import { accessRoutes } from './access.routes.js';
import { billingRoutes } from './billing.routes.js';
import { catalogRoutes } from './catalog.routes.js';
import { eventsRoutes } from './events.routes.js';
import { meteringRoutes } from './metering.routes.js';
import { paymentsRoutes } from './payments.routes.js';
import { subscriptionsRoutes } from './subscriptions.routes.js';

/** The route table: every route of the API, each with the permission it needs. */
export const routes: readonly RouteDef[] = [
  ...accessRoutes,
  ...catalogRoutes,
  ...billingRoutes,
  ...paymentsRoutes,
  ...subscriptionsRoutes,
  ...eventsRoutes,
  ...meteringRoutes,
];
