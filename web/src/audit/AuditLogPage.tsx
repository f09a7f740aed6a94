import { useInfiniteQuery } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import type { AuditEvent } from '../api/client';
import { type AuditQuery, queries, rowsOf } from '../api/queries';
import { useSignedIn } from '../api/session';
import { formatDate, formatTime } from '../shared/format';
import {
  Alert,
  Button,
  Card,
  type Column,
  EmptyState,
  Input,
  Loading,
  loadMoreOf,
  Page,
  ScrollIcon,
  Table,
} from '../ui';
import './audit.css';

interface Filters {
  action: string;
  actorId: string;
  from: string;
  to: string;
}

const noFilters: Filters = { action: '', actorId: '', from: '', to: '' };

/** A date input's day, as the start of that day in the viewer's time zone. */
function startOfDay(day: string, plusDays = 0): string | undefined {
  const [y, m, d] = day.split('-').map(Number);
  if (!y || !m || !d) return undefined;
  return new Date(y, m - 1, d + plusDays).toISOString();
}

function queryOf(filters: Filters): AuditQuery {
  const gte = filters.from ? startOfDay(filters.from) : undefined;
  // "To" includes the whole day: events before the start of the next one.
  const lt = filters.to ? startOfDay(filters.to, 1) : undefined;
  return {
    ...(filters.action.trim() ? { action: filters.action.trim() } : {}),
    ...(filters.actorId.trim() ? { actor_id: filters.actorId.trim() } : {}),
    ...(gte ? { created_gte: gte } : {}),
    ...(lt ? { created_lt: lt } : {}),
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

export function AuditLogPage() {
  const { organization } = useSignedIn();
  const [draft, setDraft] = useState<Filters>(noFilters);
  const [filters, setFilters] = useState<Filters>(noFilters);
  const pages = useInfiniteQuery(queries.auditEvents(organization.id, queryOf(filters)));
  const events = rowsOf(pages.data);

  const apply = (event: FormEvent) => {
    event.preventDefault();
    setFilters({ ...draft });
  };
  const clear = () => {
    setDraft(noFilters);
    setFilters(noFilters);
  };
  const filtered = Object.values(filters).some((v) => v.trim() !== '');

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
      key: 'event',
      header: 'Event',
      render: (e) => (
        <div className="audit-event">
          <p className="audit-summary">{e.summary}</p>
          <span className="audit-action">{e.action}</span>
        </div>
      ),
    },
    { key: 'data', header: 'Recorded data', render: (e) => <RawEvent event={e} /> },
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
      {pages.error ? <Alert>{pages.error.message}</Alert> : null}
      <Card title="Events" flush className="audit-events">
        {pages.isPending ? (
          <Loading />
        ) : (
          <Table
            label="Audit events"
            columns={columns}
            rows={events}
            rowKey={(e) => e.id}
            loadMore={loadMoreOf(pages, ['event', 'events'])}
            empty={
              <EmptyState icon={<ScrollIcon />} title={filtered ? 'No matching events' : 'No events yet'}>
                {filtered
                  ? 'Try a shorter action prefix or a wider date range.'
                  : 'Changes to members, keys and settings will be recorded here.'}
              </EmptyState>
            }
          />
        )}
      </Card>
    </Page>
  );
}

/** What the event recorded, as the API has it: behind a disclosure, for whoever needs the detail. */
function RawEvent({ event }: { event: AuditEvent }) {
  const hasBefore = event.before !== null && event.before !== undefined;
  const hasAfter = event.after !== null && event.after !== undefined;
  return (
    <details className="audit-raw">
      <summary>Show JSON</summary>
      <dl>
        <dt>Actor</dt>
        <dd className="mono">
          {event.actor_type} {event.actor_id}
        </dd>
        <dt>Target</dt>
        <dd className="mono">
          {event.target_type} {event.target_id}
        </dd>
        {hasBefore ? (
          <>
            <dt>Before</dt>
            <dd>
              <code className="audit-json audit-json-before">{compact(event.before)}</code>
            </dd>
          </>
        ) : null}
        {hasAfter ? (
          <>
            <dt>After</dt>
            <dd>
              <code className="audit-json audit-json-after">{compact(event.after)}</code>
            </dd>
          </>
        ) : null}
      </dl>
    </details>
  );
}
