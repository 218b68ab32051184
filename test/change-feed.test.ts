import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { changes } from '../src/db/schema/index.ts';
import {
  START,
  decodeCursor,
  encodeCursor,
  readChanges,
  type Cursor,
} from '../src/modules/changes/read-changes.ts';
import { testDatabase } from './helpers/database.ts';

const { db, kind } = await testDatabase();

describe('change feed cursor', () => {
  it('encodes and decodes cursors; rejects junk', () => {
    const cursor = { txid: 123456789012n, seq: 42n };
    assert.deepEqual(decodeCursor(encodeCursor(cursor)), cursor);
    for (const bad of [
      '',
      'abc',
      '1.',
      '.1',
      '1.2.3',
      '-1.2',
      '1e5.2',
      '99999999999999999999.1',
      '1.9223372036854775808',
    ])
      assert.equal(decodeCursor(bad), null, bad);
  });

  it('returns changes in order, filtered by trip, paged by cursor', async () => {
    const trip = randomUUID();
    for (let i = 0; i < 5; i++) {
      await db.insert(changes).values({
        tripId: trip,
        entity: 'item',
        entityId: randomUUID(),
        op: 'insert',
        version: 1,
        fields: [`f${i}`],
      });
    }
    // The feed serves only changes older than every running transaction in the cluster; another
    // test process's open transaction can hold them back for a moment, so wait until visible.
    const deadline = Date.now() + 15_000;
    while (
      (await readChanges(db, { after: START, tripIds: [trip], limit: 10 })).length < 5 &&
      Date.now() < deadline
    ) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const first = await readChanges(db, { after: START, tripIds: [trip], limit: 3 });
    assert.deepEqual(
      first.map((c) => c.fields[0]),
      ['f0', 'f1', 'f2'],
    );
    const rest = await readChanges(db, { after: first.at(-1)!.cursor, tripIds: [trip], limit: 10 });
    assert.deepEqual(
      rest.map((c) => c.fields[0]),
      ['f3', 'f4'],
    );
    assert.deepEqual(await readChanges(db, { after: START, tripIds: [], limit: 10 }), []);
  });

  it(
    'never skips a change committed after a later one was read (concurrent writers, polling reader)',
    { skip: kind === 'pglite' ? 'PGlite has a single connection: writers cannot overlap' : false },
    async () => {
      const trip = randomUUID();
      const written: string[] = [];
      const seen: string[] = [];
      let cursor: Cursor = START;
      let writing = true;
      // Writers hold their transaction open for a random while after inserting, so commit order
      // differs from sequence order: exactly the case a plain seq cursor gets wrong.
      const writers = Array.from({ length: 6 }, async (_, w) => {
        for (let i = 0; i < 15; i++) {
          const id = randomUUID();
          await db.transaction(async (tx) => {
            await tx.insert(changes).values({
              tripId: trip,
              entity: 'item',
              entityId: id,
              op: 'insert',
              version: 1,
              fields: [`w${w}`],
            });
            await new Promise((resolve) => setTimeout(resolve, Math.random() * 15));
          });
          written.push(id);
        }
      });
      const reader = (async () => {
        while (writing) {
          for (const change of await readChanges(db, { after: cursor, tripIds: [trip], limit: 7 })) {
            seen.push(change.entityId);
            cursor = change.cursor;
          }
          await new Promise((resolve) => setTimeout(resolve, 2));
        }
      })();
      await Promise.all(writers);
      writing = false;
      await reader;
      for (const change of await readChanges(db, { after: cursor, tripIds: [trip], limit: 1000 }))
        seen.push(change.entityId);
      assert.equal(seen.length, written.length, 'every change seen exactly once');
      assert.deepEqual([...seen].sort(), [...written].sort());
    },
  );
});
