import { Temporal } from 'temporal-polyfill';

/**
 * Where the current time comes from. The domain never reads the wall clock itself: it asks `ctx.clock`,
 * so tests (and test mode) can move time forward a month and watch invoices appear.
 */
export interface Clock {
  now(): Temporal.Instant;
}

/** The real clock. This is the only place in Billfold allowed to read the wall clock. */
export const systemClock: Clock = Object.freeze({
  now: (): Temporal.Instant => Temporal.Now.instant(),
});

/**
 * A clock that only moves when told to, like Stripe's test clocks. Starts at `start` (an Instant or an
 * ISO string with an offset, e.g. '2027-01-31T10:00:00Z').
 */
export class TestClock implements Clock {
  #current: Temporal.Instant;

  constructor(start: Temporal.Instant | string) {
    this.#current = Temporal.Instant.from(start);
  }

  now(): Temporal.Instant {
    return this.#current;
  }

  /**
   * Moves the clock forward and returns the new time. Calendar units (days, months, years) are added in
   * `timeZone`, because "one month later" and even "one day later" depend on it: a day across a
   * daylight-saving change lasts 23 or 25 hours. `advance({ months: 1 })` goes from Jan 31 to Feb 28/29
   * at the same wall-clock time, the way a person would read it.
   *
   * Time only moves forward here; use `set` to jump anywhere, including backwards.
   */
  advance(duration: Temporal.DurationLike, timeZone = 'UTC'): Temporal.Instant {
    const step = Temporal.Duration.from(duration);
    if (step.sign < 0) throw new RangeError(`TestClock.advance needs a non-negative duration, got ${step}`);
    this.#current = this.#current.toZonedDateTimeISO(timeZone).add(step).toInstant();
    return this.#current;
  }

  /** Jumps to `instant` (an Instant or an ISO string with an offset) and returns it. */
  set(instant: Temporal.Instant | string): Temporal.Instant {
    this.#current = Temporal.Instant.from(instant);
    return this.#current;
  }
}

/** For drivers and libraries that need a JS Date (database columns, cookies). Millisecond precision. */
export function toDate(instant: Temporal.Instant): Date {
  return new Date(instant.epochMilliseconds);
}

/** The inverse of toDate, for values coming back from such drivers. */
export function fromDate(date: Date): Temporal.Instant {
  return Temporal.Instant.fromEpochMilliseconds(date.getTime());
}
