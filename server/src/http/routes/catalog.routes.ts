import { listOf, listQuery, toPage } from '../../api-shapes.js';
import * as catalog from '../../catalog/index.js';
import { platformContext } from '../../tenant.js';
import { defineRoute } from '../route.js';

/** The operator's catalog (C5–C7): features, metrics, plans and their versions, price previews. */

const TAG = 'Catalog';
// The operator edits the platform's own catalog, acting as the platform (`platformContext`);
// resellers' catalogs arrive with partners (C33).

export const catalogRoutes = [
  defineRoute({
    method: 'GET',
    path: '/v1/operator/features',
    operationId: 'listFeatures',
    summary: 'Features plans can limit',
    tag: TAG,
    permission: 'operator.read',
    query: listQuery,
    response: listOf(catalog.featureObject),
    handler: async ({ ctx, query }) =>
      toPage(await catalog.listFeatures(platformContext(ctx), query), (rows) =>
        rows.map(catalog.presentFeature),
      ),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/operator/features',
    operationId: 'createFeature',
    summary: 'Name a new feature plans can limit',
    tag: TAG,
    permission: 'operator.write',
    body: catalog.createFeatureBody,
    response: catalog.featureObject,
    status: 201,
    handler: async ({ ctx, body }) =>
      catalog.presentFeature(await catalog.createFeature(platformContext(ctx), body)),
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/operator/metrics',
    operationId: 'listMetrics',
    summary: 'Metrics usage charges price',
    tag: TAG,
    permission: 'operator.read',
    query: listQuery,
    response: listOf(catalog.metricObject),
    handler: async ({ ctx, query }) =>
      toPage(await catalog.listMetrics(platformContext(ctx), query), (rows) =>
        rows.map(catalog.presentMetric),
      ),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/operator/metrics',
    operationId: 'createMetric',
    summary: 'Define a metric: how usage events add up and what they can be split by',
    tag: TAG,
    permission: 'operator.write',
    body: catalog.createMetricBody,
    response: catalog.metricObject,
    status: 201,
    handler: async ({ ctx, body }) =>
      catalog.presentMetric(await catalog.createMetric(platformContext(ctx), body)),
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/operator/plans',
    operationId: 'listPlans',
    summary: 'Plans with their current versions, filtered',
    tag: TAG,
    permission: 'operator.read',
    query: catalog.planListQuery,
    response: listOf(catalog.planObject),
    handler: async ({ ctx, query }) => {
      const [entries, names] = await Promise.all([
        catalog.listPlans(platformContext(ctx), query),
        catalog.loadCatalogNames(platformContext(ctx)),
      ]);
      return toPage(entries, (rows) => rows.map((entry) => catalog.presentPlan(entry, names)));
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/operator/plans',
    operationId: 'createPlan',
    summary: 'Publish a plan: its first version holds the prices, trial and limits',
    tag: TAG,
    permission: 'operator.write',
    body: catalog.createPlanBody,
    response: catalog.planObject,
    status: 201,
    handler: async ({ ctx, body }) => {
      const entry = await catalog.createPlan(platformContext(ctx), body);
      return catalog.presentPlan(entry, await catalog.loadCatalogNames(platformContext(ctx)));
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/operator/plans/:plan_id',
    operationId: 'getPlan',
    summary: 'A plan with its current version',
    tag: TAG,
    permission: 'operator.read',
    params: catalog.planParams,
    response: catalog.planObject,
    handler: async ({ ctx, params }) => {
      const entry = await catalog.getPlan(platformContext(ctx), params.plan_id);
      return catalog.presentPlan(entry, await catalog.loadCatalogNames(platformContext(ctx)));
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/operator/plans/:plan_id',
    operationId: 'updatePlan',
    summary: 'Edit a plan: new prices, trial or limits publish a new version; subscribers keep theirs',
    tag: TAG,
    permission: 'operator.write',
    params: catalog.planParams,
    body: catalog.updatePlanBody,
    response: catalog.planObject,
    handler: async ({ ctx, params, body }) => {
      const entry = await catalog.updatePlan(platformContext(ctx), params.plan_id, body);
      return catalog.presentPlan(entry, await catalog.loadCatalogNames(platformContext(ctx)));
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/operator/plans/:plan_id/disable',
    operationId: 'disablePlan',
    summary: 'Stop offering a plan; its subscribers stay on it',
    tag: TAG,
    permission: 'operator.write',
    params: catalog.planParams,
    response: catalog.planObject,
    handler: async ({ ctx, params }) => {
      const entry = await catalog.setPlanDisabled(platformContext(ctx), params.plan_id, true);
      return catalog.presentPlan(entry, await catalog.loadCatalogNames(platformContext(ctx)));
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/operator/plans/:plan_id/enable',
    operationId: 'enablePlan',
    summary: 'Offer a disabled plan again',
    tag: TAG,
    permission: 'operator.write',
    params: catalog.planParams,
    response: catalog.planObject,
    handler: async ({ ctx, params }) => {
      const entry = await catalog.setPlanDisabled(platformContext(ctx), params.plan_id, false);
      return catalog.presentPlan(entry, await catalog.loadCatalogNames(platformContext(ctx)));
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/operator/plans/:plan_id/versions',
    operationId: 'listPlanVersions',
    summary: 'Every version of a plan, newest first',
    tag: TAG,
    permission: 'operator.read',
    params: catalog.planParams,
    query: listQuery,
    response: listOf(catalog.planVersionObject),
    handler: async ({ ctx, params, query }) => {
      const [versions, names] = await Promise.all([
        catalog.listPlanVersions(platformContext(ctx), params.plan_id, query),
        catalog.loadCatalogNames(platformContext(ctx)),
      ]);
      return toPage(versions, (rows) => rows.map((v) => catalog.presentVersion(v, names)));
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/operator/price_previews',
    operationId: 'previewDraftPrice',
    summary:
      "What terms being edited would bill for given usage, checked as a new plan's are: the plan editor's live preview",
    tag: TAG,
    permission: 'operator.read',
    audit: 'off',
    body: catalog.draftPreviewBody,
    response: catalog.pricePreviewObject,
    handler: async ({ ctx, body }) => catalog.previewDraft(platformContext(ctx), body),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/operator/plans/:plan_id/preview',
    operationId: 'previewPlanPrice',
    summary: 'What given usage would cost on a plan: lines and total, as an invoice would bill them',
    tag: TAG,
    permission: 'operator.read',
    // A calculation: it changes nothing, so there is nothing to audit.
    audit: 'off',
    params: catalog.planParams,
    body: catalog.previewBody,
    response: catalog.pricePreviewObject,
    handler: async ({ ctx, params, body }) => {
      const { plan, version } = await catalog.getPlan(platformContext(ctx), params.plan_id, {
        ...(body.version === undefined ? {} : { version: body.version }),
      });
      const names = await catalog.loadCatalogNames(platformContext(ctx));
      return catalog.previewPrice({ plan, version, metrics: names.metrics, usage: body.usage });
    },
  }),
];
