import { inArray } from 'drizzle-orm';
import type { AppContext } from '../context.ts';
import { users } from '../db/schema/index.ts';
import { can } from '../modules/trips/policy.ts';
import type { Cursor } from '../modules/changes/read-changes.ts';
import { headCursor } from './trip-log.ts';
import { changeFromEnvelope, channelOf, decodeEnvelope, encodeEnvelope } from './envelope.ts';
import { CLOSE } from './close-codes.ts';
import type { Conn } from './connection.ts';
import { frame, type PresenceUser } from './frames.ts';
import { LocalRoom, type RoomDeps } from './local-room.ts';
import type { PresenceStore } from './presence-store.ts';

interface RoomSlot {
  room: Promise<LocalRoom>;
  /** Sockets joined or joining; the room closes when this drops to zero. */
  refs: number;
  unsubscribe: Promise<() => Promise<void>>;
}

const SHUTDOWN_WAIT_MS = 1000;
const PRESENCE_COALESCE_MS = 100;

/**
 * This instance's sockets: one LocalRoom per trip with sockets here, subscribed to that trip's
 * channel only while it has sockets; the heartbeat; presence; shutdown.
 */
export class Hub {
  readonly conns = new Set<Conn>();
  /** The slot each socket joined, so leaving never touches a newer slot of the same trip. */
  private readonly joined = new Map<Conn, RoomSlot>();
  /** Set by close(): sockets closing now need no presence announcements. */
  closing = false;
  private readonly slots = new Map<string, RoomSlot>();
  private readonly presenceTimers = new Map<string, NodeJS.Timeout>();
  private readonly heartbeat: NodeJS.Timeout;

  constructor(
    private readonly ctx: AppContext,
    readonly presence: PresenceStore,
    private readonly present: RoomDeps['present'],
  ) {
    this.heartbeat = setInterval(() => void this.beat(), ctx.config.realtime.heartbeatSec * 1000);
    this.heartbeat.unref();
  }

  /** Whether this instance has sockets in the trip. */
  watching(tripId: string): boolean {
    return this.slots.has(tripId);
  }

  /** Makes the rooms of these trips read the log now (their pub/sub frames will not come). */
  wake(tripIds: string[]): void {
    for (const id of tripIds)
      void this.slots
        .get(id)
        ?.room.then((room) => room.wake())
        .catch(() => undefined);
  }

  /** How long a presence entry lives without a heartbeat: three missed beats. */
  get presenceTtlMs(): number {
    return this.ctx.config.realtime.heartbeatSec * 3000;
  }

  /**
   * Adds a socket to its trip's room (opening the room first if needed). Returns the room's
   * position at the moment the socket joined: every later change reaches the socket's queue.
   */
  async join(conn: Conn): Promise<{ room: LocalRoom; start: Cursor }> {
    let slot = this.slots.get(conn.tripId);
    if (!slot) {
      slot = this.openSlot(conn.tripId);
      this.slots.set(conn.tripId, slot);
    }
    slot.refs += 1;
    this.conns.add(conn);
    this.joined.set(conn, slot);
    try {
      const room = await slot.room;
      // Read together with the add, so no change can be relayed in between and missed.
      const start = room.cursor;
      // The socket may have closed while the room was opening.
      if (this.conns.has(conn)) room.conns.add(conn);
      return { room, start };
    } catch (error) {
      this.leave(conn);
      throw error;
    }
  }

  /** Removes a socket; the last one out closes the room and its subscription. */
  leave(conn: Conn): void {
    const slot = this.joined.get(conn);
    this.conns.delete(conn);
    this.joined.delete(conn);
    if (!slot) return;
    void slot.room.then((room) => room.conns.delete(conn)).catch(() => undefined);
    slot.refs -= 1;
    if (slot.refs > 0) return;
    if (this.slots.get(conn.tripId) === slot) this.slots.delete(conn.tripId);
    void slot.room.then((room) => room.close()).catch(() => undefined);
    void slot.unsubscribe.then((off) => off()).catch(() => undefined);
  }

  /** The trip's presence frame as it is now (the users with a live socket on any instance). */
  async presenceFrame(tripId: string): Promise<string> {
    return frame('presence', { users: await this.presentUsers(await this.presence.usersIn(tripId)) });
  }

  /**
   * Announces the trip's presence to every instance soon, once for any number of joins and
   * leaves in between: a burst of N connects costs a few broadcasts, not N broadcasts to N sockets.
   */
  presenceChanged(tripId: string): void {
    if (this.closing || this.presenceTimers.has(tripId)) return;
    const timer = setTimeout(() => {
      this.presenceTimers.delete(tripId);
      void this.presenceFrame(tripId)
        .then((text) =>
          this.ctx.platform.pubsub.publish(channelOf(tripId), encodeEnvelope({ k: 'presence' }, text)),
        )
        .catch((error: unknown) => this.ctx.logger.warn({ err: error }, 'presence broadcast failed'));
    }, PRESENCE_COALESCE_MS);
    timer.unref();
    this.presenceTimers.set(tripId, timer);
  }

  /** Publishes a typing notice to the trip's other users. */
  async publishTyping(conn: Conn, isTyping: boolean): Promise<void> {
    const text = frame('typing', { user_id: conn.user.id, user_email: conn.user.email, is_typing: isTyping });
    await this.ctx.platform.pubsub.publish(
      channelOf(conn.tripId),
      encodeEnvelope({ k: 'typing', u: conn.user.id }, text),
    );
  }

  /** Closes every socket with 1001 so clients reconnect elsewhere, then lets go of the channels. */
  async close(): Promise<void> {
    this.closing = true;
    clearInterval(this.heartbeat);
    for (const timer of this.presenceTimers.values()) clearTimeout(timer);
    const closed = [...this.conns].map(
      (conn) =>
        new Promise<void>((resolve) =>
          conn.ws.readyState === 3 ? resolve() : conn.ws.once('close', () => resolve()),
        ),
    );
    for (const conn of this.conns) conn.close(CLOSE.goingAway, 'server shutting down');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all(closed),
      new Promise((resolve) => (timer = setTimeout(resolve, SHUTDOWN_WAIT_MS))),
    ]);
    clearTimeout(timer);
    for (const conn of this.conns) conn.ws.terminate();
    await Promise.all(
      [...this.conns].map((conn) => this.presence.remove(this.entryOf(conn)).catch(() => undefined)),
    );
    for (const conn of [...this.conns]) this.leave(conn);
  }

  entryOf(conn: Conn) {
    return { connId: conn.id, userId: conn.user.id, tripId: conn.tripId };
  }

  private openSlot(tripId: string): RoomSlot {
    let room: LocalRoom | null = null;
    const early: string[] = [];
    const onMessage = (raw: string) => (room ? this.route(room, raw) : early.push(raw));
    // Subscribe before reading the head, so nothing published in between is missed.
    const unsubscribe = this.ctx.platform.pubsub.subscribe(channelOf(tripId), onMessage);
    const opened = (async () => {
      await unsubscribe;
      room = new LocalRoom(tripId, await headCursor(this.ctx.database, tripId), {
        database: this.ctx.database,
        logger: this.ctx.logger,
        present: this.present,
      });
      for (const raw of early.splice(0)) this.route(room, raw);
      return room;
    })();
    // A room that failed to open is forgotten at once, so the next socket tries afresh.
    opened.catch(() => this.slots.get(tripId)?.room === opened && this.slots.delete(tripId));
    return { room: opened, refs: 0, unsubscribe };
  }

  /** One message from the trip's channel, relayed to this instance's sockets. */
  private route(room: LocalRoom, raw: string): void {
    const envelope = decodeEnvelope(raw);
    if (!envelope) return;
    const { meta } = envelope;
    if (meta.k === 'change') {
      const event = changeFromEnvelope(room.tripId, meta, envelope.frame);
      if (event) room.accept(event);
      return;
    }
    const data = Buffer.from(envelope.frame);
    for (const conn of room.conns) {
      if (meta.k === 'presence') conn.send(data);
      if (meta.k === 'typing' && conn.user.id !== meta.u && can(conn.role, 'chat.read')) conn.send(data);
    }
  }

  /** Pings every socket; one that did not answer the previous ping is dropped as dead. */
  private async beat(): Promise<void> {
    for (const conn of this.conns) {
      if (!conn.alive) {
        conn.ws.terminate();
        continue;
      }
      conn.alive = false;
      if (conn.ws.readyState === 1) conn.ws.ping();
    }
    await this.presence
      .refresh(
        [...this.conns].map((conn) => this.entryOf(conn)),
        this.presenceTtlMs,
      )
      .catch((error: unknown) => this.ctx.logger.warn({ err: error }, 'presence refresh failed'));
    // A lost publish with nothing after it would otherwise wait for the next change of the trip.
    for (const slot of this.slots.values()) void slot.room.then((room) => room.wake()).catch(() => undefined);
  }

  private async presentUsers(ids: string[]): Promise<PresenceUser[]> {
    if (ids.length === 0) return [];
    const rows = await this.ctx.db.select().from(users).where(inArray(users.id, ids));
    return rows
      .map((u) => ({
        id: u.id,
        email: u.email,
        username: u.username,
        full_name: `${u.firstName} ${u.lastName}`.trim(),
      }))
      .sort((a, b) => a.email.localeCompare(b.email));
  }
}
