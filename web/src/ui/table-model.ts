import {
  type ColumnDef,
  columnFilteringFeature,
  createFilteredRowModel,
  createPaginatedRowModel,
  createSortedRowModel,
  type FilterFn,
  globalFilteringFeature,
  type Row,
  type RowData,
  rowPaginationFeature,
  rowSortingFeature,
  type SortFn,
  tableFeatures,
} from '@tanstack/react-table';
import type { ReactNode } from 'react';

/** What a column sorts by: money in minor units is a bigint, so numbers are compared without floats. */
export type SortValue = string | number | bigint | Date | null | undefined;

export interface Column<T> {
  key: string;
  /** A text header also names the column's value on a phone, where each row is a card. */
  header: ReactNode;
  render: (row: T) => ReactNode;
  className?: string;
  /** Makes the column sortable, by this value (nulls last in either direction). */
  sortValue?: (row: T) => SortValue;
  /**
   * The text the table's filter searches in this column. Without it a column is searched by its
   * sortValue when that is text; a column with neither is not searched.
   */
  filterValue?: (row: T) => string | null | undefined;
}

export type SortDirection = 'asc' | 'desc';
export interface SortState {
  column: string;
  direction: SortDirection;
}

/**
 * The table's features, registered once for every table (TanStack Table keeps its models stable only
 * when these are). Each table uses only what its props ask for: a table without sortValue columns,
 * a filter or a page size behaves as the plain list it was.
 */
export const features = tableFeatures({
  rowSortingFeature,
  columnFilteringFeature,
  globalFilteringFeature,
  rowPaginationFeature,
  sortedRowModel: createSortedRowModel(),
  filteredRowModel: createFilteredRowModel(),
  paginatedRowModel: createPaginatedRowModel(),
});

type Features = typeof features;

/**
 * Orders two present sort values ascending. Values of one column are of one type; text compares as
 * people read it (case-insensitive, "Plan 9" before "Plan 10").
 */
export function compareSortValues(
  a: Exclude<SortValue, null | undefined>,
  b: Exclude<SortValue, null | undefined>,
) {
  if (typeof a === 'string' && typeof b === 'string') return textOrder.compare(a, b);
  if (a instanceof Date && b instanceof Date) return Math.sign(a.getTime() - b.getTime());
  if ((typeof a === 'number' || typeof a === 'bigint') && (typeof b === 'number' || typeof b === 'bigint')) {
    return a < b ? -1 : a > b ? 1 : 0;
  }
  return textOrder.compare(String(a), String(b));
}

const textOrder = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

const bySortValue: SortFn<Features, RowData> = (rowA, rowB, columnId) => {
  const a = rowA.getValue<SortValue>(columnId);
  const b = rowB.getValue<SortValue>(columnId);
  // Absent values are placed by sortUndefined before this is asked; both present here.
  return compareSortValues(
    a as Exclude<SortValue, null | undefined>,
    b as Exclude<SortValue, null | undefined>,
  );
};

/** The text a row shows in a column, for the filter; undefined when the column is not searched. */
export function filterTextOf<T>(column: Column<T>, row: T): string | undefined {
  if (column.filterValue) return column.filterValue(row) ?? '';
  if (column.sortValue) {
    const value = column.sortValue(row);
    return typeof value === 'string' ? value : undefined;
  }
  return undefined;
}

/**
 * A row matches the filter when every word of it is in some searched column ("ada admin" finds Ada,
 * an admin), case- and accent-insensitively.
 */
export function matchesFilter<T>(columns: readonly Column<T>[], row: T, query: string) {
  const words = normalize(query).split(/\s+/).filter(Boolean);
  if (words.length === 0) return true;
  const texts = columns.map((c) => filterTextOf(c, row)).filter((t): t is string => t !== undefined);
  const haystack = normalize(texts.join('\n'));
  return words.every((word) => haystack.includes(word));
}

function normalize(text: string) {
  return text
    .normalize('NFD')
    .replace(/\p{Diacritic}/gu, '')
    .toLowerCase();
}

/** Our columns as TanStack's: the key is the id, sortValue the accessor. */
export function columnDefsOf<T extends RowData>(columns: readonly Column<T>[]): ColumnDef<Features, T>[] {
  return columns.map((column) => {
    const sortValue = column.sortValue;
    return {
      id: column.key,
      // A null is absent, so sortUndefined places it; the accessor of an unsortable column is unused.
      accessorFn: (row: T) => (sortValue ? (sortValue(row) ?? undefined) : undefined),
      enableSorting: sortValue !== undefined,
      sortFn: bySortValue as unknown as SortFn<Features, T>,
      sortUndefined: 'last' as const,
    };
  });
}

/**
 * The global filter, over the whole row: TanStack asks it column by column and keeps a row any
 * column accepts, and a query's words may match in different columns, so it is asked of one.
 */
export function globalFilterOf<T extends RowData>(columns: readonly Column<T>[]): FilterFn<Features, T> {
  return (row: Row<Features, T>, _columnId: string, query: unknown) =>
    matchesFilter(columns, row.original, typeof query === 'string' ? query : '');
}

export interface TableViewState {
  sorting: SortState | null;
  filter: string;
  pageIndex: number;
}

/**
 * The options TanStack's table is built from, for the component and its tests alike. Sorting,
 * filtering and the page are held by the caller (controlled), one column sorted at a time; a table
 * without a page size shows every row.
 */
export function tableOptionsOf<T extends RowData>(
  columns: readonly Column<T>[],
  columnDefs: ColumnDef<Features, T>[],
  rows: readonly T[],
  rowKey: (row: T) => string,
  view: TableViewState,
  pageSize: number | undefined,
  /** The server sorts or filters the rows: the table shows them in the order given, all of them. */
  manual: { sorting?: boolean; filtering?: boolean } = {},
) {
  const firstKey = columns[0]?.key;
  return {
    features,
    columns: columnDefs,
    data: rows as T[],
    getRowId: (row: T) => rowKey(row),
    state: {
      sorting: view.sorting ? [{ id: view.sorting.column, desc: view.sorting.direction === 'desc' }] : [],
      globalFilter: view.filter,
      columnFilters: [],
      pagination: { pageIndex: view.pageIndex, pageSize: pageSize ?? Number.MAX_SAFE_INTEGER },
    },
    enableMultiSort: false,
    manualSorting: manual.sorting === true,
    manualFiltering: manual.filtering === true,
    globalFilterFn: globalFilterOf(columns),
    getColumnCanGlobalFilter: (column: { id: string }) => column.id === firstKey,
    manualPagination: pageSize === undefined,
    autoResetPageIndex: false,
  };
}

/** A sortable header's click: ascending, then descending, then back to the rows' own order. */
export function nextSort(current: SortState | null, column: string): SortState | null {
  if (current?.column !== column) return { column, direction: 'asc' };
  return current.direction === 'asc' ? { column, direction: 'desc' } : null;
}

/** "1–25 of 312": the rows a page shows, counted from one. */
export function pageRangeText(pageIndex: number, pageSize: number, rowCount: number) {
  if (rowCount === 0) return '0 of 0';
  const first = pageIndex * pageSize + 1;
  const last = Math.min(rowCount, first + pageSize - 1);
  return `${first}–${last} of ${rowCount}`;
}
