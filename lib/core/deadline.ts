/** Deadlines: the instant after which no new work may start, for MediaWiki requests and Kafka sends alike. */

/** The instant after which no new work may start. */
export interface Deadline {
  /** Milliseconds left; may be negative. */
  remainingMs(): number;
}

export function deadlineAt(epochMs: number): Deadline {
  return { remainingMs: () => epochMs - Date.now() };
}

export const NO_DEADLINE: Deadline = { remainingMs: () => Number.POSITIVE_INFINITY };
