// Public surface of billing customers (C8–C10): details, gateway routing, payment methods.
export {
  balanceOf,
  balanceTransactionObject,
  balanceTransactions,
  creditBalance,
  customerBalanceObject,
  orgsWithCredit,
  presentBalance,
  recordBalanceTransaction,
  releaseCredit,
  releaseForCheckout,
  reserveCredit,
  reservedCredit,
  reserveForCheckout,
} from './balance.js';
export { countryName, isCountryCode } from './countries.js';
export {
  type CustomerDeps,
  createCustomer,
  findCustomer,
  findCustomers,
  getCustomer,
  listAllCustomers,
  lockCustomer,
  orgsOnTestClocks,
  presentCustomer,
  setExternalId,
  updateCustomer,
} from './customers.js';
export * from './customers.schema.js';
export {
  type GatewayRouting,
  getGatewayRouting,
  presentRouting,
  routeCountry,
  ruledGateway,
  setGatewayRouting,
} from './gateway-routing.js';
export {
  listPaymentMethods,
  paymentMethodsOf,
  paymentMethodsPage,
  presentPaymentMethod,
  removePaymentMethod,
  savePaymentMethod,
  setDefaultPaymentMethod,
} from './payment-methods.js';
