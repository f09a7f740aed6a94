import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { type Column, Table, type TableProps } from './Table';

interface Line {
  id: string;
  description: string;
  amount: bigint;
}

/** 312 lines, line 1 the dearest: enough for pages of 25. */
const lines: Line[] = Array.from({ length: 312 }, (_, i) => ({
  id: `line_${i + 1}`,
  description: `Line ${i + 1}`,
  amount: BigInt(1000 - i),
}));

const columns: Column<Line>[] = [
  {
    key: 'description',
    header: 'Description',
    render: (l) => l.description,
    sortValue: (l) => l.description,
  },
  { key: 'amount', header: 'Amount', render: (l) => String(l.amount), sortValue: (l) => l.amount },
  { key: 'note', header: 'Note', render: () => '' },
];

/** The table as the server renders it: a wide screen, before any effect. */
const render = (props: Partial<TableProps<Line>>) =>
  renderToStaticMarkup(
    createElement(Table<Line>, { columns, rows: lines, rowKey: (l) => l.id, label: 'Lines', ...props }),
  );

const bodyRows = (html: string) => (html.split('<tbody')[1]?.match(/<tr /g) ?? []).length;

describe('the Table', () => {
  it('renders the props it always took as before: every row, plain headers, no controls', () => {
    const html = render({ columns: columns.map(({ sortValue: _, ...plain }) => plain) });
    expect(bodyRows(html)).toBe(312);
    expect(html).not.toContain('<button');
    expect(html).not.toContain('aria-sort');
    expect(html).not.toContain('type="search"');
    expect(html).toContain('data-label="Amount"');
  });

  it('shows the empty state for no rows', () => {
    expect(render({ rows: [], empty: 'Nothing yet' })).toBe('Nothing yet');
  });

  it('makes a sortable column’s header a button and marks the sorted one with aria-sort', () => {
    const html = render({ initialSort: { column: 'amount', direction: 'asc' } });
    expect(html.match(/<button type="button" class="table-sort"/g)).toHaveLength(2);
    expect(html).toMatch(/<th[^>]*aria-sort="ascending"[^>]*>.*?Amount/);
    expect(html.match(/aria-sort=/g)).toHaveLength(1);
    // Ascending by amount: the last line, the cheapest, first.
    expect(html.indexOf('Line 312')).toBeLessThan(html.indexOf('Line 311'));
  });

  it('shows a page at a time, told as "1–25 of 312", with Previous disabled on the first', () => {
    const html = render({ pageSize: 25 });
    expect(bodyRows(html)).toBe(25);
    expect(html).toContain('1–25 of 312');
    expect(html).toMatch(/<nav class="table-footer" aria-label="Lines pages">/);
    expect(html).toMatch(/<button type="button" class="btn btn-secondary btn-small" disabled="">Previous/);
    expect(html).toMatch(/<button type="button" class="btn btn-secondary btn-small">Next/);
  });

  it('has no pager when one page holds every row', () => {
    expect(render({ pageSize: 500 })).not.toContain('table-footer');
  });

  it('gives the filter a label', () => {
    const html = render({ filterPlaceholder: 'Filter by description' });
    const id = html.match(/<input id="([^"]+)" type="search"/)?.[1];
    expect(id).toBeDefined();
    expect(html).toContain(`<label for="${id}" class="visually-hidden">Filter lines</label>`);
    expect(html).toContain('placeholder="Filter by description"');
  });

  it('offers the server’s next page while it has more, and shows rows in the server’s order when it sorts', () => {
    const more = render({
      rows: lines.slice(0, 100),
      loadMore: { hasMore: true, onLoadMore: () => {}, noun: ['line', 'lines'] },
      sort: { column: 'amount', direction: 'asc' },
      onSortChange: () => {},
    });
    expect(more).toContain('100 lines shown');
    expect(more).toMatch(/<button[^>]*>Load more<\/button>/);
    expect(more).toMatch(/aria-sort="ascending"/);
    expect(more.indexOf('Line 1<')).toBeLessThan(more.indexOf('Line 2<'));
    const end = render({
      rows: lines.slice(0, 100),
      loadMore: { hasMore: false, onLoadMore: () => {}, pagesRead: 4, noun: ['line', 'lines'] },
    });
    expect(end).not.toContain('Load more');
    expect(end).toContain('100 lines, all of them');
    // A list that fitted one page needs no footer.
    const onePage = render({
      rows: lines.slice(0, 3),
      loadMore: { hasMore: false, onLoadMore: () => {}, pagesRead: 1 },
    });
    expect(onePage).not.toContain('all of them');
  });
});
