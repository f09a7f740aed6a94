import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { queries } from '../api/queries';
import { useSignedIn } from '../api/session';
import { useDebounced } from '../shared/useDebounced';
import { Button, Input } from '../ui';

/**
 * The organizations a restricted plan is offered to: picked from the billing customers by name, or
 * added by id (an organization that has no billing customer yet).
 */
export function AudiencePicker({
  ids,
  onChange,
  error,
}: {
  ids: string[];
  onChange: (ids: string[]) => void;
  error: string | undefined;
}) {
  const { organization } = useSignedIn();
  const [search, setSearch] = useState('');
  const [other, setOther] = useState('');
  const customers = useQuery(queries.customerChoices(organization.id, useDebounced(search.trim(), 250)));
  const names = new Map((customers.data?.data ?? []).map((c) => [c.org_id, c.org_name]));
  const toggle = (id: string) => onChange(ids.includes(id) ? ids.filter((x) => x !== id) : [...ids, id]);
  const candidates = (customers.data?.data ?? []).filter((c) => !ids.includes(c.org_id));

  return (
    <fieldset className="audience span-2">
      <legend className="field-label">Organizations offered this plan</legend>
      {ids.length === 0 ? (
        <p className="editor-note">None yet: only operators see the plan until you add organizations.</p>
      ) : (
        <ul className="audience-chips">
          {ids.map((id) => (
            <li key={id}>
              <span>{names.get(id) ?? id}</span>
              <button
                type="button"
                className="chip-remove"
                aria-label={`Remove ${names.get(id) ?? id}`}
                onClick={() => toggle(id)}
              >
                ×
              </button>
            </li>
          ))}
        </ul>
      )}
      <div className="editor-grid">
        <Input
          label="Find a customer"
          placeholder="Name, email or organization"
          value={search}
          onChange={(e) => setSearch(e.target.value)}
        />
        <div className="audience-other">
          <Input
            label="Or an organization id"
            placeholder="org_…"
            value={other}
            onChange={(e) => setOther(e.target.value)}
            error={error}
          />
          <Button
            size="small"
            disabled={!/^org_[0-9A-Za-z]{8,40}$/.test(other.trim())}
            onClick={() => {
              if (!ids.includes(other.trim())) onChange([...ids, other.trim()]);
              setOther('');
            }}
          >
            Add
          </Button>
        </div>
      </div>
      {candidates.length > 0 ? (
        <ul className="audience-candidates" aria-label="Customers">
          {candidates.slice(0, 8).map((c) => (
            <li key={c.id}>
              <Button size="small" variant="ghost" onClick={() => toggle(c.org_id)}>
                + {c.org_name} <span className="text-muted-small">{c.name}</span>
              </Button>
            </li>
          ))}
        </ul>
      ) : null}
    </fieldset>
  );
}
