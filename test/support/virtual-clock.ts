/**
 * A virtual clock for the revision client's retry loop: `sleep` records the wait and moves time on
 * at once, so tests assert the waits the client chose (and deadlines on the same clock) instead of
 * measuring wall-clock time. Requests themselves take no virtual time.
 */
import type { Deadline } from '../../lib/core/deadline.js';
import type { RetryClock } from '../../lib/mediawiki/revision-content-client.js';

export interface VirtualClock extends RetryClock {
  /** Every wait the client asked for, in order, ms. */
  readonly sleeps: number[];
  /** Virtual time spent waiting so far, ms. */
  slept(): number;
  /** A deadline `ms` after the clock's present. */
  deadlineIn(ms: number): Deadline;
}

export function virtualClock(start = 0): VirtualClock {
  let now = start;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    async sleep(ms) {
      sleeps.push(ms);
      now += ms;
      // Yield like a timer would, so other requests of the batch progress in between.
      await new Promise((resolve) => setImmediate(resolve));
    },
    slept: () => sleeps.reduce((a, b) => a + b, 0),
    deadlineIn(ms) {
      const end = now + ms;
      return { remainingMs: () => end - now };
    },
  };
}
