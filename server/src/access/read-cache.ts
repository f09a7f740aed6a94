import { LRUCache } from 'lru-cache';

/**
 * A few seconds of memory in front of a database read, for data every request needs (API keys,
 * organizations). Forgetting is safe against reads in flight: a read that began before a forget or a
 * clear does not store its answer, which may predate the change that caused the forget.
 */
export class ReadCache<V extends object> {
  readonly #load: (key: string) => Promise<V>;
  readonly #cache: LRUCache<string, V>;
  // Bumped by every forget and clear; a read stores its answer only if it is unchanged meanwhile.
  #generation = 0;
  #caching = true;

  constructor(options: { ttlMs: number; max?: number; load: (key: string) => Promise<V> }) {
    this.#load = options.load;
    this.#cache = new LRUCache({ max: options.max ?? 10_000, ttl: options.ttlMs });
  }

  async get(key: string): Promise<V> {
    const cached = this.#caching ? this.#cache.get(key) : undefined;
    if (cached) return cached;
    const generation = this.#generation;
    const value = await this.#load(key);
    if (this.#caching && generation === this.#generation) this.#cache.set(key, value);
    return value;
  }

  /** Forgets the entries whose key or value matches. */
  forget(matches: (key: string, value: V) => boolean): void {
    this.#generation += 1;
    for (const [key, value] of this.#cache.entries()) {
      if (matches(key, value)) this.#cache.delete(key);
    }
  }

  /** Forgets everything; with `caching` false, every get reads until called again with true. */
  clear(caching: boolean): void {
    this.#generation += 1;
    this.#caching = caching;
    this.#cache.clear();
  }
}
