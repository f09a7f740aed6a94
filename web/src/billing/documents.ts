import { ApiError, api, toApiError } from '../api/client';

/**
 * Invoice documents come from the API like everything else (session cookie and organization header),
 * so they are fetched and handed to the browser as a file, rather than linked to.
 */
export async function openInvoiceDocument(
  invoiceId: string,
  format: 'pdf' | 'html',
  filename: string,
  /** The organization the invoice is of, when not the chosen one (an operator reading a customer's). */
  orgId?: string,
) {
  const path = format === 'pdf' ? '/v1/invoices/{invoice_id}/pdf' : '/v1/invoices/{invoice_id}/html';
  const header = orgId ? { header: { 'billfold-organization': orgId } } : {};
  const { data, response } = await api
    .GET(path, { params: { path: { invoice_id: invoiceId }, ...header }, parseAs: 'blob' })
    .catch((error: unknown) => {
      throw toApiError(error);
    });
  if (!response.ok || !(data instanceof Blob)) {
    throw new ApiError(
      `Could not download the invoice (HTTP ${response.status})`,
      response.status,
      'api',
      'invoice.download_failed',
    );
  }
  const url = URL.createObjectURL(data);
  if (format === 'html') {
    window.open(url, '_blank', 'noopener');
  } else {
    const link = document.createElement('a');
    link.href = url;
    link.download = filename;
    link.click();
  }
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
