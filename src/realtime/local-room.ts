import type { Logger } from 'pino';
import type { Database } from '../db/index.ts';
import { encodeCursor, type ChangeEntry, type Cursor } from '../modules/changes/read-changes.ts';
import { can } from '../modules/trips/policy.ts';
import { compareCursors } from './change-log.ts';
import { readTripLog } from './trip-log.ts';
import type { ChangeEvent } from './change-frames.ts';
import { CLOSE } from './close-codes.ts';
import type { Conn } from './connection.ts';

// How long a logged change may wait for its published frame before this instance presents it
// itself (the publisher died after commit, or a pub/sub message was lost).
const PUBLISH_GRACE_MS = 1000;
const RETRY_MIN_MS = 5;
const RETRY_MAX_MS = 250;
const PAGE = 500;
const STALE_MS = 60_000;

export interface RoomDeps {
  database: Database;
  logger: Logger;
  /** Presents changes this instance has no published frame for. */
  present: (entries: ChangeEntry[]) => Promise<ChangeEvent[]>;
}

/**
 * One trip's sockets on this instance, and the order they see the trip's changes in.
 *
 * Frames arrive over pub/sub in publish order, which is not commit order across writers. A socket
 * must see changes in cursor order, or a client resuming from the last cursor it saw could skip a
 * change that committed late with a lower cursor. So published frames wait here until the change
 * log shows them below its watermark (read-changes.ts), and are relayed in log order; the log is
 * the truth, pub/sub only carries the already-serialized frames and the wake-up.
 */
export class LocalRoom {
  readonly conns = new Set<Conn>();
  private position: Cursor;
  private readonly pending = new Map<string, { event: ChangeEvent; at: number }>();
  private readonly missingSince = new Map<string, number>();
  private draining: Promise<void> | null = null;
  private rerun = false;
  private timer: NodeJS.Timeout | null = null;
  private retryMs = RETRY_MIN_MS;
  private closed = false;

  constructor(
    readonly tripId: string,
    start: Cursor,
    private readonly deps: RoomDeps,
  ) {
    this.position = start;
  }

  /** The last position relayed to this room's sockets: a new socket's live stream starts after it. */
  get cursor(): Cursor {
    return this.position;
  }

  /** A change frame from pub/sub: kept until the log says it is its turn. */
  accept(event: ChangeEvent, wake = true): void {
    if (compareCursors(event.cursor, this.position) <= 0) return;
    this.pending.set(encodeCursor(event.cursor), { event, at: Date.now() });
    if (wake) this.wake();
  }

  /** Runs a drain now (or right after the current one). */
  wake(): void {
    if (this.closed) return;
    if (this.draining) {
      this.rerun = true;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.draining = this.drain()
      .catch((error: unknown) =>
        this.deps.logger.warn({ err: error, trip: this.tripId }, 'live relay failed'),
      )
      .finally(() => {
        this.draining = null;
        if (this.rerun) {
          this.rerun = false;
          this.wake();
        } else if (this.pending.size > 0 || this.missingSince.size > 0) this.retryLater();
      });
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private retryLater(): void {
    if (this.closed || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.wake();
    }, this.retryMs);
    this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
  }

  private async drain(): Promise<void> {
    let progressed = false;
    for (;;) {
      const entries = await readTripLog(this.deps.database, {
        tripId: this.tripId,
        after: this.position,
        limit: PAGE,
      });
      // The run of changes that can go now: each has its frame, or waited too long for it.
      const now = Date.now();
      // Every change read without its frame starts its wait now, not once it reaches the front:
      // otherwise a backlog of unpublished changes (Redis away) would drain at one per grace period.
      for (const entry of entries) {
        const key = encodeCursor(entry.cursor);
        if (!this.pending.has(key) && !this.missingSince.has(key)) this.missingSince.set(key, now);
      }
      const run: typeof entries = [];
      let waiting = false;
      for (const entry of entries) {
        const key = encodeCursor(entry.cursor);
        if (!this.pending.has(key)) {
          const since = this.missingSince.get(key)!;
          if (now - since < PUBLISH_GRACE_MS) {
            waiting = true;
            break;
          }
        }
        run.push(entry);
      }
      const overdue = run.filter((entry) => !this.pending.has(encodeCursor(entry.cursor)));
      if (overdue.length > 0) {
        for (const event of await this.deps.present(overdue)) this.accept(event, false);
      }
      for (const entry of run) {
        const key = encodeCursor(entry.cursor);
        const event = this.pending.get(key)?.event;
        this.pending.delete(key);
        this.missingSince.delete(key);
        this.position = entry.cursor;
        progressed = true;
        if (event) this.relay(event);
      }
      if (waiting || entries.length < PAGE) break;
    }
    const stale = Date.now() - STALE_MS;
    for (const [key, { event, at }] of this.pending) {
      // Below the position: already relayed. Very old: not in this trip's log after all.
      if (compareCursors(event.cursor, this.position) <= 0 || at < stale) this.pending.delete(key);
    }
    // The retry backs off only while waiting achieves nothing. Under a steady stream of writes
    // something is nearly always pending, so resetting only when nothing was would let the delay
    // double to its cap between two frames: a change then waited up to 250 ms for a retry
    // whenever the transaction holding the watermark back published nothing to wake this room.
    if (progressed || (this.pending.size === 0 && this.missingSince.size === 0)) this.retryMs = RETRY_MIN_MS;
  }

  /** Relays one change to the sockets allowed to see it, then applies its effect. */
  private relay(event: ChangeEvent): void {
    const effect = event.effect;
    if (effect?.kind === 'role') {
      for (const conn of this.conns) if (conn.memberId === effect.memberId) conn.role = effect.role;
    }
    if (event.frame !== null) {
      const data = Buffer.from(event.frame);
      for (const conn of this.conns) if (can(conn.role, event.audience)) conn.deliver(event.cursor, data);
    }
    if (effect?.kind === 'kick') {
      for (const conn of this.conns)
        if (conn.memberId === effect.memberId) conn.close(CLOSE.forbidden, 'removed from the trip');
    }
    if (effect?.kind === 'trip_deleted') {
      for (const conn of this.conns) conn.close(CLOSE.forbidden, 'trip deleted');
    }
  }
}
