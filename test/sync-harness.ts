/**
 * A simulated offline client for the sync tests: it pulls the feed into a local store, queues
 * mutations while "offline", pushes them, and resolves conflicts by taking the server copy.
 * Everything goes through HTTP (app.inject), exactly as a device would talk to the server.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { call } from './helpers/app.ts';
import { testDatabase } from './helpers/database.ts';
import type { TestUser } from './helpers/factories.ts';

export const SYNC = '/api/v1/sync/';

async function snapshotBound(which: 'xmin' | 'xmax'): Promise<bigint> {
  const { db } = await testDatabase();
  const fn = which === 'xmin' ? sql`pg_snapshot_xmin` : sql`pg_snapshot_xmax`;
  const result: any = await db.execute(sql`select ${fn}(pg_current_snapshot())::text as bound`);
  return BigInt((result.rows ?? result)[0].bound);
}

/**
 * Waits until every transaction that was running when called has finished. The feed serves a change
 * only once no older transaction is still open (the watermark), and other test files write to the
 * same PostgreSQL database at the same time: a pull right after a write could otherwise miss it for
 * a few milliseconds. (PGlite: returns at once.)
 */
export async function settle(): Promise<void> {
  const target = await snapshotBound('xmax');
  for (let i = 0; i < 2000 && (await snapshotBound('xmin')) < target; i++)
    await new Promise((resolve) => setTimeout(resolve, 5));
}

export interface Held {
  entity: string;
  id: string;
  trip: string;
  version: number | null;
  object: Record<string, any>;
}

export interface PendingMutation {
  mutation_id: string;
  entity: string;
  op: 'create' | 'update' | 'delete';
  id: string;
  base_version?: number | null;
  fields?: Record<string, unknown>;
}

const tripOf = (entity: string, object: Record<string, any>): string =>
  entity === 'trip' ? object.id : object.trip;

export class OfflineClient {
  readonly store = new Map<string, Held>();
  readonly outbox: PendingMutation[] = [];
  readonly clientId = randomUUID();
  cursor: string | null = null;
  pages = 0;

  constructor(
    readonly app: FastifyInstance,
    readonly user: TestUser,
  ) {}

  key = (entity: string, id: string) => `${entity}:${id}`;
  get(entity: string, id: string): Held | undefined {
    return this.store.get(this.key(entity, id));
  }
  all(entity: string): Held[] {
    return [...this.store.values()].filter((h) => h.entity === entity);
  }

  /** Applies one feed entry: upsert into the store, or drop (a trip tombstone drops its contents). */
  apply(entry: any): void {
    const key = this.key(entry.entity, entry.id);
    if (entry.op === 'upsert') {
      this.store.set(key, {
        entity: entry.entity,
        id: entry.id,
        trip: entry.trip,
        version: entry.version,
        object: entry.object,
      });
      return;
    }
    this.store.delete(key);
    if (entry.entity === 'trip')
      for (const [k, held] of this.store) if (held.trip === entry.id) this.store.delete(k);
  }

  /** Pulls until has_more is false; returns every entry received. */
  async pull(limit?: number): Promise<any[]> {
    await settle();
    const received: any[] = [];
    for (let guard = 0; guard < 10_000; guard++) {
      const query = new URLSearchParams();
      if (this.cursor) query.set('cursor', this.cursor);
      if (limit) query.set('limit', String(limit));
      const response = await call(this.app, 'GET', `${SYNC}?${query}`, { token: this.user.access });
      assert.equal(response.status, 200, response.text);
      this.pages++;
      for (const entry of response.body.changes) {
        this.apply(entry);
        received.push(entry);
      }
      this.cursor = response.body.cursor;
      if (!response.body.has_more) return received;
    }
    throw new Error('feed never ended');
  }

  private queue(m: Omit<PendingMutation, 'mutation_id'>): PendingMutation {
    const mutation = { mutation_id: randomUUID(), ...m };
    this.outbox.push(mutation);
    return mutation;
  }

  create(entity: string, fields: Record<string, unknown>, id: string = randomUUID()): string {
    this.queue({ entity, op: 'create', id, fields });
    return id;
  }

  /** An offline edit: based on the version this client holds, applied locally at once. */
  edit(entity: string, id: string, fields: Record<string, unknown>): void {
    const held = this.get(entity, id);
    assert.ok(held, `${entity} ${id} is not held`);
    this.queue({ entity, op: 'update', id, base_version: held.version, fields });
    Object.assign(held.object, fields);
  }

  remove(entity: string, id: string): void {
    const held = this.get(entity, id);
    this.queue({ entity, op: 'delete', id, base_version: held?.version ?? null });
    this.store.delete(this.key(entity, id));
  }

  vote(pollId: string, optionId: string, op: 'create' | 'delete' = 'create'): void {
    this.queue({ entity: 'vote', op, id: pollId, fields: { option_id: optionId } });
  }

  /** Pushes the outbox; applied results and conflicts (server copy wins) update the store. */
  async push(mutations: PendingMutation[] = this.outbox.splice(0)): Promise<any[]> {
    const response = await call(this.app, 'POST', SYNC, {
      token: this.user.access,
      body: { client_id: this.clientId, mutations, ...(this.cursor ? { cursor: this.cursor } : {}) },
    });
    assert.equal(response.status, 200, response.text);
    if (this.cursor) this.cursor = response.body.cursor;
    const results = response.body.results as any[];
    assert.equal(results.length, mutations.length);
    for (const result of results) {
      const key = this.key(result.object_entity, result.id);
      if (result.status === 'rejected') continue;
      if (result.object) {
        const entity = result.object_entity;
        this.store.set(key, {
          entity,
          id: result.id,
          trip: tripOf(entity, result.object),
          version: result.version,
          object: result.object,
        });
      } else if (result.object_entity === 'trip') this.apply({ entity: 'trip', op: 'delete', id: result.id });
      else this.store.delete(key);
    }
    return results;
  }

  /** The store as a plain sorted object, for deepEqual. */
  state(): Record<string, Held> {
    return Object.fromEntries([...this.store.entries()].sort(([a], [b]) => a.localeCompare(b)));
  }
}
