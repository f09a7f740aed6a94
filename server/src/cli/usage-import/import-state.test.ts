import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type BatchOutcome,
  FileOrderCheckpoint,
  freshImportState,
  importStatePath,
  loadImportState,
  removeImportState,
  saveImportState,
} from './import-state.js';

const folder = mkdtempSync(join(tmpdir(), 'billfold-import-state-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

/** Batch `n` of 10 lines of 100 bytes: 8 accepted, 1 duplicate, 1 rejected on its last line. */
function batch(n: number): BatchOutcome {
  const end = { offset: (n + 1) * 1000, line: (n + 1) * 10 };
  return { end, accepted: 8, duplicates: 1, errors: [{ line: end.line, message: 'customer.not_found' }] };
}

describe('the import checkpoint', () => {
  it('moves only past batches whose every predecessor is acknowledged, in file order', () => {
    const path = importStatePath(join(folder, 'ordered.csv'));
    const checkpoint = new FileOrderCheckpoint(path, freshImportState('csv', ['event_id']));
    checkpoint.acknowledge(1, batch(1));
    checkpoint.acknowledge(2, batch(2));
    // Batch 0 is still on its way: a resumed run must send it, so nothing is saved yet.
    expect(existsSync(path)).toBe(false);
    checkpoint.acknowledge(0, batch(0));
    expect(loadImportState(path)).toMatchObject({ position: { offset: 3000, line: 30 }, accepted: 24 });
    checkpoint.acknowledge(4, batch(4));
    expect(loadImportState(path)?.position).toEqual({ offset: 3000, line: 30 });
    checkpoint.acknowledge(3, batch(3));
    expect(loadImportState(path)).toEqual({
      format: 'csv',
      columns: ['event_id'],
      position: { offset: 5000, line: 50 },
      accepted: 40,
      duplicates: 5,
      rejected: 5,
      firstErrors: [10, 20, 30, 40, 50].map((line) => ({ line, message: 'customer.not_found' })),
    });
  });

  it('counts every rejected row but keeps only the first few to show', () => {
    const path = importStatePath(join(folder, 'many-errors.ndjson'));
    const checkpoint = new FileOrderCheckpoint(path, freshImportState('ndjson', null));
    for (let n = 0; n < 8; n++) checkpoint.acknowledge(n, batch(n));
    const state = loadImportState(path);
    expect(state?.rejected).toBe(8);
    expect(state?.firstErrors.map((error) => error.line)).toEqual([10, 20, 30, 40, 50]);
  });

  it('is replaced whole, and is gone once removed', () => {
    const path = importStatePath(join(folder, 'replaced.ndjson'));
    writeFileSync(path, 'a much longer text than the state that replaces it, left by no one in particular');
    saveImportState(path, freshImportState('ndjson', null));
    expect(loadImportState(path)?.position).toEqual({ offset: 0, line: 0 });
    expect(existsSync(`${path}.next`)).toBe(false);
    removeImportState(path);
    expect(loadImportState(path)).toBeUndefined();
  });
});
