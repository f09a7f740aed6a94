// Public surface of the catalog (C5–C7): features, metrics, plans, versions, offers and prices.
export * from './catalog.schema.js';
export { createFeature, listFeatures, presentFeature } from './features.js';
export { createMetric, listMetrics, presentMetric } from './metrics.js';
export { findDefaultPlan, getOffer, listOffers } from './offers.js';
export { unfitReason } from './plan-rules.js';
export {
  type CatalogNames,
  createPlan,
  findPlanVersion,
  getPlan,
  listPlans,
  listPlanVersions,
  loadCatalogNames,
  type PlanWithVersion,
  presentPlan,
  presentVersion,
  previewDraft,
  setPlanDisabled,
  updatePlan,
  versionsByIds,
} from './plans.js';
export { previewPrice } from './preview.js';
