import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BillfoldError } from '../errors.js';
import { engines, freshDatabase, type TestDatabase } from '../testing/databases.js';
import { RateLimiter } from './rate-limit.js';

describe.each(engines())('attempt limits counted in the database on %s', (engine) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await freshDatabase(engine);
  });
  afterAll(() => database.close());

  const perEmail = (key: string) => ({ name: 'test per email', max: 10, windowMs: 600_000, key });
  const outcome = (attempt: Promise<void>) =>
    attempt.then(
      () => 'passed' as const,
      (error: unknown) => {
        if (error instanceof BillfoldError && error.code === 'request.rate_limited')
          return 'refused' as const;
        throw error;
      },
    );

  it('lets exactly the allowance through when attempts race, in two limiters as in two processes', async () => {
    const limiters = [new RateLimiter(database.db), new RateLimiter(database.db)];
    const outcomes = await Promise.all(
      Array.from({ length: 30 }, (_, i) => outcome((limiters[i % 2] as RateLimiter).hit([perEmail('race')]))),
    );
    expect(outcomes.filter((o) => o === 'passed')).toHaveLength(10);
    expect(outcomes.filter((o) => o === 'refused')).toHaveLength(20);
    const row = await database.db
      .selectFrom('rate_limits')
      .selectAll()
      .where('key', '=', 'race')
      .executeTakeFirstOrThrow();
    expect(row.hits).toBe(30);
  });

  it('counts each key on its own, and refuses when any one limit of a request is spent', async () => {
    const limiter = new RateLimiter(database.db);
    const perAddress = { name: 'test per address', max: 3, windowMs: 600_000, key: '203.0.113.7' };
    const results: string[] = [];
    for (let i = 0; i < 4; i++)
      results.push(await outcome(limiter.hit([perEmail(`person${i}`), perAddress])));
    expect(results).toEqual(['passed', 'passed', 'passed', 'refused']);
    // Each email was tried once: none of them is spent.
    expect(await outcome(limiter.hit([perEmail('person0')]))).toBe('passed');
  });

  it('says how long to wait, and opens a new window once the old one ends', async () => {
    const limiter = new RateLimiter(database.db);
    for (let i = 0; i < 10; i++) await limiter.hit([perEmail('window')]);
    const refused = await limiter.hit([perEmail('window')]).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(BillfoldError);
    expect((refused as BillfoldError).message).toMatch(/try again in (59\d|600) s/);

    await database.db
      .updateTable('rate_limits')
      .set({ window_ends_at: sql<Date>`now() - interval '1 second'` })
      .where('key', '=', 'window')
      .execute();
    expect(await outcome(limiter.hit([perEmail('window')]))).toBe('passed');
    const row = await database.db
      .selectFrom('rate_limits')
      .select('hits')
      .where('key', '=', 'window')
      .executeTakeFirstOrThrow();
    expect(row.hits).toBe(1);
  });
});
