import { writeFileSync } from 'node:fs';
import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { InvoiceLineRow, InvoiceRow } from '../db/schema.js';
import { type InvoiceDocument, invoiceHtml, invoicePdf } from './render.js';

/**
 * The invoice's two documents write every amount the same way, with the currency's symbol and its
 * minor units in the customer's locale: ₹1,23,456.78 for a customer in India, ¥1,000 in yen, and a
 * credit as a negative amount. The PDF embeds a font that has the rupee sign, so it prints it.
 */

const at = (iso: string) => new Date(iso);

function documentOf(input: {
  currency: string;
  country: string;
  lines: [description: string, amount: bigint][];
  tax?: bigint;
}): InvoiceDocument {
  const subtotal = input.lines.reduce((sum, [, amount]) => sum + amount, 0n);
  const tax = input.tax ?? 0n;
  const invoice: InvoiceRow = {
    org_id: 'org_test',
    id: 'in_test',
    issuer_id: 'org_platform',
    customer_id: 'cus_test',
    subscription_id: null,
    number: 'BF-0042',
    status: 'paid',
    billing_reason: 'subscription_cycle',
    currency: input.currency,
    period_start: at('2027-03-01T00:00:00Z'),
    period_end: at('2027-04-01T00:00:00Z'),
    cycle_at: null,
    subtotal,
    tax,
    total: subtotal + tax,
    amount_paid: subtotal + tax,
    tax_name: 'GST',
    tax_percent: '18',
    tax_inclusive: false,
    bill_to: {
      name: 'Tata Compute',
      email: 'billing@tata.example',
      address_line1: '12 MG Road',
      address_line2: '',
      city: 'Bengaluru',
      state: 'KA',
      postal_code: '560001',
      country: input.country,
      tax_id: '',
    },
    due_at: at('2027-03-01T00:00:00Z'),
    finalized_at: at('2027-03-01T00:00:00Z'),
    paid_at: at('2027-03-01T00:00:00Z'),
    voided_at: null,
    auto_charge: true,
    attempt_count: 1,
    first_failed_at: null,
    next_attempt_at: null,
    created_at: at('2027-03-01T00:00:00Z'),
    updated_at: at('2027-03-01T00:00:00Z'),
  } as InvoiceRow;
  const lines = input.lines.map(
    ([description, amount], position): InvoiceLineRow => ({
      org_id: 'org_test',
      id: `il_${position}`,
      invoice_id: invoice.id,
      position,
      kind: amount < 0n ? 'proration_credit' : 'license',
      description,
      period_start: invoice.period_start,
      period_end: invoice.period_end,
      quantity: '1',
      unit_amount: String(amount),
      amount,
      plan_version_id: null,
    }),
  );
  return {
    invoice,
    lines,
    issuer: { name: 'Billfold Cloud', address: '500 Howard Street', email: 'billing@billfold.example' },
    timeZone: 'UTC',
  };
}

/** The text a PDF's fonts map their glyphs to (their ToUnicode tables), as code points. */
function unicodeOf(pdf: Buffer): Set<number> {
  const codePoints = new Set<number>();
  const text = pdf.toString('latin1');
  for (const match of text.matchAll(/stream\r?\n/g)) {
    const start = (match.index ?? 0) + match[0].length;
    const end = text.indexOf('endstream', start);
    let content: string;
    try {
      content = inflateSync(pdf.subarray(start, end)).toString('latin1');
    } catch {
      continue; // not a deflated stream (an image, a font program)
    }
    if (!content.includes('begincmap')) continue;
    // pdfkit maps its glyphs in ranges, each with the array of the code points they stand for.
    for (const [, targets] of content.matchAll(/\[([^\]]*)\]/g)) {
      for (const [, hex] of (targets ?? '').matchAll(/<([0-9a-fA-F]{4})>/g))
        codePoints.add(Number.parseInt(hex ?? '', 16));
    }
  }
  return codePoints;
}

const india = documentOf({
  currency: 'INR',
  country: 'IN',
  lines: [
    ['Pro India, March', 12345678n],
    ['Credit for the unused part of Starter', -50000n],
  ],
  tax: 2212022n,
});

describe('invoice documents', () => {
  it('write rupees with the symbol and Indian grouping, a credit as a negative amount, in HTML', () => {
    const html = invoiceHtml(india);
    for (const text of ['₹1,23,456.78', '-₹500.00', '₹1,22,956.78', '₹22,120.22', '₹1,45,077.00']) {
      expect(html).toContain(text);
    }
    expect(html).not.toContain('INR 1');
  });

  it('write dollars, euros, pounds and yen with their symbols', () => {
    const cases: [string, string, bigint, string][] = [
      ['USD', 'US', 1327n, '$13.27'],
      ['EUR', 'IE', 123456n, '€1,234.56'],
      ['GBP', 'GB', -1327n, '-£13.27'],
      ['JPY', 'JP', 1000n, '¥1,000'],
    ];
    for (const [currency, country, amount, text] of cases) {
      expect(invoiceHtml(documentOf({ currency, country, lines: [['Plan', amount]] }))).toContain(text);
    }
  });

  it('print ₹, €, £, $ and ¥ in the PDF with an embedded font that has them', async () => {
    const cases = [
      ['INR', india],
      ...(
        [
          ['EUR', 'IE'],
          ['GBP', 'GB'],
          ['USD', 'US'],
          ['JPY', 'JP'],
        ] as const
      ).map(
        ([currency, country]) =>
          [currency, documentOf({ currency, country, lines: [['Plan', 1000n]] })] as const,
      ),
    ] as const;
    const signs: Record<string, string> = { INR: '₹', EUR: '€', GBP: '£', USD: '$', JPY: '¥' };
    for (const [currency, document] of cases) {
      const pdf = await invoicePdf(document);
      // BILLFOLD_SAVE_DOCUMENTS=<folder> keeps them, to look at.
      if (process.env.BILLFOLD_SAVE_DOCUMENTS) {
        writeFileSync(`${process.env.BILLFOLD_SAVE_DOCUMENTS}/invoice-${currency}.pdf`, pdf);
      }
      expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
      expect(pdf.toString('latin1')).toContain('DejaVuSans');
      expect(pdf.toString('latin1')).not.toContain('/BaseFont /Helvetica');
      expect(unicodeOf(pdf)).toContain(signs[currency]?.codePointAt(0));
    }
  });
});
