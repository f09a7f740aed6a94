// Public surface of invoicing: drafts, finalization with gapless numbers, payments, voids, tax.
export * from './invoice.schema.js';
export {
  abandonedChangeDrafts,
  allocatePayment,
  allocationsOf,
  applyCheckoutCredit,
  applyPayment,
  awaitPaymentOutcome,
  type BatchInvoice,
  billingSettings,
  createDraft,
  type DraftInvoice,
  type DraftLine,
  discardDraft,
  draftTotals,
  dueDate,
  finalize,
  findInvoice,
  getInvoice,
  invoiceLines,
  invoicesByRefs,
  invoicesToCollect,
  issueMany,
  listInvoices,
  markUncollectible,
  presentInvoices,
  recordFailedAttempt,
  taxRuleFor,
  voidInvoice,
} from './invoices.js';
export { type InvoiceDocument, type Issuer, invoiceHtml, invoicePdf } from './render.js';
export * as settings from './settings.js';
