import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { type FilePosition, START_OF_FILE, type UsageFileFormat } from './read-rows.js';

/** A rejected row, by the line the person can open the file at. */
export interface RowError {
  line: number;
  message: string;
}

/** How many rejected rows the summary names; the rest are only counted. */
export const ERRORS_SHOWN = 5;

/**
 * What FILE.import-state holds: how far the file is acknowledged by the server (every row before
 * `position` is counted there, or rejected), and the counts so far, so that a second run continues
 * where the first one stopped and its summary covers the whole file.
 */
export interface ImportState {
  format: UsageFileFormat;
  /** The CSV header the position was counted under: a different file at the same path is refused. */
  columns: string[] | null;
  position: FilePosition;
  accepted: number;
  duplicates: number;
  rejected: number;
  firstErrors: RowError[];
}

export function importStatePath(file: string): string {
  return `${file}.import-state`;
}

export function freshImportState(format: UsageFileFormat, columns: string[] | null): ImportState {
  return {
    format,
    columns,
    position: START_OF_FILE,
    accepted: 0,
    duplicates: 0,
    rejected: 0,
    firstErrors: [],
  };
}

export function loadImportState(path: string): ImportState | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  return JSON.parse(text) as ImportState;
}

/**
 * Written whole to a neighbour and renamed over the old one, so that a kill at any instant leaves
 * either the previous checkpoint or the new one, never half of one. No fsync: the checkpoint must
 * survive the importer's death, which the page cache does; after a power cut an older checkpoint
 * only means more rows sent again, which the server counts as duplicates.
 */
export function saveImportState(path: string, state: ImportState): void {
  const next = `${path}.next`;
  writeFileSync(next, `${JSON.stringify(state)}\n`);
  renameSync(next, path);
}

export function removeImportState(path: string): void {
  rmSync(path, { force: true });
}

/** What the server (or the reader, for rows it could not send) made of one batch. */
export interface BatchOutcome {
  end: FilePosition;
  accepted: number;
  duplicates: number;
  errors: RowError[];
}

/**
 * Batches are sent several at once and answered in any order, but the checkpoint may only move past
 * a batch once every batch before it is answered too: otherwise a resumed run would skip an earlier
 * batch that never arrived. Answers are held here until the ones before them come in.
 */
export class FileOrderCheckpoint {
  readonly #path: string;
  readonly #state: ImportState;
  readonly #waiting = new Map<number, BatchOutcome>();
  #next = 0;

  constructor(path: string, state: ImportState) {
    this.#path = path;
    this.#state = state;
  }

  get state(): Readonly<ImportState> {
    return this.#state;
  }

  /** Batch number `sequence` (0, 1, 2, ... in file order) is answered. */
  acknowledge(sequence: number, outcome: BatchOutcome): void {
    this.#waiting.set(sequence, outcome);
    let advanced = false;
    for (let ready = this.#waiting.get(this.#next); ready; ready = this.#waiting.get(this.#next)) {
      this.#waiting.delete(this.#next);
      this.#next += 1;
      this.#apply(ready);
      advanced = true;
    }
    if (advanced) saveImportState(this.#path, this.#state);
  }

  #apply(outcome: BatchOutcome): void {
    const state = this.#state;
    state.position = outcome.end;
    state.accepted += outcome.accepted;
    state.duplicates += outcome.duplicates;
    state.rejected += outcome.errors.length;
    for (const error of outcome.errors) {
      if (state.firstErrors.length >= ERRORS_SHOWN) break;
      state.firstErrors.push(error);
    }
  }
}
