import { describe, expect, it } from 'vitest';
import { ReadCache } from './read-cache.js';

/** A load that finishes when the test says, to interleave it with forgets. */
function controlledLoads() {
  const pending: Array<() => void> = [];
  let version = 1;
  return {
    load: (key: string) =>
      new Promise<{ key: string; version: number }>((resolve) => {
        const read = version;
        pending.push(() => resolve({ key, version: read }));
      }),
    change: () => {
      version += 1;
    },
    finishAll: () => {
      for (const finish of pending.splice(0)) finish();
    },
  };
}

describe('ReadCache', () => {
  it('answers from memory until the entry is forgotten', async () => {
    let loads = 0;
    const cache = new ReadCache({ ttlMs: 60_000, load: async (key) => ({ key, load: ++loads }) });
    expect(await cache.get('a')).toEqual({ key: 'a', load: 1 });
    expect(await cache.get('a')).toEqual({ key: 'a', load: 1 });
    cache.forget((key) => key === 'a');
    expect(await cache.get('a')).toEqual({ key: 'a', load: 2 });
  });

  it('does not keep an answer read before a forget that happened while it was in flight', async () => {
    const source = controlledLoads();
    const cache = new ReadCache({ ttlMs: 60_000, load: source.load });
    const inFlight = cache.get('key');
    // The change commits and is announced while the read is still on its way back.
    source.change();
    cache.forget((key) => key === 'key');
    source.finishAll();
    expect((await inFlight).version).toBe(1);
    const next = cache.get('key');
    source.finishAll();
    expect((await next).version).toBe(2);
  });

  it('reads every time while caching is off, and starts empty when it is back on', async () => {
    let loads = 0;
    const cache = new ReadCache({ ttlMs: 60_000, load: async () => ({ load: ++loads }) });
    await cache.get('a');
    cache.clear(false);
    expect(await cache.get('a')).toEqual({ load: 2 });
    expect(await cache.get('a')).toEqual({ load: 3 });
    cache.clear(true);
    expect(await cache.get('a')).toEqual({ load: 4 });
    expect(await cache.get('a')).toEqual({ load: 4 });
  });
});
