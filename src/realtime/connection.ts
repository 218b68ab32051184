import { randomUUID } from 'node:crypto';
import type { WebSocket } from 'ws';
import type { Role } from '../db/schema/index.ts';
import { metrics } from '../platform/metrics.ts';
import type { Cursor } from '../modules/changes/read-changes.ts';
import { compareCursors } from './change-log.ts';
import { CLOSE } from './close-codes.ts';

const OPEN = 1;
// A closing socket gets this long to finish its close handshake before it is cut.
const CLOSE_GRACE_MS = 3000;

export interface ConnLimits {
  maxBufferedBytes: number;
  messagesPer10s: number;
}

/**
 * One open socket of one member in one trip: what the server knows about it (role, resume
 * position), and the only path that writes to it, so the send-buffer bound and the per-socket
 * ordering rules hold for every frame.
 */
export class Conn {
  readonly id = randomUUID();
  readonly openedAt = Date.now();
  role: Role;
  /** Heartbeat: cleared at each ping, set by the pong. */
  alive = true;
  closing = false;
  /** The last change-log position sent; anything at or below it is a duplicate. */
  private lastCursor: Cursor | null = null;
  /** Live events that arrive while the resume replay is still being sent. */
  private queued: { cursor: Cursor; data: Buffer }[] | null = [];
  private windowStart = Date.now();
  private framesInWindow = 0;

  constructor(
    readonly ws: WebSocket,
    readonly user: { id: string; email: string },
    readonly tripId: string,
    readonly memberId: string,
    role: Role,
    private readonly limits: ConnLimits,
  ) {
    this.role = role;
  }

  /** Sends a frame unless the socket is closing; a full send buffer closes it as a slow consumer. */
  send(data: string | Buffer): void {
    if (this.closing || this.ws.readyState !== OPEN) return;
    // Judged on what is still queued, so one large frame (a history page) passes an idle socket.
    if (this.ws.bufferedAmount > this.limits.maxBufferedBytes) {
      this.close(CLOSE.slowConsumer, 'slow consumer: send buffer full');
      return;
    }
    this.ws.send(data, { binary: false });
    metrics.wsMessages.inc({ direction: 'out' });
  }

  /** A change-log frame: queued during replay, dropped if already sent (resume overlap). */
  deliver(cursor: Cursor, data: Buffer): void {
    if (this.queued) {
      this.queued.push({ cursor, data });
      return;
    }
    this.sendOnce(cursor, data);
  }

  /** Sends a change-log frame in cursor order, at most once per socket. */
  sendOnce(cursor: Cursor, data: Buffer | string): void {
    if (this.lastCursor && compareCursors(cursor, this.lastCursor) <= 0) return;
    this.lastCursor = cursor;
    this.send(data);
  }

  /** Ends the replay phase: from `cursor` on, queued and later live frames flow directly. */
  goLive(cursor: Cursor): void {
    if (!this.lastCursor || compareCursors(cursor, this.lastCursor) > 0) this.lastCursor = cursor;
    const queued = this.queued ?? [];
    this.queued = null;
    for (const item of queued) this.sendOnce(item.cursor, item.data);
  }

  /** Counts a client frame: 'ok', 'limited' (answer with an error), or 'flood' (close). */
  admitFrame(now = Date.now()): 'ok' | 'limited' | 'flood' {
    if (now - this.windowStart >= 10_000) {
      this.windowStart = now;
      this.framesInWindow = 0;
    }
    this.framesInWindow += 1;
    metrics.wsMessages.inc({ direction: 'in' });
    if (this.framesInWindow <= this.limits.messagesPer10s) return 'ok';
    return this.framesInWindow > 2 * this.limits.messagesPer10s ? 'flood' : 'limited';
  }

  /** Starts the close handshake; a peer that does not answer is cut after a grace period. */
  close(code: number, reason: string): void {
    if (this.closing) return;
    this.closing = true;
    this.queued = null;
    if (this.ws.readyState === OPEN) this.ws.close(code, reason);
    setTimeout(() => this.ws.terminate(), CLOSE_GRACE_MS).unref();
  }
}
