import { type RowData, useTable } from '@tanstack/react-table';
import { type ReactNode, useEffect, useId, useMemo, useState, useSyncExternalStore } from 'react';
import { Button } from './Button';
import { type LoadMore, MorePages } from './MorePages';
import {
  type Column,
  columnDefsOf,
  nextSort,
  pageRangeText,
  type SortState,
  type TableViewState,
  tableOptionsOf,
} from './table-model';

export type { Column, SortState, SortValue } from './table-model';

export interface TableProps<T extends RowData> {
  columns: readonly Column<T>[];
  rows: readonly T[];
  rowKey: (row: T) => string;
  /** Names the table for assistive technology (and tests). */
  label: string;
  empty?: ReactNode;
  /** A search box over the rows, searching each column's filterValue (or text sortValue). */
  filterable?: boolean;
  /** The search box's hint; giving one also turns the search box on. */
  filterPlaceholder?: string;
  /** Shows this many rows at a time, with Previous and Next. */
  pageSize?: number;
  /** The order before anyone sorts. */
  initialSort?: SortState;
  /**
   * The server sorts: the table shows `sort` on its headers and tells a click to onSortChange, and
   * shows the rows in the order given (a statement's lines sorted by the API, across all its pages).
   */
  sort?: SortState | null;
  onSortChange?: (sort: SortState | null) => void;
  /** The server filters: the search box tells its text to onFilterChange, and every row given shows. */
  filter?: string;
  onFilterChange?: (filter: string) => void;
  /**
   * The server's next page. Sorting and filtering act on the rows loaded so far, so a list the server
   * pages should sort and filter on the server, or say so.
   */
  loadMore?: LoadMore;
}

/** Where the phone layout starts (theme.css): rows are cards there, and their headers are out of sight. */
const PHONE = '(max-width: 640px)';

function useMediaQuery(query: string) {
  return useSyncExternalStore(
    (onChange) => {
      const list = window.matchMedia(query);
      list.addEventListener('change', onChange);
      return () => list.removeEventListener('change', onChange);
    },
    () => window.matchMedia(query).matches,
    () => false,
  );
}

/**
 * A table of rows, through TanStack Table (ui/table-model.ts) for sorting, filtering and pages. On a
 * wide screen it is a table, scrolled sideways inside its card when it is wider; on a phone
 * (theme.css) each row is a card of "column: value" lines, so nothing is past the edge, and sorting is
 * a "Sort by" select, since the headers are out of sight.
 * The roles are spelt out because a table restyled as blocks loses its semantics in some browsers
 * (Safari with VoiceOver), and a card's cells must still read as the table's.
 */
export function Table<T extends RowData>({
  columns,
  rows,
  rowKey,
  label,
  empty,
  filterable,
  filterPlaceholder,
  pageSize,
  initialSort,
  sort,
  onSortChange,
  filter,
  onFilterChange,
  loadMore,
}: TableProps<T>) {
  const [ownView, setView] = useState<TableViewState>({
    sorting: initialSort ?? null,
    filter: '',
    pageIndex: 0,
  });
  const manual = { sorting: onSortChange !== undefined, filtering: onFilterChange !== undefined };
  const view: TableViewState = {
    sorting: manual.sorting ? (sort ?? null) : ownView.sorting,
    filter: manual.filtering ? (filter ?? '') : ownView.filter,
    pageIndex: ownView.pageIndex,
  };
  const columnDefs = useMemo(() => columnDefsOf(columns), [columns]);
  const table = useTable(tableOptionsOf(columns, columnDefs, rows, rowKey, view, pageSize, manual));
  const phone = useMediaQuery(PHONE);
  const filterId = useId();

  const matching = table.getPrePaginatedRowModel().rows.length;
  const pageCount = pageSize === undefined ? 1 : Math.max(1, Math.ceil(matching / pageSize));
  // Fewer rows (a deletion, a narrower filter) may leave the page past the end: show the last one.
  useEffect(() => {
    if (view.pageIndex >= pageCount) setView((v) => ({ ...v, pageIndex: pageCount - 1 }));
  }, [view.pageIndex, pageCount]);

  if (rows.length === 0 && empty && !loadMore?.hasMore) return <>{empty}</>;

  const sortable = columns.filter((column) => column.sortValue);
  const showFilter = filterable === true || filterPlaceholder !== undefined;
  const sortOnPhone = phone && sortable.length > 0;
  const setSort = (sorting: SortState | null) => {
    setView((v) => ({ ...v, sorting, pageIndex: 0 }));
    onSortChange?.(sorting);
  };
  const setFilter = (text: string) => {
    setView((v) => ({ ...v, filter: text, pageIndex: 0 }));
    onFilterChange?.(text);
  };
  const shown = table.getRowModel().rows;

  return (
    <div className="table-block">
      {showFilter || sortOnPhone ? (
        <div className="table-toolbar">
          {showFilter ? (
            <div className="table-filter">
              <label htmlFor={filterId} className="visually-hidden">
                Filter {label.toLowerCase()}
              </label>
              <input
                id={filterId}
                type="search"
                className="input"
                placeholder={filterPlaceholder ?? 'Filter'}
                value={view.filter}
                onChange={(e) => setFilter(e.target.value)}
              />
            </div>
          ) : null}
          {sortOnPhone ? (
            <SortSelect columns={sortable} sorting={view.sorting} onChange={setSort} tableLabel={label} />
          ) : null}
          {showFilter && view.filter.trim() !== '' && !manual.filtering ? (
            <span className="table-count" role="status">
              {matching} of {rows.length} match
            </span>
          ) : null}
        </div>
      ) : null}
      <TableScroll label={label}>
        {/* biome-ignore-start lint/a11y/noRedundantRoles: see the comment above: the roles survive the phone's block layout */}
        <table className="table" aria-label={label} role="table">
          <thead role="rowgroup">
            <tr role="row">
              {columns.map((column) => {
                const sorted = view.sorting?.column === column.key ? view.sorting.direction : null;
                return (
                  <th
                    key={column.key}
                    scope="col"
                    className={column.className}
                    role="columnheader"
                    aria-sort={sorted ? (sorted === 'asc' ? 'ascending' : 'descending') : undefined}
                  >
                    {column.sortValue && !phone ? (
                      <button
                        type="button"
                        className="table-sort"
                        onClick={() => setSort(nextSort(view.sorting, column.key))}
                      >
                        {column.header}
                        <SortArrow direction={sorted} />
                      </button>
                    ) : (
                      column.header
                    )}
                  </th>
                );
              })}
            </tr>
          </thead>
          <tbody role="rowgroup">
            {shown.map((row) => (
              <tr key={row.id} role="row">
                {columns.map((column) => (
                  <td
                    key={column.key}
                    role="cell"
                    className={column.className}
                    data-label={typeof column.header === 'string' ? column.header : undefined}
                  >
                    <div className="table-value">{column.render(row.original)}</div>
                  </td>
                ))}
              </tr>
            ))}
            {shown.length === 0 && rows.length > 0 ? (
              <tr role="row">
                <td role="cell" colSpan={columns.length} className="table-no-match">
                  <div className="table-value">
                    No {label.toLowerCase()} match “{view.filter.trim()}”.
                  </div>
                </td>
              </tr>
            ) : null}
          </tbody>
        </table>
        {/* biome-ignore-end lint/a11y/noRedundantRoles: see above */}
      </TableScroll>
      {pageSize !== undefined && matching > pageSize ? (
        <nav className="table-footer" aria-label={`${label} pages`}>
          <span>{pageRangeText(Math.min(view.pageIndex, pageCount - 1), pageSize, matching)}</span>
          <div className="table-footer-actions">
            <Button
              size="small"
              disabled={!table.getCanPreviousPage()}
              onClick={() => setView((v) => ({ ...v, pageIndex: v.pageIndex - 1 }))}
            >
              Previous
            </Button>
            <Button
              size="small"
              disabled={!table.getCanNextPage()}
              onClick={() => setView((v) => ({ ...v, pageIndex: v.pageIndex + 1 }))}
            >
              Next
            </Button>
          </div>
        </nav>
      ) : null}
      {loadMore ? <MorePages shown={rows.length} more={loadMore} /> : null}
    </div>
  );
}

function SortArrow({ direction }: { direction: 'asc' | 'desc' | null }) {
  // The th's aria-sort tells the order; the arrow is for the eye. An unsorted column shows a faint
  // double arrow, so that it is seen to be sortable.
  return (
    <svg className={`table-sort-arrow${direction ? '' : ' is-idle'}`} viewBox="0 0 10 12" aria-hidden="true">
      {direction !== 'desc' ? <path d="M5 1 L9 5 H1 Z" /> : null}
      {direction !== 'asc' ? <path d="M5 11 L9 7 H1 Z" /> : null}
    </svg>
  );
}

/** The phone's sort control: the cards have no headers to press. */
function SortSelect<T>({
  columns,
  sorting,
  onChange,
  tableLabel,
}: {
  columns: readonly Column<T>[];
  sorting: SortState | null;
  onChange: (sorting: SortState | null) => void;
  tableLabel: string;
}) {
  const id = useId();
  const nameOf = (column: Column<T>) => (typeof column.header === 'string' ? column.header : column.key);
  return (
    <div className="table-sort-select">
      <label htmlFor={id}>
        Sort by<span className="visually-hidden"> {tableLabel.toLowerCase()}</span>
      </label>
      <select
        id={id}
        className="select"
        value={sorting ? `${sorting.column}:${sorting.direction}` : ''}
        onChange={(e) => {
          const [column, direction] = e.target.value.split(':');
          onChange(column && (direction === 'asc' || direction === 'desc') ? { column, direction } : null);
        }}
      >
        <option value="">As listed</option>
        {columns.flatMap((column) => [
          <option key={`${column.key}:asc`} value={`${column.key}:asc`}>
            {nameOf(column)}, ascending
          </option>,
          <option key={`${column.key}:desc`} value={`${column.key}:desc`}>
            {nameOf(column)}, descending
          </option>,
        ])}
      </select>
    </div>
  );
}

/**
 * The box a table scrolls sideways in when it is wider than its card. Only while it is does the box
 * take a tab stop, named like the table, so that a keyboard can scroll it too.
 */
export function TableScroll({ label, children }: { label: string; children: ReactNode }) {
  const [box, setBox] = useState<HTMLDivElement | null>(null);
  const [scrolls, setScrolls] = useState(false);
  useEffect(() => {
    if (!box) return;
    const measure = () => setScrolls(box.scrollWidth > box.clientWidth);
    const observer = new ResizeObserver(measure);
    observer.observe(box);
    if (box.firstElementChild) observer.observe(box.firstElementChild);
    return () => observer.disconnect();
  }, [box]);
  return (
    <div
      ref={setBox}
      className="table-wrap"
      {...(scrolls ? { role: 'region', 'aria-label': label, tabIndex: 0 } : {})}
    >
      {children}
    </div>
  );
}
