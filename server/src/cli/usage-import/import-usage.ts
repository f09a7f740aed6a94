import { statSync } from 'node:fs';
import {
  type BatchOutcome,
  FileOrderCheckpoint,
  freshImportState,
  type ImportState,
  importStatePath,
  loadImportState,
  type RowError,
  removeImportState,
} from './import-state.js';
import {
  type FilePosition,
  readCsvHeader,
  readUsageRows,
  type UsageEvent,
  UsageFileError,
  type UsageFileFormat,
} from './read-rows.js';
import { type BatchAnswer, type RetryPolicy, type Server, sendBatch } from './send-batch.js';

export interface ImportUsageOptions {
  file: string;
  format: UsageFileFormat;
  server: Server;
  /** Events per request (the route takes at most 1000). */
  batchSize: number;
  /** Requests in flight at once. */
  concurrency: number;
  /** Aborted by Ctrl-C: sending stops, and what was acknowledged stays in the checkpoint. */
  signal?: AbortSignal;
  retry?: RetryPolicy;
  progress?: ImportProgress;
}

/** What the command shows while it runs; the import itself prints nothing. */
export interface ImportProgress {
  started(fileBytes: number, state: Readonly<ImportState>): void;
  acknowledged(state: Readonly<ImportState>): void;
  retrying(reason: string, waitMs: number): void;
}

export interface ImportResult {
  /** The whole file is acknowledged; its checkpoint is removed. */
  complete: boolean;
  /** Where this run began: the start of the file, or a checkpoint of an earlier run. */
  resumedFrom: FilePosition;
  /** Counts over every run of this file, up to where it is acknowledged. */
  state: ImportState;
}

/** Rows read but not yet sent: the next request, and the lines its events came from. */
interface Batch {
  events: UsageEvent[];
  lines: number[];
  invalid: RowError[];
  end: FilePosition;
}

/**
 * Reads the file from its checkpoint on, sends it in batches, several at once, and moves the
 * checkpoint as the answers arrive in file order. Stops at the first refusal (ImportStopped) after
 * saving what was acknowledged before it.
 */
export async function importUsage(options: ImportUsageOptions): Promise<ImportResult> {
  const { file, format, server, batchSize, concurrency } = options;
  const statePath = importStatePath(file);
  const columns = format === 'csv' ? (await readCsvHeader(file)).columns : null;
  const fileBytes = statSync(file).size;
  const saved = loadImportState(statePath);
  if (saved) checkSameFile(saved, { file, format, columns, fileBytes });
  const checkpoint = new FileOrderCheckpoint(statePath, saved ?? freshImportState(format, columns));
  const resumedFrom = checkpoint.state.position;
  options.progress?.started(fileBytes, checkpoint.state);

  // One signal stops reading and sending: the person's Ctrl-C, or the first batch the server refuses.
  const stop = new AbortController();
  const interrupted = () => stop.abort();
  options.signal?.addEventListener('abort', interrupted, { once: true });
  let refusal: unknown;
  const inFlight = new Set<Promise<void>>();
  let sequence = 0;

  const dispatch = async (batch: Batch) => {
    const number = sequence++;
    if (batch.events.length === 0) {
      checkpoint.acknowledge(number, { end: batch.end, accepted: 0, duplicates: 0, errors: batch.invalid });
      return;
    }
    while (inFlight.size >= concurrency) await Promise.race(inFlight);
    if (stop.signal.aborted) return;
    const sending = sendBatch(server, batch.events, {
      signal: stop.signal,
      ...(options.retry ? { retry: options.retry } : {}),
      ...(options.progress ? { onRetry: options.progress.retrying.bind(options.progress) } : {}),
    }).then(
      (answer) => {
        checkpoint.acknowledge(number, outcomeOf(batch, answer));
        options.progress?.acknowledged(checkpoint.state);
      },
      (error: unknown) => {
        if (!stop.signal.aborted) {
          refusal = error;
          stop.abort();
        }
      },
    );
    inFlight.add(sending);
    void sending.finally(() => inFlight.delete(sending));
  };

  let batch: Batch = { events: [], lines: [], invalid: [], end: resumedFrom };
  let unreadable: unknown;
  try {
    for await (const row of readUsageRows(file, format, resumedFrom, { signal: stop.signal })) {
      if (row.kind === 'event') {
        batch.events.push(row.event);
        batch.lines.push(row.line);
      } else {
        batch.invalid.push({ line: row.line, message: row.message });
      }
      batch.end = row.end;
      // Invalid rows count towards the batch too: a file of nothing else must not pile up in one.
      if (batch.events.length + batch.invalid.length >= batchSize) {
        await dispatch(batch);
        batch = { events: [], lines: [], invalid: [], end: batch.end };
      }
      if (stop.signal.aborted) break;
    }
    if (!stop.signal.aborted && (batch.events.length > 0 || batch.invalid.length > 0)) await dispatch(batch);
  } catch (error) {
    // An abort ends the read with an AbortError. Anything else is the file's fault: the batches
    // before it are still sent, so the checkpoint stops just short of the row that cannot be read.
    if (!stop.signal.aborted) unreadable = error;
  }
  await Promise.all(inFlight);
  options.signal?.removeEventListener('abort', interrupted);
  if (refusal) throw refusal;
  if (unreadable) throw unreadable;

  const complete = !stop.signal.aborted;
  if (complete) removeImportState(statePath);
  return { complete, resumedFrom, state: { ...checkpoint.state } };
}

function outcomeOf(batch: Batch, answer: BatchAnswer): BatchOutcome {
  const errors = [
    ...batch.invalid,
    ...answer.errors.map((error) => ({
      line: batch.lines[error.index] ?? 0,
      message: `${error.code}: ${error.message}`,
    })),
  ].sort((a, b) => a.line - b.line);
  return { end: batch.end, accepted: answer.accepted, duplicates: answer.duplicates.length, errors };
}

/**
 * A checkpoint counts bytes of one file: resuming it on another (edited, or replaced by a newer
 * export) would skip rows that were never sent, so a mismatch is refused rather than guessed at.
 */
function checkSameFile(
  saved: ImportState,
  current: { file: string; format: UsageFileFormat; columns: string[] | null; fileBytes: number },
): void {
  const same =
    saved.format === current.format &&
    JSON.stringify(saved.columns) === JSON.stringify(current.columns) &&
    saved.position.offset <= current.fileBytes;
  if (!same)
    throw new UsageFileError(
      `${importStatePath(current.file)} was written while importing another file than ${current.file} is now; delete it to import ${current.file} from its start`,
    );
}
