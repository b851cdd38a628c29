/**
 * Which written events a resumed connection can send again. Resuming at a timestamp entry, the
 * server starts that upstream partition at its first record of that millisecond or later: the last
 * record written from it, and any other of the same millisecond, come again. The window holds the
 * identities (`meta.id`) of the written records that share a timestamp entry with the current
 * position; an event whose identity is in it is a replay and is dropped. Pure, no I/O.
 */
import type { EventPosition } from './event-position.js';

const entryKey = (e: EventPosition[number]) => `${e.topic}\u0000${e.partition}\u0000${e.timestamp}`;

export class ReplayWindow {
  /** Timestamp entry → identities written while the position held it. */
  private readonly byEntry = new Map<string, Set<string>>();

  /** Records an event written at `position` (its own position, or the last valid one before it). */
  add(identity: string, position: EventPosition): void {
    const live = new Set<string>();
    for (const e of position) {
      if (e.timestamp === undefined) continue;
      const key = entryKey(e);
      live.add(key);
      let set = this.byEntry.get(key);
      if (!set) this.byEntry.set(key, (set = new Set()));
      set.add(identity);
    }
    // Entries the position moved past can no longer be resumed from: forget them.
    for (const key of this.byEntry.keys()) if (!live.has(key)) this.byEntry.delete(key);
  }

  has(identity: string): boolean {
    for (const set of this.byEntry.values()) if (set.has(identity)) return true;
    return false;
  }

  get size(): number {
    const all = new Set<string>();
    for (const set of this.byEntry.values()) for (const id of set) all.add(id);
    return all.size;
  }
}
