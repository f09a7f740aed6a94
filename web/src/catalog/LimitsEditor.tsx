import type { Feature } from '../api/client';
import { Button, PlusIcon } from '../ui';
import type { LimitDraft } from './plan-draft';

/** Limits per feature: hard (refused at the limit) or soft (allowed, alerted), a number or unlimited. */
export function LimitsEditor({
  limits,
  features,
  onChange,
  errorAt,
}: {
  limits: LimitDraft[];
  features: Feature[];
  onChange: (limits: LimitDraft[]) => void;
  errorAt: (param: string) => string | undefined;
}) {
  const set = (i: number, change: Partial<LimitDraft>) =>
    onChange(limits.map((l, j) => (j === i ? { ...l, ...change } : l)));
  const unused = features.find((f) => !limits.some((l) => l.feature === f.code));
  return (
    <div className="editor-rows">
      {limits.length === 0 ? (
        <p className="editor-empty">No limits: everything is unlimited.</p>
      ) : (
        <div className="table-wrap">
          <table className="tier-table limits-table">
            <thead>
              <tr>
                <th>Feature</th>
                <th>When reached</th>
                <th>Limit</th>
                <th>Unlimited</th>
                <th>
                  <span className="visually-hidden">Remove</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {limits.map((limit, i) => {
                const n = i + 1;
                const message = errorAt(`limits.${i}.feature`) ?? errorAt(`limits.${i}.limit`);
                return (
                  <tr key={n} className={message ? 'tier-row-invalid' : undefined}>
                    <td>
                      <select
                        className="select"
                        aria-label={`Limit ${n} feature`}
                        value={limit.feature}
                        onChange={(e) => set(i, { feature: e.target.value })}
                      >
                        {features.map((f) => (
                          <option key={f.code} value={f.code}>
                            {f.name}
                          </option>
                        ))}
                      </select>
                      {message ? (
                        <span className="field-error" role="alert">
                          {message}
                        </span>
                      ) : null}
                    </td>
                    <td>
                      <select
                        className="select"
                        aria-label={`Limit ${n} mode`}
                        value={limit.mode}
                        onChange={(e) => set(i, { mode: e.target.value as LimitDraft['mode'] })}
                      >
                        <option value="hard">Hard: refuse</option>
                        <option value="soft">Soft: allow and alert</option>
                      </select>
                    </td>
                    <td>
                      <input
                        className="input"
                        aria-label={`Limit ${n} value`}
                        inputMode="numeric"
                        disabled={limit.unlimited}
                        value={limit.unlimited ? '' : limit.value}
                        placeholder={limit.unlimited ? '∞' : ''}
                        onChange={(e) => set(i, { value: e.target.value })}
                      />
                    </td>
                    <td>
                      <input
                        type="checkbox"
                        aria-label={`Limit ${n} unlimited`}
                        checked={limit.unlimited}
                        onChange={(e) => set(i, { unlimited: e.target.checked })}
                      />
                    </td>
                    <td>
                      <Button
                        size="small"
                        variant="ghost"
                        onClick={() => onChange(limits.filter((_, j) => j !== i))}
                      >
                        Remove<span className="visually-hidden"> limit {n}</span>
                      </Button>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      <div>
        <Button
          size="small"
          disabled={!unused}
          onClick={() =>
            unused &&
            onChange([...limits, { feature: unused.code, mode: 'hard', value: '', unlimited: false }])
          }
        >
          <PlusIcon size={16} />
          Add limit
        </Button>
      </div>
    </div>
  );
}
