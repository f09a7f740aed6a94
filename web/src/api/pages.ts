import { unwrap } from './client';

export interface ListPage<T> {
  object: 'list';
  data: T[];
  has_more: boolean;
}

/** The largest page the API gives. */
const PAGE = 100;

/**
 * A whole list, for the views that show all of it or pick from it (a member to filter by, a plan to
 * move to): reads pages of 100, each after the last object of the one before, until the API says
 * there is no more. `read` makes the call with the page's query; `cursorOf` names an object as the
 * list's cursor does (its id, a member's user id, a feature's code).
 */
export async function allPages<T>(
  read: (query: { limit: number; starting_after?: string }) => Promise<{
    data?: ListPage<T>;
    error?: unknown;
    response: Response;
  }>,
  cursorOf: (item: T) => string = (item) => (item as { id: string }).id,
): Promise<ListPage<T>> {
  const data: T[] = [];
  let page = await unwrap(read({ limit: PAGE }));
  data.push(...page.data);
  while (page.has_more) {
    const last = page.data.at(-1);
    if (last === undefined) break;
    page = await unwrap(read({ limit: PAGE, starting_after: cursorOf(last) }));
    data.push(...page.data);
  }
  return { object: 'list', data, has_more: false };
}
