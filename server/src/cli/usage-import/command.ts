import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { SingleBar } from 'cli-progress';
import { ERRORS_SHOWN, type ImportState } from './import-state.js';
import { type ImportProgress, importUsage } from './import-usage.js';
import { formatOfFile, UsageFileError, type UsageFileFormat } from './read-rows.js';
import { ImportStopped } from './send-batch.js';

export const usageImportHelp = `Usage: billfold usage import FILE [options]

  Sends the usage events in FILE to a running Billfold (POST /v1/events/batch), resumably.
  FILE is NDJSON (one event object a line: event_id, customer, code, timestamp?, properties?) or CSV
  (header event_id,customer,code,timestamp, then any property columns), by its extension or --format.

  --url URL          the Billfold to send to (default: BILLFOLD_PUBLIC_URL, else http://localhost:$PORT)
  --key KEY          an API key that may ingest events (default: BILLFOLD_API_KEY)
  --format FORMAT    csv or ndjson
  --batch N          events per request, at most 1000 (default 1000)
  --concurrency N    requests at once (default 4)

  What the server has acknowledged is kept in FILE.import-state: after an interruption (Ctrl+C, a
  crash, the server down) the same command continues from there, and events sent twice are counted once.`;

const MOST_EVENTS_PER_BATCH = 1000;

/** `billfold usage import FILE`; returns the exit code. */
export async function usageCommand(
  argv: string[],
  env: NodeJS.ProcessEnv,
  defaultUrl: string,
): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      url: { type: 'string' },
      key: { type: 'string' },
      format: { type: 'string' },
      batch: { type: 'string', default: '1000' },
      concurrency: { type: 'string', default: '4' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [subcommand, file, ...extra] = positionals;
  if (values.help) {
    console.log(usageImportHelp);
    return 0;
  }
  const wrong = (message: string) => {
    console.error(`${message}\n\n${usageImportHelp}`);
    return 1;
  };
  if (subcommand !== 'import' || !file || extra.length > 0)
    return wrong('Which file? billfold usage import FILE');
  if (!existsSync(file)) return wrong(`${file} does not exist.`);
  const format = values.format ?? formatOfFile(file);
  if (format !== 'csv' && format !== 'ndjson')
    return wrong(`Is ${file} CSV or NDJSON? Name it .csv or .ndjson, or say --format csv|ndjson.`);
  const key = values.key ?? env.BILLFOLD_API_KEY;
  if (!key)
    return wrong(
      'An API key is needed: --key bf_... or BILLFOLD_API_KEY (billfold api-key create --mode ingest).',
    );
  const batchSize = wholeNumber(values.batch);
  if (!batchSize || batchSize > MOST_EVENTS_PER_BATCH)
    return wrong(`--batch must be a whole number from 1 to ${MOST_EVENTS_PER_BATCH}.`);
  const concurrency = wholeNumber(values.concurrency);
  if (!concurrency) return wrong('--concurrency must be a positive whole number.');

  // The first Ctrl+C stops sending and keeps the checkpoint; a second one leaves at once.
  const interrupt = new AbortController();
  const onSignal = () => {
    if (interrupt.signal.aborted) process.exit(130);
    interrupt.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const progress = new ProgressBar(file);
  try {
    const result = await importUsage({
      file,
      format: format satisfies UsageFileFormat,
      server: { url: values.url ?? defaultUrl, key },
      batchSize,
      concurrency,
      signal: interrupt.signal,
      progress,
    });
    progress.stop();
    if (!result.complete) {
      console.error(`Interrupted. ${whereItStands(file, result.state)}`);
      console.error(summary(file, result.state));
      return 130;
    }
    console.error(summary(file, result.state));
    return 0;
  } catch (error) {
    progress.stop();
    if (error instanceof ImportStopped || error instanceof UsageFileError) {
      console.error(`Stopped: ${error.message}`);
      if (progress.lastState) console.error(whereItStands(file, progress.lastState));
      return 1;
    }
    throw error;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function wholeNumber(text: string | undefined): number | undefined {
  const number = Number(text);
  return Number.isInteger(number) && number > 0 ? number : undefined;
}

function whereItStands(file: string, state: Readonly<ImportState>): string {
  if (state.position.line === 0) return `Nothing of ${file} is imported yet.`;
  return `${file} is imported up to line ${state.position.line}; the same command continues after it.`;
}

/** The last line of every run: counts over the whole file, and the first rejected rows by line. */
export function summary(file: string, state: Readonly<ImportState>): string {
  const counts = `${state.accepted} accepted, ${state.duplicates} duplicates, ${state.rejected} rejected`;
  if (state.rejected === 0) return `${file}: ${counts}.`;
  const shown = state.firstErrors.map((error) => `line ${error.line}: ${error.message}`);
  const more = state.rejected > ERRORS_SHOWN ? `; and ${state.rejected - state.firstErrors.length} more` : '';
  return `${file}: ${counts} (${shown.join('; ')}${more}).`;
}

/**
 * A bar on stderr over the file's bytes (rows are unknown until the file is read, bytes are known
 * at once), with the events per second of this run. Outside a terminal cli-progress draws nothing,
 * and only the summary is printed.
 */
class ProgressBar implements ImportProgress {
  readonly #bar = new SingleBar({
    format: '{file} [{bar}] {percentage}% | {events} events | {rate} events/s | ETA {eta_formatted} {note}',
    hideCursor: true,
    etaBuffer: 100,
    fps: 5,
  });
  readonly #file: string;
  #startedAt = 0;
  #eventsBefore = 0;
  #running = false;
  lastState: Readonly<ImportState> | undefined;

  constructor(file: string) {
    this.#file = file;
  }

  started(fileBytes: number, state: Readonly<ImportState>): void {
    this.lastState = state;
    this.#startedAt = performance.now();
    this.#eventsBefore = eventsOf(state);
    if (state.position.offset > 0)
      console.error(
        `Resuming ${this.#file} after line ${state.position.line} (${eventsOf(state)} events done).`,
      );
    this.#bar.start(fileBytes, state.position.offset, {
      file: this.#file,
      events: eventsOf(state),
      rate: 0,
      note: '',
    });
    this.#running = true;
  }

  acknowledged(state: Readonly<ImportState>): void {
    this.lastState = state;
    const seconds = (performance.now() - this.#startedAt) / 1000;
    const rate = seconds > 0 ? Math.round((eventsOf(state) - this.#eventsBefore) / seconds) : 0;
    this.#bar.update(state.position.offset, { events: eventsOf(state), rate, note: '' });
  }

  retrying(reason: string, waitMs: number): void {
    this.#bar.update({ note: `| server: ${reason}, again in ${(waitMs / 1000).toFixed(1)} s` });
  }

  stop(): void {
    if (this.#running) this.#bar.stop();
    this.#running = false;
  }
}

function eventsOf(state: Readonly<ImportState>): number {
  return state.accepted + state.duplicates + state.rejected;
}
