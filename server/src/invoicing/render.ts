import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import PDFDocument from 'pdfkit';
import { countryName } from '../customers/index.js';
import type { InvoiceLineRow, InvoiceRow } from '../db/schema.js';
import { formatMoney, localeFor } from '../money/index.js';
import { fromDate, toDate } from '../time/index.js';
import { amountDue } from './invoice.schema.js';

/**
 * An invoice as a document people keep: HTML to read in a browser and print, PDF to download. Both
 * show the same things: who issued it and to whom, its number and dates, the lines, the totals with
 * tax, and whether it is paid.
 */

export interface Issuer {
  name: string;
  address: string;
  email: string;
}

export interface InvoiceDocument {
  invoice: InvoiceRow;
  lines: InvoiceLineRow[];
  issuer: Issuer;
  /** The customer's time zone: dates print as the customer's calendar says. */
  timeZone: string;
}

const statusLabel: Record<InvoiceRow['status'], string> = {
  draft: 'Draft',
  open: 'Due',
  paid: 'Paid',
  void: 'Void',
  uncollectible: 'Uncollectible',
};

/** The locale an invoice's amounts are written in, by the country it was billed to. */
const localeOf = (invoice: InvoiceRow) => localeFor(invoice.bill_to.country);

const money = (invoice: InvoiceRow, amount: bigint) =>
  formatMoney({ amount, currency: invoice.currency }, localeOf(invoice));

function day(at: Date | null, timeZone: string): string {
  if (!at) return '—';
  return new Intl.DateTimeFormat('en-US', {
    timeZone,
    year: 'numeric',
    month: 'short',
    day: 'numeric',
  }).format(at);
}

/** The period's last day: its end is the next period's first instant. */
const lastDay = (invoice: InvoiceRow) => toDate(fromDate(invoice.period_end).subtract({ milliseconds: 1 }));

function title(doc: InvoiceDocument): string {
  return doc.invoice.number ? `Invoice ${doc.invoice.number}` : 'Draft invoice';
}

function billTo(invoice: InvoiceRow): string[] {
  const to = invoice.bill_to;
  return [
    to.name,
    to.address_line1,
    to.address_line2,
    [to.city, to.state, to.postal_code].filter(Boolean).join(', '),
    countryName(to.country) ?? to.country,
    to.email,
    to.tax_id ? `Tax ID ${to.tax_id}` : '',
  ].filter((line) => line.trim() !== '');
}

function totals(invoice: InvoiceRow): [string, string][] {
  const tax = `${invoice.tax_name} ${invoice.tax_percent}%${invoice.tax_inclusive ? ' (included)' : ''}`;
  return [
    ['Subtotal', money(invoice, invoice.subtotal)],
    ...(invoice.tax !== 0n ? ([[tax, money(invoice, invoice.tax)]] as [string, string][]) : []),
    ['Total', money(invoice, invoice.total)],
    ['Amount paid', money(invoice, invoice.amount_paid)],
    ['Amount due', money(invoice, amountDue(invoice))],
  ];
}

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch] ?? ch,
  );

export function invoiceHtml(doc: InvoiceDocument): string {
  const { invoice, lines, issuer, timeZone } = doc;
  const rows = lines
    .map(
      (line) =>
        `<tr><td>${escapeHtml(line.description)}</td><td class="num">${escapeHtml(line.quantity)}</td><td class="num">${money(invoice, line.amount)}</td></tr>`,
    )
    .join('');
  const sums = totals(invoice)
    .map(([label, value]) => `<tr><th>${escapeHtml(label)}</th><td class="num">${value}</td></tr>`)
    .join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escapeHtml(title(doc))}</title>
<style>
*{box-sizing:border-box}body{margin:0;background:#f2f4f7;font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#101828}
.page{max-width:800px;margin:32px auto;background:#fff;border:1px solid #e4e7ec;border-radius:8px;padding:48px}
header{display:flex;justify-content:space-between;align-items:flex-start;gap:24px}
h1{font-size:28px;margin:0 0 4px}.muted{color:#667085}.stamp{font-weight:700;font-size:14px;padding:4px 12px;border-radius:999px;border:2px solid}
.stamp.paid{color:#067647;border-color:#067647}.stamp.open{color:#b54708;border-color:#b54708}.stamp.void,.stamp.uncollectible,.stamp.draft{color:#475467;border-color:#475467}
.parties{display:grid;grid-template-columns:1fr 1fr 1fr;gap:24px;margin:32px 0}.parties h2{font-size:12px;text-transform:uppercase;letter-spacing:.06em;color:#667085;margin:0 0 6px}
.parties p{margin:0;white-space:pre-line}table{width:100%;border-collapse:collapse}
.lines th{text-align:left;font-size:12px;text-transform:uppercase;letter-spacing:.06em;color:#667085;border-bottom:1px solid #e4e7ec;padding:8px 0}
.lines td{padding:10px 0;border-bottom:1px solid #f2f4f7;vertical-align:top}.num{text-align:right;white-space:nowrap;padding-left:16px}
.totals{width:320px;margin:16px 0 0 auto}.totals th{text-align:left;font-weight:400;color:#475467;padding:4px 0}.totals td{padding:4px 0}
.totals tr:nth-last-child(1) th,.totals tr:nth-last-child(1) td{font-weight:700;border-top:1px solid #e4e7ec;padding-top:8px}
.lines th.num{padding-left:16px}footer{margin-top:40px;color:#667085;font-size:12px}@media print{body{background:#fff}.page{border:0;margin:0}}
@media (max-width:640px){.page{margin:0;border:0;border-radius:0;padding:24px 16px}.parties{grid-template-columns:1fr;margin:24px 0}.totals{width:100%}}
</style></head><body><main class="page">
<header><div><h1>${escapeHtml(title(doc))}</h1><div class="muted">${escapeHtml(issuer.name)}</div></div>
<span class="stamp ${invoice.status}">${statusLabel[invoice.status]}</span></header>
<section class="parties">
<div><h2>From</h2><p>${escapeHtml([issuer.name, issuer.address, issuer.email].filter(Boolean).join('\n'))}</p></div>
<div><h2>Bill to</h2><p>${escapeHtml(billTo(invoice).join('\n'))}</p></div>
<div><h2>Details</h2><p>Issued ${day(invoice.finalized_at, timeZone)}
Due ${day(invoice.due_at, timeZone)}
Period ${day(invoice.period_start, timeZone)} – ${day(lastDay(invoice), timeZone)}${invoice.paid_at ? `\nPaid ${day(invoice.paid_at, timeZone)}` : ''}</p></div>
</section>
<table class="lines"><thead><tr><th>Description</th><th class="num">Qty</th><th class="num">Amount</th></tr></thead><tbody>${rows}</tbody></table>
<table class="totals"><tbody>${sums}</tbody></table>
<footer>Amounts in ${invoice.currency}. ${invoice.status === 'paid' ? 'Thank you: this invoice is paid.' : invoice.status === 'open' ? 'The saved card is charged automatically.' : ''}</footer>
</main></body></html>`;
}

/**
 * DejaVu Sans Condensed (about Helvetica's width), embedded as the subset of glyphs used: PDF's
 * standard fonts know only the WinAnsi characters, which have no ₹ and so made the PDF write 'INR'
 * where the page writes '₹'. DejaVu has every currency sign, and its licence (Bitstream Vera's, and
 * public domain) lets it be embedded. Read once per process.
 */
let dejaVuSans: { regular: Buffer; bold: Buffer } | undefined;
function fonts() {
  const { resolve } = createRequire(import.meta.url);
  dejaVuSans ??= {
    regular: readFileSync(resolve('dejavu-fonts-ttf/ttf/DejaVuSansCondensed.ttf')),
    bold: readFileSync(resolve('dejavu-fonts-ttf/ttf/DejaVuSansCondensed-Bold.ttf')),
  };
  return dejaVuSans;
}
const REGULAR = 'DejaVuSansCondensed';
const BOLD = 'DejaVuSansCondensed-Bold';

/** The same invoice as a PDF (A4, DejaVu Sans Condensed). */
export async function invoicePdf(doc: InvoiceDocument): Promise<Buffer> {
  const { invoice, lines, issuer, timeZone } = doc;
  const pdf = new PDFDocument({ size: 'A4', margin: 56, info: { Title: title(doc), Author: issuer.name } });
  pdf.registerFont(REGULAR, fonts().regular);
  pdf.registerFont(BOLD, fonts().bold);
  const chunks: Buffer[] = [];
  pdf.on('data', (chunk: Buffer) => chunks.push(chunk));
  const done = new Promise<Buffer>((resolve, reject) => {
    pdf.on('end', () => resolve(Buffer.concat(chunks)));
    pdf.on('error', reject);
  });
  const left = 56;
  const width = pdf.page.width - 112;
  const grey = '#667085';

  pdf.font(BOLD).fontSize(22).fillColor('#101828').text(title(doc), left, 56);
  pdf.font(REGULAR).fontSize(10).fillColor(grey).text(issuer.name);
  const stamp = statusLabel[invoice.status].toUpperCase();
  pdf
    .font(BOLD)
    .fontSize(12)
    .fillColor(invoice.status === 'paid' ? '#067647' : invoice.status === 'open' ? '#b54708' : '#475467')
    .text(stamp, left, 60, { width, align: 'right' });

  const top = 130;
  const column = width / 3;
  const block = (x: number, heading: string, body: string[]) => {
    pdf
      .font(BOLD)
      .fontSize(8)
      .fillColor(grey)
      .text(heading.toUpperCase(), x, top, { width: column - 12 });
    pdf
      .font(REGULAR)
      .fontSize(10)
      .fillColor('#101828')
      .text(body.join('\n'), x, top + 14, { width: column - 12 });
  };
  block(left, 'From', [issuer.name, ...issuer.address.split('\n'), issuer.email].filter(Boolean));
  block(left + column, 'Bill to', billTo(invoice));
  block(left + 2 * column, 'Details', [
    `Issued ${day(invoice.finalized_at, timeZone)}`,
    `Due ${day(invoice.due_at, timeZone)}`,
    `Period ${day(invoice.period_start, timeZone)} – ${day(lastDay(invoice), timeZone)}`,
    ...(invoice.paid_at ? [`Paid ${day(invoice.paid_at, timeZone)}`] : []),
  ]);

  let y = 250;
  const amountX = left + width - 120;
  const qtyX = amountX - 60;
  pdf.font(BOLD).fontSize(8).fillColor(grey);
  pdf.text('DESCRIPTION', left, y).text('QTY', qtyX, y, { width: 50, align: 'right' });
  pdf.text('AMOUNT', amountX, y, { width: 120, align: 'right' });
  y += 14;
  pdf
    .moveTo(left, y)
    .lineTo(left + width, y)
    .strokeColor('#e4e7ec')
    .stroke();
  y += 8;
  pdf.font(REGULAR).fontSize(10).fillColor('#101828');
  for (const line of lines) {
    const height = pdf.heightOfString(line.description, { width: qtyX - left - 12 });
    pdf.text(line.description, left, y, { width: qtyX - left - 12 });
    pdf.text(line.quantity, qtyX, y, { width: 50, align: 'right' });
    pdf.text(money(invoice, line.amount), amountX, y, { width: 120, align: 'right' });
    y += Math.max(height, 12) + 10;
  }
  y += 6;
  const sums = totals(invoice);
  for (const [index, [label, value]] of sums.entries()) {
    const last = index === sums.length - 1;
    pdf.font(last ? BOLD : REGULAR).fontSize(10);
    pdf.fillColor(last ? '#101828' : '#475467').text(label, amountX - 160, y, { width: 160 });
    pdf.fillColor('#101828').text(value, amountX, y, { width: 120, align: 'right' });
    y += 18;
  }
  pdf
    .font(REGULAR)
    .fontSize(8)
    .fillColor(grey)
    .text(`Amounts in ${invoice.currency}.`, left, y + 24, { width });
  pdf.end();
  return done;
}
