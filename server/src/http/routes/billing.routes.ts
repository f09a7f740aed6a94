import { z } from 'zod';
import { listOf, listQuery, toPage } from '../../api-shapes.js';
import * as catalog from '../../catalog/index.js';
import * as customers from '../../customers/index.js';
import * as billing from '../../flows/billing-customer.js';
import { removeSavedMethod } from '../../flows/payment-methods.js';
import * as subscriptions from '../../subscriptions/index.js';
import { platformContext, type TenantCtx, tenantContext } from '../../tenant.js';
import { defineRoute, type RouteInput } from '../route.js';

/** An organization's billing: its customer details, the plans it may choose, its payment methods (C8–C11). */

const TAG = 'Billing';

const customerDeps = (
  input: Pick<RouteInput<unknown, unknown, unknown>, 'gateways'>,
): customers.CustomerDeps => ({ configuredGateways: input.gateways });

async function offerTerms(ctx: TenantCtx) {
  const customer = await customers.findCustomer(ctx);
  return { currency: customer?.currency, currentPlanId: await billing.currentPlanId(ctx) };
}

export const billingRoutes = [
  defineRoute({
    method: 'GET',
    path: '/v1/billing_customer',
    operationId: 'getBillingCustomer',
    summary: "The organization's billing customer (404 until it is created)",
    tag: TAG,
    permission: 'billing.read',
    response: customers.customerObject,
    handler: async ({ tenant }) => customers.presentCustomer(await customers.getCustomer(tenant)),
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/billing_customer/balance',
    operationId: 'getCustomerBalance',
    summary: "The customer's credit balance and its transactions, newest first",
    tag: TAG,
    permission: 'billing.read',
    response: customers.customerBalanceObject,
    handler: async ({ tenant }) => {
      const customer = await customers.getCustomer(tenant);
      return customers.presentBalance(customer, await customers.balanceTransactions(tenant));
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/billing_customer',
    operationId: 'createBillingCustomer',
    summary: 'Create the billing customer: who is billed, where, in which currency and time zone',
    tag: TAG,
    permission: 'billing.write',
    body: customers.createCustomerBody,
    response: customers.customerObject,
    status: 201,
    handler: async (input) =>
      customers.presentCustomer(
        await billing.createBillingCustomer(input.tenant, input.body, customerDeps(input)),
      ),
  }),
  defineRoute({
    method: 'PATCH',
    path: '/v1/billing_customer',
    operationId: 'updateBillingCustomer',
    summary: "Update the billing customer's details",
    tag: TAG,
    permission: 'billing.write',
    body: customers.updateCustomerBody,
    response: customers.customerObject,
    handler: async (input) =>
      customers.presentCustomer(
        await customers.updateCustomer(input.tenant, input.body, customerDeps(input)),
      ),
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/plans',
    operationId: 'listOfferedPlans',
    summary: 'Plans this organization may choose, in its currency, its current plan marked',
    tag: TAG,
    permission: 'billing.read',
    query: listQuery,
    response: listOf(catalog.offeredPlanObject),
    handler: async ({ tenant, query }) =>
      toPage(await catalog.listOffers(tenant, await offerTerms(tenant), query), (offers) => offers),
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/plans/:plan_id',
    operationId: 'getOfferedPlan',
    summary: 'One plan this organization may choose',
    tag: TAG,
    permission: 'billing.read',
    params: catalog.planParams,
    response: catalog.offeredPlanObject,
    handler: async ({ tenant, params }) => catalog.getOffer(tenant, await offerTerms(tenant), params.plan_id),
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/subscriptions',
    operationId: 'listSubscriptions',
    summary: "The organization's subscriptions, newest first, each with the plan version it is billed by",
    tag: TAG,
    permission: 'billing.read',
    query: listQuery,
    response: listOf(subscriptions.subscriptionDetailObject),
    handler: async ({ tenant, query }) =>
      toPage(await subscriptions.listSubscriptions(tenant, query), (rows) =>
        billing.describeSubscriptions(tenant, rows),
      ),
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/payment_methods',
    operationId: 'listPaymentMethods',
    summary: 'Saved payment methods, the default first',
    tag: TAG,
    permission: 'billing.read',
    query: listQuery,
    response: listOf(customers.paymentMethodObject),
    handler: async ({ tenant, query }) =>
      toPage(await customers.paymentMethodsPage(tenant, query), (rows) =>
        rows.map(customers.presentPaymentMethod),
      ),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/payment_methods/:payment_method_id/default',
    operationId: 'setDefaultPaymentMethod',
    summary: 'Charge this method from now on',
    tag: TAG,
    permission: 'billing.write',
    params: customers.paymentMethodParams,
    response: customers.paymentMethodObject,
    handler: async ({ tenant, params }) =>
      customers.presentPaymentMethod(
        await customers.setDefaultPaymentMethod(tenant, params.payment_method_id),
      ),
  }),
  defineRoute({
    method: 'DELETE',
    path: '/v1/payment_methods/:payment_method_id',
    operationId: 'removePaymentMethod',
    summary: 'Remove a saved payment method',
    tag: TAG,
    permission: 'billing.write',
    params: customers.paymentMethodParams,
    response: z.object({ id: z.string(), object: z.literal('payment_method'), deleted: z.literal(true) }),
    // The gateway forgets the card first, over the network, outside any transaction.
    transaction: 'own',
    handler: async ({ tenant, params, payments }) => {
      const removed = await removeSavedMethod(tenant, params.payment_method_id, payments);
      return { id: removed.id, object: 'payment_method' as const, deleted: true as const };
    },
  }),

  // ---- operators ----
  defineRoute({
    method: 'GET',
    path: '/v1/operator/customers',
    operationId: 'listAllBillingCustomers',
    summary: 'Every billing customer, newest first; search by name, email or organization',
    tag: TAG,
    permission: 'operator.read',
    query: customers.customerListQuery,
    response: listOf(customers.operatorCustomerObject),
    handler: async ({ ctx, query }) => {
      const customersPage = await customers.listAllCustomers(ctx, query);
      return toPage(customersPage, async (rows) => {
        const inForce = await billing.subscriptionsInForce(ctx, rows);
        return rows.map(({ org_name, ...row }) => ({
          ...customers.presentCustomer(row),
          org_name,
          subscription: inForce.get(row.id) ?? null,
        }));
      });
    },
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/operator/organizations/:org_id/subscription',
    operationId: 'moveOrganizationToPlan',
    summary:
      "Move an organization to a plan, or to its plan's newest version: ends its active subscription and starts one",
    tag: TAG,
    permission: 'operator.write',
    params: subscriptions.organizationParams,
    body: subscriptions.moveToPlanBody,
    response: subscriptions.subscriptionDetailObject,
    // The operator acts on the organization the path names.
    handler: async ({ ctx, params, body }) =>
      billing.moveOrganizationToPlan(tenantContext(ctx, params.org_id), body),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/operator/organizations/:org_id/external_id',
    operationId: 'setCustomerExternalId',
    summary: "Name an organization's billing customer with your own id, for usage events",
    tag: TAG,
    permission: 'operator.write',
    params: subscriptions.organizationParams,
    body: customers.externalIdBody,
    response: customers.customerObject,
    handler: async ({ ctx, params, body }) =>
      customers.presentCustomer(
        await customers.setExternalId(tenantContext(ctx, params.org_id), body.external_id),
      ),
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/operator/gateway_routing',
    operationId: 'getGatewayRouting',
    summary: 'Which gateway serves which country',
    tag: TAG,
    permission: 'operator.read',
    response: customers.gatewayRoutingObject,
    handler: async ({ ctx, gateways }) =>
      customers.presentRouting(await customers.getGatewayRouting(platformContext(ctx)), gateways),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/operator/gateway_routing',
    operationId: 'setGatewayRouting',
    summary: 'Change which gateway serves which country (new customers and country changes follow it)',
    tag: TAG,
    permission: 'operator.write',
    body: customers.gatewayRoutingBody,
    response: customers.gatewayRoutingObject,
    handler: async ({ ctx, body, gateways }) =>
      customers.presentRouting(await customers.setGatewayRouting(platformContext(ctx), body), gateways),
  }),
];
