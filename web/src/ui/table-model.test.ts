import { constructTable } from '@tanstack/react-table';
import { storeReactivityBindings } from '@tanstack/table-core/store-reactivity-bindings';
import { describe, expect, it } from 'vitest';
import {
  type Column,
  columnDefsOf,
  compareSortValues,
  matchesFilter,
  nextSort,
  pageRangeText,
  type TableViewState,
  tableOptionsOf,
} from './table-model';

interface Member {
  id: string;
  name: string;
  role: string;
  balance: bigint | null;
  joined: Date;
}

const members: Member[] = [
  {
    id: 'm1',
    name: 'Zoë Ahmed',
    role: 'admin',
    balance: 9_007_199_254_740_993n,
    joined: new Date('2026-03-01'),
  },
  { id: 'm2', name: 'ada lovelace', role: 'owner', balance: null, joined: new Date('2026-01-01') },
  {
    id: 'm3',
    name: 'Plan 10 Bot',
    role: 'viewer',
    balance: 9_007_199_254_740_992n,
    joined: new Date('2026-02-01'),
  },
  { id: 'm4', name: 'Plan 9 Bot', role: 'admin', balance: -5n, joined: new Date('2026-04-01') },
];

const columns: Column<Member>[] = [
  { key: 'name', header: 'Name', render: (m) => m.name, sortValue: (m) => m.name },
  { key: 'role', header: 'Role', render: (m) => m.role, filterValue: (m) => m.role },
  { key: 'balance', header: 'Balance', render: (m) => String(m.balance), sortValue: (m) => m.balance },
  { key: 'joined', header: 'Joined', render: (m) => m.joined.toISOString(), sortValue: (m) => m.joined },
  { key: 'actions', header: '', render: () => 'Remove' },
];

/** The ids the table shows for a view, built as the component builds it. */
function shown(
  view: Partial<TableViewState>,
  pageSize?: number,
  manual?: { sorting?: boolean; filtering?: boolean },
) {
  const options = tableOptionsOf(
    columns,
    columnDefsOf(columns),
    members,
    (m) => m.id,
    { sorting: null, filter: '', pageIndex: 0, ...view },
    pageSize,
    manual,
  );
  // The component's useTable brings React's reactivity; outside React the store's own does.
  const table = constructTable({
    ...options,
    features: {
      coreReactivityFeature: storeReactivityBindings(),
      ...options.features,
    } as typeof options.features,
  });
  return { ids: table.getRowModel().rows.map((r) => r.id), table };
}

describe('the table model', () => {
  it('keeps the given order until a column is sorted', () => {
    expect(shown({}).ids).toEqual(['m1', 'm2', 'm3', 'm4']);
  });

  it('sorts text as people read it: case-insensitive, accents aside, numbers by value', () => {
    expect(shown({ sorting: { column: 'name', direction: 'asc' } }).ids).toEqual(['m2', 'm4', 'm3', 'm1']);
    expect(shown({ sorting: { column: 'name', direction: 'desc' } }).ids).toEqual(['m1', 'm3', 'm4', 'm2']);
  });

  it('sorts bigint amounts exactly, beyond a float’s precision, with absent amounts last both ways', () => {
    expect(shown({ sorting: { column: 'balance', direction: 'asc' } }).ids).toEqual(['m4', 'm3', 'm1', 'm2']);
    expect(shown({ sorting: { column: 'balance', direction: 'desc' } }).ids).toEqual([
      'm1',
      'm3',
      'm4',
      'm2',
    ]);
  });

  it('sorts dates by time', () => {
    expect(shown({ sorting: { column: 'joined', direction: 'asc' } }).ids).toEqual(['m2', 'm3', 'm1', 'm4']);
  });

  it('a column without sortValue cannot be sorted', () => {
    const { table } = shown({});
    expect(table.getColumn('role')?.getCanSort()).toBe(false);
    expect(table.getColumn('name')?.getCanSort()).toBe(true);
  });

  it('filters on every word, across columns, ignoring case and accents', () => {
    expect(shown({ filter: 'zoe' }).ids).toEqual(['m1']);
    expect(shown({ filter: 'ADMIN' }).ids).toEqual(['m1', 'm4']);
    expect(shown({ filter: 'bot admin' }).ids).toEqual(['m4']);
    expect(shown({ filter: 'nobody' }).ids).toEqual([]);
    expect(shown({ filter: '   ' }).ids).toEqual(['m1', 'm2', 'm3', 'm4']);
  });

  it('does not search a column that has neither a filter value nor a text sort value', () => {
    expect(matchesFilter(columns, members[0] as Member, 'Remove')).toBe(false);
    expect(matchesFilter(columns, members[0] as Member, '2026')).toBe(false);
  });

  it('pages after filtering and sorting', () => {
    const first = shown({ sorting: { column: 'name', direction: 'asc' } }, 3);
    expect(first.ids).toEqual(['m2', 'm4', 'm3']);
    expect(first.table.getPageCount()).toBe(2);
    expect(first.table.getCanNextPage()).toBe(true);
    expect(first.table.getCanPreviousPage()).toBe(false);
    const second = shown({ sorting: { column: 'name', direction: 'asc' }, pageIndex: 1 }, 3);
    expect(second.ids).toEqual(['m1']);
    expect(second.table.getCanNextPage()).toBe(false);
    expect(second.table.getPrePaginatedRowModel().rows).toHaveLength(4);
    const filtered = shown({ filter: 'admin' }, 3);
    expect(filtered.table.getPageCount()).toBe(1);
  });

  it('shows every row when the table has no page size', () => {
    const table = shown({}).table;
    expect(table.getRowModel().rows).toHaveLength(4);
  });

  it('leaves the order and the rows to the server when it sorts and filters', () => {
    const view = { sorting: { column: 'name', direction: 'asc' as const }, filter: 'zoe' };
    expect(shown(view, undefined, { sorting: true, filtering: true }).ids).toEqual(['m1', 'm2', 'm3', 'm4']);
    expect(shown(view, undefined, { sorting: true }).ids).toEqual(['m1']);
  });

  it('compares values of each kind', () => {
    expect(compareSortValues(2n, 10n)).toBe(-1);
    expect(compareSortValues(10, 2)).toBe(1);
    expect(compareSortValues('a', 'A')).toBe(0);
    expect(compareSortValues(new Date(1), new Date(1))).toBe(0);
  });

  it('cycles a header through ascending, descending and the rows’ own order', () => {
    expect(nextSort(null, 'name')).toEqual({ column: 'name', direction: 'asc' });
    expect(nextSort({ column: 'name', direction: 'asc' }, 'name')).toEqual({
      column: 'name',
      direction: 'desc',
    });
    expect(nextSort({ column: 'name', direction: 'desc' }, 'name')).toBeNull();
    expect(nextSort({ column: 'name', direction: 'desc' }, 'joined')).toEqual({
      column: 'joined',
      direction: 'asc',
    });
  });

  it('tells the page’s rows as "first–last of total"', () => {
    expect(pageRangeText(0, 25, 312)).toBe('1–25 of 312');
    expect(pageRangeText(12, 25, 312)).toBe('301–312 of 312');
    expect(pageRangeText(0, 25, 0)).toBe('0 of 0');
  });
});
