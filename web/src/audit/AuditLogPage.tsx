import { type FormEvent, useCallback, useEffect, useRef, useState } from 'react';
import { type ApiError, type AuditEvent, type AuditPage, api, toApiError, unwrap } from '../api/client';
import { allPages } from '../api/pages';
import { useSignedIn } from '../api/session';
import { useApi } from '../api/useApi';
import { formatDate, formatTime } from '../shared/format';
import { Alert, Button, Card, type Column, EmptyState, Input, Loading, Page, ScrollIcon, Table } from '../ui';
import './audit.css';

interface Filters {
  action: string;
  actorId: string;
  from: string;
  to: string;
}

const noFilters: Filters = { action: '', actorId: '', from: '', to: '' };
const PAGE_SIZE = 25;

/** A date input's day, as the start of that day in the viewer's time zone. */
function startOfDay(day: string, plusDays = 0): string | undefined {
  const [y, m, d] = day.split('-').map(Number);
  if (!y || !m || !d) return undefined;
  return new Date(y, m - 1, d + plusDays).toISOString();
}

function queryOf(filters: Filters, startingAfter?: string) {
  const gte = filters.from ? startOfDay(filters.from) : undefined;
  // "To" includes the whole day: events before the start of the next one.
  const lt = filters.to ? startOfDay(filters.to, 1) : undefined;
  return {
    limit: PAGE_SIZE,
    ...(filters.action.trim() ? { action: filters.action.trim() } : {}),
    ...(filters.actorId.trim() ? { actor_id: filters.actorId.trim() } : {}),
    ...(gte ? { created_gte: gte } : {}),
    ...(lt ? { created_lt: lt } : {}),
    ...(startingAfter ? { starting_after: startingAfter } : {}),
  };
}

/** The API may hand a JSON value over as text; cells show the value itself. */
function parsed(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

/**
 * Compact JSON for the before/after cells, with a space after each top-level comma so a long object
 * wraps between its fields rather than inside a value.
 */
export function compact(value: unknown): string {
  const v = parsed(value);
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    const fields = Object.entries(v).map(([key, field]) => `${JSON.stringify(key)}:${JSON.stringify(field)}`);
    return `{${fields.join(', ')}}`;
  }
  return JSON.stringify(v);
}

const targetLabels: Record<string, string> = {
  api_key: 'API key',
  invitation: 'Invitation',
  organization: 'Organization',
  user: 'Person',
};

export function AuditLogPage() {
  const { organization } = useSignedIn();
  const [draft, setDraft] = useState<Filters>(noFilters);
  const [filters, setFilters] = useState<Filters>(noFilters);
  const [events, setEvents] = useState<AuditEvent[]>([]);
  const [hasMore, setHasMore] = useState(false);
  const [loading, setLoading] = useState(true);
  const [loadingMore, setLoadingMore] = useState(false);
  const [error, setError] = useState<ApiError | undefined>();
  const generation = useRef(0);
  const members = useApi(
    () =>
      allPages(
        (query) => api.GET('/v1/members', { params: { query } }),
        (m) => m.user_id,
      ),
    [organization.id],
  );
  const names = new Map((members.data?.data ?? []).map((m) => [m.user_id, m.name]));

  const fetchPage = useCallback(
    (f: Filters, startingAfter?: string): Promise<AuditPage> =>
      unwrap(api.GET('/v1/audit_events', { params: { query: queryOf(f, startingAfter) } })),
    [],
  );

  // biome-ignore lint/correctness/useExhaustiveDependencies: reload when the organization changes too
  useEffect(() => {
    const mine = ++generation.current;
    setLoading(true);
    setError(undefined);
    fetchPage(filters)
      .then((page) => {
        if (mine !== generation.current) return;
        setEvents(page.data);
        setHasMore(page.has_more);
      })
      .catch((e) => {
        if (mine === generation.current) setError(toApiError(e));
      })
      .finally(() => {
        if (mine === generation.current) setLoading(false);
      });
  }, [filters, fetchPage, organization.id]);

  const loadMore = async () => {
    const last = events[events.length - 1];
    if (!last) return;
    const mine = generation.current;
    setLoadingMore(true);
    try {
      const page = await fetchPage(filters, last.id);
      if (mine !== generation.current) return;
      setEvents((previous) => [...previous, ...page.data]);
      setHasMore(page.has_more);
    } catch (e) {
      setError(toApiError(e));
    } finally {
      setLoadingMore(false);
    }
  };

  const apply = (event: FormEvent) => {
    event.preventDefault();
    setFilters({ ...draft });
  };
  const clear = () => {
    setDraft(noFilters);
    setFilters(noFilters);
  };
  const filtered = Object.values(filters).some((v) => v.trim() !== '');

  const person = (id: string) => names.get(id);
  const columns: Column<AuditEvent>[] = [
    {
      key: 'time',
      header: 'Time',
      className: 'audit-time',
      render: (e) => (
        <div>
          <div>{formatDate(e.created_at)}</div>
          <div className="cell-secondary">{formatTime(e.created_at)}</div>
        </div>
      ),
    },
    {
      key: 'actor',
      header: 'Actor',
      render: (e) => {
        const name =
          e.actor_type === 'user' ? person(e.actor_id) : e.actor_type === 'api_key' ? 'API key' : 'System';
        return (
          <div>
            <div className="cell-primary">{name ?? 'Former member'}</div>
            <div className="cell-secondary mono">{e.actor_id}</div>
          </div>
        );
      },
    },
    { key: 'action', header: 'Action', render: (e) => <span className="audit-action">{e.action}</span> },
    {
      key: 'target',
      header: 'Target',
      render: (e) => {
        const name = e.target_type === 'user' ? person(e.target_id) : undefined;
        return (
          <div>
            <div>{name ?? targetLabels[e.target_type] ?? e.target_type.replaceAll('_', ' ')}</div>
            <div className="cell-secondary mono">{e.target_id}</div>
          </div>
        );
      },
    },
    {
      key: 'change',
      header: 'Before → after',
      render: (e) => <Change before={e.before} after={e.after} />,
    },
  ];

  return (
    <Page
      title="Audit log"
      description="Every change in this organization: who made it, when, and what changed."
    >
      <Card>
        <form className="audit-filters" onSubmit={apply} noValidate aria-label="Filter audit events">
          <Input
            label="Action prefix"
            placeholder="e.g. member."
            value={draft.action}
            onChange={(e) => setDraft({ ...draft, action: e.target.value })}
          />
          <Input
            label="Actor ID"
            placeholder="usr_…"
            value={draft.actorId}
            onChange={(e) => setDraft({ ...draft, actorId: e.target.value })}
          />
          <Input
            label="From"
            type="date"
            value={draft.from}
            onChange={(e) => setDraft({ ...draft, from: e.target.value })}
          />
          <Input
            label="To"
            type="date"
            value={draft.to}
            onChange={(e) => setDraft({ ...draft, to: e.target.value })}
          />
          <div className="audit-filters-actions">
            <Button onClick={clear} disabled={!filtered && Object.values(draft).every((v) => v === '')}>
              Clear
            </Button>
            <Button type="submit" variant="primary">
              Apply filters
            </Button>
          </div>
        </form>
      </Card>
      {error ? <Alert>{error.message}</Alert> : null}
      <Card title="Events" flush className="audit-events">
        {loading ? (
          <Loading />
        ) : (
          <>
            <Table
              label="Audit events"
              columns={columns}
              rows={events}
              rowKey={(e) => e.id}
              empty={
                <EmptyState icon={<ScrollIcon />} title={filtered ? 'No matching events' : 'No events yet'}>
                  {filtered
                    ? 'Try a shorter action prefix or a wider date range.'
                    : 'Changes to members, keys and settings will be recorded here.'}
                </EmptyState>
              }
            />
            {events.length > 0 ? (
              <div className="audit-footer">
                <span>
                  {events.length} event{events.length === 1 ? '' : 's'}
                  {hasMore ? '' : ', the end of the log'}
                </span>
                {hasMore ? (
                  <Button size="small" onClick={loadMore} busy={loadingMore}>
                    {loadingMore ? 'Loading…' : 'Load more'}
                  </Button>
                ) : null}
              </div>
            ) : null}
          </>
        )}
      </Card>
    </Page>
  );
}

function Change({ before, after }: { before: unknown; after: unknown }) {
  const hasBefore = before !== null && before !== undefined;
  const hasAfter = after !== null && after !== undefined;
  if (!hasBefore && !hasAfter) return <span className="muted">—</span>;
  const b = hasBefore ? compact(before) : '';
  const a = hasAfter ? compact(after) : '';
  return (
    <div className="audit-change">
      {hasBefore ? (
        <code className="audit-json audit-json-before" title={b}>
          {b}
        </code>
      ) : null}
      {hasBefore && hasAfter ? (
        <>
          <span className="audit-arrow" aria-hidden="true">
            →
          </span>
          <span className="visually-hidden">changed to</span>
        </>
      ) : null}
      {hasAfter ? (
        <code className="audit-json audit-json-after" title={a}>
          {a}
        </code>
      ) : null}
    </div>
  );
}
