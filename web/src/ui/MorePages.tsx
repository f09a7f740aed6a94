import { Button } from './Button';

/** A list the server gives a page at a time (a cursor list): what its footer needs to know. */
export interface LoadMore {
  /** The API said `has_more`. */
  hasMore: boolean;
  loading?: boolean;
  onLoadMore: () => void;
  /** Pages read so far: once more than one was, the footer stays to say the list is whole. */
  pagesRead?: number;
  /** What the list holds, singular and plural: ['invoice', 'invoices']. */
  noun?: readonly [string, string];
}

/** A TanStack infinite query as a LoadMore. */
export function loadMoreOf(
  query: {
    data?: { pages: unknown[] };
    hasNextPage: boolean;
    isFetchingNextPage: boolean;
    fetchNextPage: () => unknown;
  },
  noun?: readonly [string, string],
): LoadMore {
  return {
    hasMore: query.hasNextPage,
    loading: query.isFetchingNextPage,
    onLoadMore: () => void query.fetchNextPage(),
    pagesRead: query.data?.pages.length ?? 0,
    noun,
  };
}

/**
 * Under a list read a page at a time: while the API has more, how many are shown and a button that
 * reads the next page after the last one shown; once more than one page was read, that the list is
 * whole. A list that fits one page needs no footer. Tables show it through their `loadMore`.
 */
export function MorePages({ shown, more }: { shown: number; more: LoadMore }) {
  const [one, many] = more.noun ?? ['row', 'rows'];
  if (shown === 0 || (!more.hasMore && (more.pagesRead ?? 0) < 2)) return null;
  return (
    <div className="table-footer">
      <span>
        {shown} {shown === 1 ? one : many}
        {more.hasMore ? ' shown' : ', all of them'}
      </span>
      {more.hasMore ? (
        <Button size="small" onClick={more.onLoadMore} busy={more.loading}>
          {more.loading ? 'Loading…' : 'Load more'}
        </Button>
      ) : null}
    </div>
  );
}
