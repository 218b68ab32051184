import type { Redis } from 'ioredis';

export interface PresenceEntry {
  connId: string;
  userId: string;
  tripId: string;
}

/**
 * Who has a socket open, across every instance. Each socket is an entry with an expiry that the
 * heartbeat pushes forward, so the sockets of an instance that died vanish on their own.
 */
export interface PresenceStore {
  add(entry: PresenceEntry, ttlMs: number): Promise<void>;
  remove(entry: PresenceEntry): Promise<void>;
  refresh(entries: readonly PresenceEntry[], ttlMs: number): Promise<void>;
  /** Distinct users with a live socket in the trip. */
  usersIn(tripId: string): Promise<string[]>;
  /** Live sockets of the user, in any trip. */
  socketsOf(userId: string): Promise<number>;
}

/** One process: plain maps of expiry times. */
export class MemoryPresenceStore implements PresenceStore {
  private readonly trips = new Map<string, Map<string, { userId: string; until: number }>>();
  private readonly users = new Map<string, Map<string, number>>();

  async add(entry: PresenceEntry, ttlMs: number): Promise<void> {
    const until = Date.now() + ttlMs;
    this.tripMap(entry.tripId).set(entry.connId, { userId: entry.userId, until });
    let sockets = this.users.get(entry.userId);
    if (!sockets) this.users.set(entry.userId, (sockets = new Map()));
    sockets.set(entry.connId, until);
  }

  async remove(entry: PresenceEntry): Promise<void> {
    this.trips.get(entry.tripId)?.delete(entry.connId);
    if (this.trips.get(entry.tripId)?.size === 0) this.trips.delete(entry.tripId);
    this.users.get(entry.userId)?.delete(entry.connId);
    if (this.users.get(entry.userId)?.size === 0) this.users.delete(entry.userId);
  }

  async refresh(entries: readonly PresenceEntry[], ttlMs: number): Promise<void> {
    for (const entry of entries) await this.add(entry, ttlMs);
  }

  async usersIn(tripId: string): Promise<string[]> {
    const now = Date.now();
    const live = [...this.tripMap(tripId).values()].filter((e) => e.until > now);
    return [...new Set(live.map((e) => e.userId))];
  }

  async socketsOf(userId: string): Promise<number> {
    const now = Date.now();
    return [...(this.users.get(userId)?.values() ?? [])].filter((until) => until > now).length;
  }

  private tripMap(tripId: string) {
    let map = this.trips.get(tripId);
    if (!map) this.trips.set(tripId, (map = new Map()));
    return map;
  }
}

/** Shared through Redis: a sorted set per trip and per user, scored by expiry time. */
export class RedisPresenceStore implements PresenceStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private tripKey = (tripId: string) => `${this.prefix}presence:trip:${tripId}`;
  private userKey = (userId: string) => `${this.prefix}presence:user:${userId}`;

  async add(entry: PresenceEntry, ttlMs: number): Promise<void> {
    await this.refresh([entry], ttlMs);
  }

  async remove(entry: PresenceEntry): Promise<void> {
    await this.redis
      .multi()
      .zrem(this.tripKey(entry.tripId), `${entry.connId}:${entry.userId}`)
      .zrem(this.userKey(entry.userId), entry.connId)
      .exec();
  }

  async refresh(entries: readonly PresenceEntry[], ttlMs: number): Promise<void> {
    if (entries.length === 0) return;
    const until = Date.now() + ttlMs;
    const batch = this.redis.multi();
    for (const entry of entries) {
      // The keys themselves expire too, so a trip nobody watches leaves nothing behind.
      batch.zadd(this.tripKey(entry.tripId), until, `${entry.connId}:${entry.userId}`);
      batch.pexpire(this.tripKey(entry.tripId), ttlMs);
      batch.zadd(this.userKey(entry.userId), until, entry.connId);
      batch.pexpire(this.userKey(entry.userId), ttlMs);
    }
    await batch.exec();
  }

  async usersIn(tripId: string): Promise<string[]> {
    const key = this.tripKey(tripId);
    const now = Date.now();
    const result = await this.redis
      .multi()
      .zremrangebyscore(key, '-inf', now)
      .zrangebyscore(key, now, '+inf')
      .exec();
    const members = (result?.[1]?.[1] ?? []) as string[];
    const ids = members.map((member) => member.slice(member.indexOf(':') + 1));
    return [...new Set(ids)];
  }

  async socketsOf(userId: string): Promise<number> {
    return this.redis.zcount(this.userKey(userId), Date.now(), '+inf');
  }
}
