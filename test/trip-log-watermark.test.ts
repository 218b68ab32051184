import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import pg from 'pg';
import { START } from '../src/modules/changes/read-changes.ts';
import { recordChange, type ChangeInput } from '../src/modules/changes/record-change.ts';
import { readTripLog } from '../src/realtime/trip-log.ts';
import { testDatabase } from './helpers/database.ts';
import { services } from './helpers/env.ts';

const database = await testDatabase();

const change = (tripId: string): ChangeInput => ({
  tripId,
  entity: 'item',
  entityId: randomUUID(),
  op: 'insert',
  version: 1,
  actorId: null,
  fields: ['title'],
});

/**
 * The trip's log once it holds `expected` (entity ids, in order), waiting up to 10 s. Other test
 * files run beside this one on the same database, and their transactions hold the watermark too
 * while they run (as they must): a change is then only delayed, for a few milliseconds.
 */
async function logOnceItHolds(tripId: string, expected: string[]): Promise<string[]> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const ids = (await readTripLog(database, { tripId, after: START, limit: 10 })).map((e) => e.entityId);
    if (ids.length >= expected.length || Date.now() > deadline) return ids;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A connection of its own to `dbName` on the test server (this run's database by default). */
async function connection(dbName?: string): Promise<pg.Client> {
  const url = new URL(services.databaseUrl!);
  if (dbName) url.pathname = `/${dbName}`;
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  return client;
}

describe(
  'the live log watermark (stp_trip_log)',
  {
    skip: database.kind !== 'postgres' && 'PGlite has one connection: no transaction runs beside a read',
  },
  () => {
    it('holds back what committed after a running transaction of this database, until that one ends', async () => {
      const tripId = randomUUID();
      const older = await connection();
      try {
        await older.query('begin');
        const first = change(tripId);
        await older.query(
          `insert into changes (trip_id, entity, entity_id, op, version, fields) values ($1, 'item', $2, 'insert', 1, '{}')`,
          [tripId, first.entityId],
        );
        // Committed after the older transaction took its id: a reader must not pass the older one.
        const later = await recordChange(database.db, change(tripId));
        assert.deepEqual(await readTripLog(database, { tripId, after: START, limit: 10 }), []);
        await older.query('commit');
        assert.deepEqual(
          await logOnceItHolds(tripId, [first.entityId, later.entityId]),
          [first.entityId, later.entityId],
          'both, the older transaction first',
        );
      } finally {
        await older.end();
      }
    });

    it('is not held back by a running transaction of another database on the same server', async () => {
      const own = new URL(services.databaseUrl!).pathname.slice(1);
      const elsewhere = await connection(own === 'postgres' ? 'template1' : 'postgres');
      try {
        await elsewhere.query('begin');
        await elsewhere.query('select pg_current_xact_id()'); // takes a transaction id, older than ours
        const tripId = randomUUID();
        const mine = await recordChange(database.db, change(tripId));
        // The other database's transaction stays open all along: were it holding the watermark,
        // the change would never show.
        assert.deepEqual(await logOnceItHolds(tripId, [mine.entityId]), [mine.entityId]);
      } finally {
        await elsewhere.query('rollback').catch(() => undefined);
        await elsewhere.end();
      }
    });
  },
);
