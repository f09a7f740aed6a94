import { type ReactNode, useEffect, useState } from 'react';

export interface Column<T> {
  key: string;
  /** A text header also names the column's value on a phone, where each row is a card. */
  header: ReactNode;
  render: (row: T) => ReactNode;
  className?: string;
}

export interface TableProps<T> {
  columns: readonly Column<T>[];
  rows: readonly T[];
  rowKey: (row: T) => string;
  /** Names the table for assistive technology (and tests). */
  label: string;
  empty?: ReactNode;
}

/**
 * A table of rows. On a wide screen it is a table, scrolled sideways inside its card when it is wider;
 * on a phone (theme.css) each row is a card of "column: value" lines, so nothing is past the edge.
 * The roles are spelt out because a table restyled as blocks loses its semantics in some browsers
 * (Safari with VoiceOver), and a card's cells must still read as the table's.
 */
export function Table<T>({ columns, rows, rowKey, label, empty }: TableProps<T>) {
  if (rows.length === 0 && empty) return <>{empty}</>;
  return (
    <TableScroll label={label}>
      {/* biome-ignore-start lint/a11y/noRedundantRoles: see the comment above: the roles survive the phone's block layout */}
      <table className="table" aria-label={label} role="table">
        <thead role="rowgroup">
          <tr role="row">
            {columns.map((column) => (
              <th key={column.key} scope="col" className={column.className} role="columnheader">
                {column.header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody role="rowgroup">
          {rows.map((row) => (
            <tr key={rowKey(row)} role="row">
              {columns.map((column) => (
                <td
                  key={column.key}
                  role="cell"
                  className={column.className}
                  data-label={typeof column.header === 'string' ? column.header : undefined}
                >
                  <div className="table-value">{column.render(row)}</div>
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      {/* biome-ignore-end lint/a11y/noRedundantRoles: see above */}
    </TableScroll>
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
