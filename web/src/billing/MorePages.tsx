import { Button } from '../ui';

/**
 * Under a list read a page at a time: while the API says it has more (`has_more`), how many are
 * shown and a button that reads the next page after the last one shown; once more than one page was
 * read, that the list is whole. A list that fits one page needs no footer.
 */
export function MorePages({
  shown,
  noun,
  pages,
}: {
  shown: number;
  /** What the list holds, singular and plural: ['invoice', 'invoices']. */
  noun: readonly [string, string];
  pages: {
    data?: { pages: unknown[] };
    hasNextPage: boolean;
    isFetchingNextPage: boolean;
    fetchNextPage: () => unknown;
  };
}) {
  const pagesRead = pages.data?.pages.length ?? 0;
  if (shown === 0 || (!pages.hasNextPage && pagesRead < 2)) return null;
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
