import { createReadStream } from 'node:fs';
import { extname } from 'node:path';
import { parse } from 'csv-parse';

/** One usage event as POST /v1/events/batch takes it (METERING contract). */
export interface UsageEvent {
  event_id: string;
  customer: string;
  code: string;
  timestamp?: string;
  properties?: Record<string, string | number | boolean | null>;
}

export type UsageFileFormat = 'ndjson' | 'csv';

/**
 * Where reading stands in the file: `offset` is the byte just after the last row read, `line` the
 * number of lines up to it. A checkpoint is one of these, so reading resumes at a row's boundary.
 */
export interface FilePosition {
  offset: number;
  line: number;
}

export const START_OF_FILE: FilePosition = { offset: 0, line: 0 };

/** A row of the file: the event it holds, or why it holds none. `line` is where the row starts. */
export type UsageRow =
  | { kind: 'event'; line: number; end: FilePosition; event: UsageEvent }
  | { kind: 'invalid'; line: number; end: FilePosition; message: string };

/** The columns a usage CSV starts with; any after them are the event's properties. */
export const CSV_EVENT_COLUMNS = ['event_id', 'customer', 'code', 'timestamp'] as const;

export function formatOfFile(path: string): UsageFileFormat | undefined {
  const extension = extname(path).toLowerCase();
  if (extension === '.csv') return 'csv';
  if (extension === '.ndjson' || extension === '.jsonl') return 'ndjson';
  return undefined;
}

/**
 * The rows of a usage file from `from` on, streamed: only the chunk being read and the row being
 * parsed are in memory, whatever the file's size.
 */
export function readUsageRows(
  path: string,
  format: UsageFileFormat,
  from: FilePosition = START_OF_FILE,
  options: { signal?: AbortSignal } = {},
): AsyncGenerator<UsageRow> {
  return format === 'csv'
    ? readCsvRows(path, from, options.signal)
    : readNdjsonRows(path, from, options.signal);
}

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;
const BYTE_ORDER_MARK = '\ufeff';

/**
 * NDJSON is split into lines here rather than by readline because a checkpoint needs each line's
 * exact byte offset, which readline does not give; the split works on bytes, so a multi-byte
 * character across two chunks is never cut.
 */
async function* readNdjsonRows(
  path: string,
  from: FilePosition,
  signal: AbortSignal | undefined,
): AsyncGenerator<UsageRow> {
  let offset = from.offset;
  let line = from.line;
  let pending: Buffer = Buffer.alloc(0);
  const stream = createReadStream(path, { start: from.offset, ...(signal ? { signal } : {}) });

  function* rowsOf(bytes: Buffer): Generator<UsageRow> {
    line += 1;
    offset += bytes.length + 1;
    const end = { offset, line };
    let length = bytes.length;
    if (length > 0 && bytes[length - 1] === CARRIAGE_RETURN) length -= 1;
    let text = bytes.toString('utf8', 0, length);
    if (line === 1 && text.startsWith(BYTE_ORDER_MARK)) text = text.slice(1);
    if (text.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      yield { kind: 'invalid', line, end, message: 'not a JSON object' };
      return;
    }
    yield toRow(checkEvent(value), line, end);
  }

  for await (const chunk of stream as AsyncIterable<Buffer>) {
    let start = 0;
    let newline = chunk.indexOf(NEWLINE, start);
    while (newline !== -1) {
      const piece = chunk.subarray(start, newline);
      const bytes = pending.length > 0 ? Buffer.concat([pending, piece]) : piece;
      pending = Buffer.alloc(0);
      yield* rowsOf(bytes);
      start = newline + 1;
      newline = chunk.indexOf(NEWLINE, start);
    }
    if (start < chunk.length) pending = Buffer.concat([pending, chunk.subarray(start)]);
  }
  // The last line may end without a newline; its end is then the end of the file, not one past it.
  if (pending.length > 0) {
    for (const row of rowsOf(pending)) yield { ...row, end: { ...row.end, offset: row.end.offset - 1 } };
  }
}

/** The header of a usage CSV: the four event columns, then the property names. */
export async function readCsvHeader(path: string): Promise<{ columns: string[]; end: FilePosition }> {
  const parser = createReadStream(path).pipe(parse({ bom: true, info: true, to: 1 }));
  for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: CsvInfo }>) {
    parser.destroy();
    const columns = record.map((name) => name.trim());
    const missing = CSV_EVENT_COLUMNS.filter((name, i) => columns[i] !== name);
    if (missing.length > 0)
      throw new UsageFileError(
        `${path}: the CSV header must start with ${CSV_EVENT_COLUMNS.join(',')} (then any property columns), not ${columns.join(',')}`,
      );
    return { columns, end: { offset: info.bytes, line: info.lines } };
  }
  throw new UsageFileError(
    `${path} is empty: a usage CSV starts with the header ${CSV_EVENT_COLUMNS.join(',')}`,
  );
}

interface CsvInfo {
  bytes: number;
  lines: number;
  empty_lines: number;
}

/**
 * CSV by csv-parse's stream, which tells after each record how many bytes and lines it has read.
 * A resumed read starts mid-file, so it reads the header on its own first.
 */
async function* readCsvRows(
  path: string,
  from: FilePosition,
  signal: AbortSignal | undefined,
): AsyncGenerator<UsageRow> {
  const header = await readCsvHeader(path);
  const start = from.offset > header.end.offset ? from : header.end;
  const propertyNames = header.columns.slice(CSV_EVENT_COLUMNS.length);
  const parser = createReadStream(path, { start: start.offset, ...(signal ? { signal } : {}) }).pipe(
    // relax_column_count: a row with too few or too many cells is reported by its line, not fatal.
    parse({ info: true, skip_empty_lines: true, relax_column_count: true }),
  );
  let linesBefore = 0;
  let emptyLinesBefore = 0;
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: CsvInfo }>) {
      // A quoted cell may span lines: the row starts after the last one and the blank lines skipped since.
      const line = start.line + linesBefore + (info.empty_lines - emptyLinesBefore) + 1;
      linesBefore = info.lines;
      emptyLinesBefore = info.empty_lines;
      const end = { offset: start.offset + info.bytes, line: start.line + info.lines };
      if (record.length !== header.columns.length) {
        yield {
          kind: 'invalid',
          line,
          end,
          message: `${record.length} cells where the header has ${header.columns.length}`,
        };
        continue;
      }
      yield toRow(checkEvent(csvEvent(record, propertyNames)), line, end);
    }
  } catch (error) {
    // csv-parse counts lines from where this read began; the person needs the file's line.
    if (error instanceof Error && 'code' in error && String(error.code).startsWith('CSV_')) {
      const line = start.line + Number((error as { lines?: number }).lines ?? 0);
      throw new UsageFileError(`${path}, line ${line}: ${error.message.replace(/ at line \d+/, '')}`);
    }
    throw error;
  }
}

function csvEvent(record: string[], propertyNames: string[]): Record<string, unknown> {
  const [event_id, customer, code, timestamp] = record;
  const properties: Record<string, string | number> = {};
  propertyNames.forEach((name, i) => {
    const cell = record[CSV_EVENT_COLUMNS.length + i] ?? '';
    // An empty cell is a property the event does not have, as a missing key in NDJSON.
    if (cell !== '') properties[name] = propertyValue(cell);
  });
  return {
    event_id,
    customer,
    code,
    ...(timestamp ? { timestamp } : {}),
    ...(propertyNames.length > 0 ? { properties } : {}),
  };
}

/**
 * Numbers in a CSV cell become JSON numbers so that sums and maxima work on them. Only plain decimals
 * count: "007" or "1e3" stay text, since an identifier such as a zip code must not lose its zeros,
 * and so does a number of more than 15 digits, which a double would round.
 */
const PLAIN_DECIMAL = /^-?(0|[1-9]\d*)(\.\d+)?$/;
const DIGITS_A_DOUBLE_KEEPS = 15;

export function propertyValue(cell: string): string | number {
  if (!PLAIN_DECIMAL.test(cell)) return cell;
  const significantDigits = cell.replace(/[-.]/g, '').replace(/^0+/, '').length;
  return significantDigits <= DIGITS_A_DOUBLE_KEEPS ? Number(cell) : cell;
}

const EVENT_FIELDS = new Set(['event_id', 'customer', 'code', 'timestamp', 'properties']);

/**
 * The shape the batch route requires, checked here so that one malformed row is reported by its line
 * instead of making the server refuse the whole batch around it. Meaning (is the customer known, is
 * the code a metric) is for the server to say.
 */
function checkEvent(value: unknown): UsageEvent | string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not a JSON object';
  const fields = value as Record<string, unknown>;
  const unknown = Object.keys(fields).find((name) => !EVENT_FIELDS.has(name));
  if (unknown) return `unknown field ${unknown}`;
  for (const name of ['event_id', 'customer', 'code'] as const) {
    if (typeof fields[name] !== 'string' || fields[name] === '') return `${name} is missing`;
  }
  if (fields.timestamp !== undefined && typeof fields.timestamp !== 'string')
    return 'timestamp must be an ISO 8601 string';
  const properties = fields.properties;
  if (
    properties !== undefined &&
    (typeof properties !== 'object' || properties === null || Array.isArray(properties))
  )
    return 'properties must be an object';
  return value as UsageEvent;
}

function toRow(checked: UsageEvent | string, line: number, end: FilePosition): UsageRow {
  return typeof checked === 'string'
    ? { kind: 'invalid', line, end, message: checked }
    : { kind: 'event', line, end, event: checked };
}

/** The file cannot be read as usage at all (as opposed to one bad row, which is reported and skipped). */
export class UsageFileError extends Error {
  override name = 'UsageFileError';
}
