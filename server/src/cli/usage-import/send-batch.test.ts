import {
  createServer,
  type Server as HttpServer,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { UsageEvent } from './read-rows.js';
import { type BatchAnswer, ImportStopped, type RetryPolicy, sendBatch } from './send-batch.js';

/**
 * The importer's side of the HTTP exchange: what it does with each kind of answer. The answers come
 * from a scripted server on a real socket, since a running Billfold cannot be made to fail on cue;
 * the import against a real Billfold is in usage-import.db.test.ts.
 */

const fast: RetryPolicy = { firstWaitMs: 5, longestWaitMs: 20, giveUpAfterMs: 2_000 };
const events = (n: number): UsageEvent[] =>
  Array.from({ length: n }, (_, i) => ({ event_id: `e${i}`, customer: 'c', code: 'm' }));

let server: HttpServer | undefined;
afterEach(() => new Promise<void>((done) => (server ? server.close(() => done()) : done())));

/** A server answering each request with `answer(request number, events)`; returns its URL. */
async function scripted(
  answer: (n: number, events: UsageEvent[], response: ServerResponse) => void,
): Promise<string> {
  let requests = 0;
  server = createServer((request: IncomingMessage, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', () => answer(requests++, JSON.parse(body).events, response));
  });
  await new Promise<void>((done) => server?.listen(0, '127.0.0.1', done));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function reply(response: ServerResponse, status: number, body: unknown) {
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

const allAccepted = (batch: UsageEvent[]): BatchAnswer => ({
  accepted: batch.length,
  duplicates: [],
  errors: [],
});

describe('sending a batch', () => {
  it('retries a server that fails, then takes its answer', async () => {
    const seen: string[] = [];
    const url = await scripted((n, batch, response) => {
      if (n < 2)
        return reply(response, 503, { error: { code: 'server.unavailable', message: 'restarting' } });
      reply(response, 200, allAccepted(batch));
    });
    const answer = await sendBatch({ url, key: 'k' }, events(3), {
      signal: new AbortController().signal,
      retry: fast,
      onRetry: (reason) => seen.push(reason),
    });
    expect(answer.accepted).toBe(3);
    expect(seen).toEqual(['503 server.unavailable: restarting', '503 server.unavailable: restarting']);
  });

  it('stops with the server’s reason when it refuses the batch', async () => {
    const url = await scripted((_, __, response) =>
      reply(response, 401, { error: { code: 'auth.invalid_api_key', message: 'The API key is not valid.' } }),
    );
    await expect(
      sendBatch({ url, key: 'k' }, events(1), { signal: new AbortController().signal, retry: fast }),
    ).rejects.toThrow(
      new ImportStopped(`${url} refused the batch: 401 auth.invalid_api_key: The API key is not valid.`),
    );
  });

  it('sends a batch over the body limit in halves and answers for the whole', async () => {
    const sizes: number[] = [];
    const url = await scripted((_, batch, response) => {
      sizes.push(batch.length);
      if (batch.length > 2)
        return reply(response, 413, { error: { code: 'request.too_large', message: '' } });
      reply(response, 200, {
        accepted: batch.length - 1,
        duplicates: [],
        errors: [{ index: batch.length - 1, event_id: batch.at(-1)?.event_id, code: 'x', message: '' }],
      });
    });
    const answer = await sendBatch({ url, key: 'k' }, events(5), { signal: new AbortController().signal });
    expect(sizes).toEqual([5, 3, 2, 1, 2]);
    expect(answer.accepted).toBe(2);
    // Each error's index is its place in the batch as the importer made it.
    expect(answer.errors.map((error) => [error.index, error.event_id])).toEqual([
      [1, 'e1'],
      [2, 'e2'],
      [4, 'e4'],
    ]);
  });

  it('gives up on a server that stays away, saying for how long', async () => {
    const url = await scripted(() => {});
    await new Promise<void>((done) => server?.close(() => done()));
    server = undefined;
    await expect(
      sendBatch({ url, key: 'k' }, events(1), {
        signal: new AbortController().signal,
        retry: { ...fast, giveUpAfterMs: 100 },
      }),
    ).rejects.toThrow(/has not taken a batch for \d+ s \(ECONNREFUSED\)/);
  });
});
