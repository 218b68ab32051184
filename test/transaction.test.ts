import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { eq, sql } from 'drizzle-orm';
import { rowsOf, type Tx } from '../src/db/client.ts';
import { prepared } from '../src/db/prepared.ts';
import { changes } from '../src/db/schema/index.ts';
import { literal, transactionEndingWith } from '../src/db/transaction.ts';
import {
  changesInsert,
  recordChange,
  recordedAfterCommit,
  type ChangeInput,
} from '../src/modules/changes/record-change.ts';
import { testDatabase } from './helpers/database.ts';

const { db, kind } = await testDatabase();

const change = (fields: string[] = ['title']): ChangeInput => ({
  tripId: null,
  entity: 'user',
  entityId: randomUUID(),
  op: 'update',
  version: 2,
  actorId: null,
  fields,
});
const divideByZero = { name: 'test_tx_divide_by_zero', text: 'select 1/$1::integer', values: [0] };
const logged = async (entityId: string) => db.select().from(changes).where(eq(changes.entityId, entityId));

describe(`transactions ending with their last statement (${kind})`, () => {
  it('commits the body and the last statement together, and hands back what the last one returned', async () => {
    const first = change();
    const last = [change(), change(['a', 'b'])];
    const { value, lastRows } = await transactionEndingWith(db, async (tx) => {
      await recordChange(tx, first);
      return { value: 'done', last: [changesInsert(last)] };
    });
    assert.equal(value, 'done');
    const recorded = recordedAfterCommit(last, lastRows);
    assert.equal(recorded.length, 2);
    assert.ok(recorded[0]!.cursor.seq < recorded[1]!.cursor.seq, 'in the order given');
    assert.ok(recorded[0]!.createdAt instanceof Date);
    for (const c of [first, ...last]) assert.equal((await logged(c.entityId)).length, 1);
    assert.deepEqual((await logged(last[1]!.entityId))[0]!.fields, ['a', 'b']);
    assert.equal((await logged(last[1]!.entityId))[0]!.seq, recorded[1]!.cursor.seq);
  });

  it('a failing last statement leaves nothing behind, and the connection goes on working', async () => {
    const first = change();
    await assert.rejects(
      transactionEndingWith(db, async (tx) => {
        await recordChange(tx, first);
        return {
          value: null,
          last: [
            {
              name: 'test_tx_bad_uuid',
              text: `insert into changes (entity, entity_id, op, version) values ('user', $1::uuid, 'update', 1)`,
              values: ['not-a-uuid'],
            },
          ],
        };
      }),
      /uuid/,
    );
    assert.equal((await logged(first.entityId)).length, 0, 'the body was rolled back');
    // Every pooled connection still works (none was returned in an aborted transaction).
    for (let i = 0; i < 12; i++) await transactionEndingWith(db, async () => ({ value: i, last: [] }));
    const again = change();
    await transactionEndingWith(db, async () => ({ value: null, last: [changesInsert([again])] }));
    assert.equal((await logged(again.entityId)).length, 1);
  });

  it('several statements before COMMIT run in order; the rows handed back are the last one’s', async () => {
    const first = change();
    const second = change(['x']);
    const { lastRows } = await transactionEndingWith(db, async () => ({
      value: null,
      last: [changesInsert([first]), changesInsert([second])],
    }));
    const [a] = await logged(first.entityId);
    const [b] = await logged(second.entityId);
    assert.ok(a && b && a.seq < b.seq, 'both committed, in order');
    assert.equal(recordedAfterCommit([second], lastRows)[0]!.cursor.seq, b.seq);
    // A failing second statement takes the first (and the body) with it.
    const third = change();
    await assert.rejects(
      transactionEndingWith(db, async () => ({
        value: null,
        last: [changesInsert([third]), divideByZero],
      })),
      // Drizzle wraps PGlite's error ("Failed query"); PostgreSQL's reaches here as it is.
      (error: Error) => /division by zero/.test(`${error.message} ${String(error.cause)}`),
    );
    assert.equal((await logged(third.entityId)).length, 0);
  });

  it('hands back each statement its own rows, in order (none for a statement without RETURNING)', async () => {
    const first = change();
    const { lastResults } = await transactionEndingWith(db, async () => ({
      value: null,
      last: [
        {
          name: 'test_tx_no_rows',
          text: 'delete from changes where entity_id = $1::uuid',
          values: [first.entityId],
        },
        changesInsert([first]),
        { name: 'test_tx_two_rows', text: 'select n from generate_series(1, $1::integer) n', values: [2] },
      ],
    }));
    assert.equal(lastResults.length, 3);
    assert.deepEqual(lastResults[0], []);
    assert.equal(lastResults[1]!.length, 1);
    assert.equal(lastResults[1]![0]!.seq, String((await logged(first.entityId))[0]!.seq));
    assert.deepEqual(lastResults[2], [{ n: 1 }, { n: 2 }]);
  });

  it('a statement first prepared in a batch that fails can be used again on every connection', async () => {
    // Prepared by a failing batch, it may or may not exist on that connection afterwards: the
    // connection must not be reused believing either (a second Parse of the name would fail).
    const fresh = (c: ChangeInput) => ({
      name: 'test_tx_fresh_then_fail',
      text: `insert into changes (entity, entity_id, op, version) values ('user', $1::uuid, 'update', 1)`,
      values: [c.entityId],
    });
    const failed = Array.from({ length: 12 }, () => change());
    for (const c of failed)
      await assert.rejects(
        transactionEndingWith(db, async () => ({ value: null, last: [fresh(c), divideByZero] })),
        (error: Error) => /division by zero/.test(`${error.message} ${String(error.cause)}`),
      );
    const kept = Array.from({ length: 12 }, () => change());
    for (const c of kept) await transactionEndingWith(db, async () => ({ value: null, last: [fresh(c)] }));
    for (const c of failed) assert.equal((await logged(c.entityId)).length, 0);
    for (const c of kept) assert.equal((await logged(c.entityId)).length, 1);
  });

  it('literal() quotes strings, refuses non-integers, and writes null', () => {
    assert.equal(literal(null), 'null');
    assert.equal(literal(42), '42');
    assert.equal(literal(`it's`), `'it''s'`);
    assert.throws(() => literal(1.5));
    assert.throws(() => literal(Number.NaN));
  });

  it('a body that throws commits nothing and sends no last statement', async () => {
    const first = change();
    await assert.rejects(
      transactionEndingWith(db, async (tx) => {
        await recordChange(tx, first);
        throw new Error('refused');
      }),
      /refused/,
    );
    assert.equal((await logged(first.entityId)).length, 0);
  });

  it('binds every value: field names with quotes, backslashes and semicolons arrive as written', async () => {
    const odd = change([`o'brien`, 'back\\slash', "x'); drop table changes; --", 'ünï']);
    const { lastRows } = await transactionEndingWith(db, async () => ({
      value: null,
      last: [changesInsert([odd])],
    }));
    assert.equal(lastRows.length, 1);
    assert.deepEqual((await logged(odd.entityId))[0]!.fields, odd.fields);
  });
});

describe(`transactions: BEGIN sent with the first statement (${kind})`, () => {
  const insertChange = (tx: Tx, c: ChangeInput) =>
    tx.insert(changes).values({ entity: c.entity, entityId: c.entityId, op: c.op, version: c.version });

  it('a first statement that succeeds is inside the transaction: a body that throws afterwards leaves nothing', async () => {
    const first = change();
    await assert.rejects(
      transactionEndingWith(db, async (tx) => {
        await insertChange(tx, first); // unnamed, with parameters: the batched path
        // Another connection must not see it yet (PGlite has one connection: nothing to ask).
        if (kind === 'postgres') assert.equal((await logged(first.entityId)).length, 0, 'not yet visible');
        throw new Error('refused');
      }),
      /refused/,
    );
    assert.equal((await logged(first.entityId)).length, 0);
  });

  it('hands the first statement its own rows, not BEGIN’s, and a failing first statement rolls back', async () => {
    for (let i = 0; i < 15; i++) {
      const { value } = await transactionEndingWith(db, async (tx) => {
        const rows = rowsOf(await tx.execute(sql`select ${i}::integer as n, 'x' as s`));
        return { value: rows, last: [] };
      });
      assert.deepEqual(value, [{ n: i, s: 'x' }]);
      await assert.rejects(
        transactionEndingWith(db, async (tx) => {
          await tx.execute(sql`select 1/0`); // no parameters: still one batch with BEGIN
          return { value: null, last: [] };
        }),
        (error: Error) => /division by zero/.test(`${error.message} ${String(error.cause)}`),
      );
    }
    const after = change();
    await transactionEndingWith(db, async (tx) => ({ value: await insertChange(tx, after), last: [] }));
    assert.equal((await logged(after.entityId)).length, 1, 'every connection still works');
  });

  it('a named statement first (prepared on this connection or not yet) commits or rolls back as asked', async () => {
    const made = Array.from({ length: 30 }, () => change());
    for (const [i, c] of made.entries()) {
      const attempt = transactionEndingWith(db, async (tx) => {
        await prepared(tx, 'test_tx_first_named', (d) =>
          d.insert(changes).values({
            entity: 'user',
            entityId: sql.placeholder('id'),
            op: 'update',
            version: 1,
          }),
        ).execute({ id: c.entityId });
        if (i % 3 === 0) throw new Error('refused');
        return { value: null, last: [changesInsert([change()])] };
      });
      if (i % 3 === 0) await assert.rejects(attempt, /refused/);
      else await attempt;
    }
    for (const [i, c] of made.entries())
      assert.equal((await logged(c.entityId)).length, i % 3 === 0 ? 0 : 1, `transaction ${i}`);
  });

  it('a named statement that cannot be prepared fails the same way every time, and the pool recovers', async () => {
    for (let i = 0; i < 3; i++)
      await assert.rejects(
        transactionEndingWith(db, async (tx) => {
          await prepared(tx, 'test_tx_broken_named', (d) =>
            d.select({ n: sql<number>`1` }).from(sql`no_such_table`),
          ).execute();
          return { value: null, last: [] };
        }),
        (error: Error) => /no_such_table/.test(`${error.message} ${String(error.cause)}`),
      );
    const after = change();
    await transactionEndingWith(db, async () => ({ value: null, last: [changesInsert([after])] }));
    assert.equal((await logged(after.entityId)).length, 1);
  });

  it('a body that fails before its first statement sends nothing, and one with only last statements still begins', async () => {
    await assert.rejects(
      transactionEndingWith(db, async () => {
        throw new Error('before any statement');
      }),
      /before any statement/,
    );
    const one = change();
    const two = change();
    await assert.rejects(
      transactionEndingWith(db, async () => ({
        value: null,
        last: [changesInsert([one]), divideByZero],
      })),
      (error: Error) => /division by zero/.test(`${error.message} ${String(error.cause)}`),
    );
    assert.equal((await logged(one.entityId)).length, 0, 'BEGIN went first: the insert was rolled back');
    await transactionEndingWith(db, async () => ({ value: null, last: [changesInsert([two])] }));
    assert.equal((await logged(two.entityId)).length, 1);
  });
});
