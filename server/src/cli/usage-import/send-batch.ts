import { setTimeout as sleep } from 'node:timers/promises';
import type { UsageEvent } from './read-rows.js';

/** POST /v1/events/batch's answer (METERING contract): indexes are positions in the batch sent. */
export interface BatchAnswer {
  accepted: number;
  duplicates: { index: number; event_id: string }[];
  errors: { index: number; event_id: string | null; code: string; message: string }[];
}

export interface Server {
  url: string;
  key: string;
}

export interface RetryPolicy {
  /** The first wait after a failure; each next one doubles, up to `longestWaitMs`. */
  firstWaitMs: number;
  longestWaitMs: number;
  /** How long one batch may go unanswered before the import stops (a second run resumes it). */
  giveUpAfterMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = {
  firstWaitMs: 250,
  longestWaitMs: 15_000,
  giveUpAfterMs: 10 * 60_000,
};

/**
 * The server refused what the importer sent (a bad key, a batch it will not take) or did not answer
 * for too long: nothing a retry changes, so the import stops with this message.
 */
export class ImportStopped extends Error {
  override name = 'ImportStopped';
}

/**
 * Sends one batch until the server answers it. Failures a server recovers from (it is down, restarting,
 * overloaded: connection refused, 5xx, 429) are retried with a growing wait; the batch's events are
 * deduplicated by event_id, so sending one again after a lost answer counts nothing twice. A 4xx is
 * the server saying no to the whole batch and stops the import, except 413 (too large), which
 * sends the batch in halves.
 */
export async function sendBatch(
  server: Server,
  events: UsageEvent[],
  options: { signal: AbortSignal; retry?: RetryPolicy; onRetry?: (reason: string, waitMs: number) => void },
): Promise<BatchAnswer> {
  const retry = options.retry ?? DEFAULT_RETRY;
  const body = JSON.stringify({ events });
  const endpoint = new URL('/v1/events/batch', server.url);
  let failingSince: number | undefined;
  for (let attempt = 0; ; attempt++) {
    let reason: string;
    let asked: number | undefined;
    try {
      const response = await fetch(endpoint, {
        method: 'POST',
        headers: { authorization: `Bearer ${server.key}`, 'content-type': 'application/json' },
        body,
        signal: options.signal,
      });
      if (response.ok) return (await response.json()) as BatchAnswer;
      const text = await response.text();
      if (response.status === 413 && events.length > 1) return await sendInHalves(server, events, options);
      if (response.status !== 429 && response.status < 500)
        throw new ImportStopped(`${server.url} refused the batch: ${response.status} ${errorOf(text)}`);
      reason = `${response.status} ${errorOf(text)}`;
      asked = retryAfterMs(response.headers.get('retry-after'));
    } catch (error) {
      if (error instanceof ImportStopped || options.signal.aborted) throw error;
      reason = unreachable(error);
    }
    // Real waiting, measured on the monotonic clock: a wall clock set back would never give up.
    failingSince ??= performance.now();
    const failingMs = performance.now() - failingSince;
    if (failingMs > retry.giveUpAfterMs)
      throw new ImportStopped(
        `${server.url} has not taken a batch for ${Math.round(failingMs / 1000)} s (${reason})`,
      );
    // Full jitter spreads the concurrent senders out, so a recovering server is not hit by all at once.
    const backoff =
      Math.min(retry.longestWaitMs, retry.firstWaitMs * 2 ** attempt) * (0.5 + Math.random() / 2);
    const waitMs = Math.max(backoff, asked ?? 0);
    options.onRetry?.(reason, waitMs);
    await sleep(waitMs, undefined, { signal: options.signal });
  }
}

/**
 * A batch over the server's body limit (long property values make 1000 events large) is sent as two
 * halves, each halved again if need be, and their answers put together as one.
 */
async function sendInHalves(
  server: Server,
  events: UsageEvent[],
  options: Parameters<typeof sendBatch>[2],
): Promise<BatchAnswer> {
  const middle = Math.ceil(events.length / 2);
  const first = await sendBatch(server, events.slice(0, middle), options);
  const second = await sendBatch(server, events.slice(middle), options);
  const shifted = <T extends { index: number }>(items: T[]) =>
    items.map((item) => ({ ...item, index: item.index + middle }));
  return {
    accepted: first.accepted + second.accepted,
    duplicates: [...first.duplicates, ...shifted(second.duplicates)],
    errors: [...first.errors, ...shifted(second.errors)],
  };
}

/** The error envelope's code and message when there is one, else the start of whatever came back. */
function errorOf(text: string): string {
  try {
    const { error } = JSON.parse(text) as { error?: { code?: string; message?: string } };
    if (error?.code) return `${error.code}: ${error.message ?? ''}`.trim();
  } catch {
    // Not JSON: a proxy's page, say.
  }
  return text.slice(0, 200);
}

function retryAfterMs(header: string | null): number | undefined {
  const seconds = header === null ? Number.NaN : Number(header);
  return Number.isFinite(seconds) ? seconds * 1000 : undefined;
}

/** fetch's "fetch failed" hides the reason (ECONNREFUSED, a reset) in its cause. */
function unreachable(error: unknown): string {
  const cause =
    error instanceof Error ? (error.cause as { code?: string; message?: string } | undefined) : undefined;
  return cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
}
