import { LRUCache } from 'lru-cache';
import { BillfoldError } from '../errors.js';

/**
 * Fixed-window attempt counters, in this process's memory: enough to make guessing passwords slow.
 * Each limit counts one key (an address, an email); a request passes only if every limit allows it.
 * Several processes each keep their own counts, which multiplies the allowance by the process count.
 */
export interface Limit {
  name: string;
  max: number;
  windowMs: number;
}

export class RateLimiter {
  readonly #windows = new LRUCache<string, { count: number; resetAt: number }>({ max: 100_000 });

  /** Counts one attempt against each limit, and throws 429 if any is spent. */
  hit(limits: ReadonlyArray<Limit & { key: string }>): void {
    // Freshness is real elapsed time, not billing time, so not the injectable clock.
    const now = performance.now();
    for (const limit of limits) {
      const id = `${limit.name}|${limit.key}`;
      let window = this.#windows.get(id);
      if (!window || window.resetAt <= now) {
        window = { count: 0, resetAt: now + limit.windowMs };
        this.#windows.set(id, window);
      }
      window.count += 1;
      if (window.count > limit.max) {
        const seconds = Math.ceil((window.resetAt - now) / 1000);
        throw new BillfoldError(
          'rate_limited',
          'request.rate_limited',
          `Too many attempts; try again in ${seconds} s`,
        );
      }
    }
  }
}
