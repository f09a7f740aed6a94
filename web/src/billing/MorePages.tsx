import { Button } from '../ui';

/**
 * Under a list read a page at a time: how many are shown and, while the API says it has more
 * (`has_more`), a button that reads the next page after the last one shown.
 */
export function MorePages({
  shown,
  noun,
  pages,
}: {
  shown: number;
  /** What the list holds, singular and plural: ['invoice', 'invoices']. */
  noun: readonly [string, string];
  pages: { hasNextPage: boolean; isFetchingNextPage: boolean; fetchNextPage: () => unknown };
}) {
  if (shown === 0) return null;
  return (
    <div className="more-pages">
      <span>
        {shown} {shown === 1 ? noun[0] : noun[1]}
        {pages.hasNextPage ? ' shown' : ', all of them'}
      </span>
      {pages.hasNextPage ? (
        <Button size="small" onClick={() => pages.fetchNextPage()} busy={pages.isFetchingNextPage}>
          {pages.isFetchingNextPage ? 'Loading…' : 'Load more'}
        </Button>
      ) : null}
    </div>
  );
}
