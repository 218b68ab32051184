import { sql, type Logger } from 'drizzle-orm';
import { NodePgSession, NodePgTransaction } from 'drizzle-orm/node-postgres';
import type { PgDialect } from 'drizzle-orm/pg-core';
import pg from 'pg';
import { rowsOf, type Db, type Tx } from './client.ts';

/** What a transaction's body hands back: its value, and statements to send together with COMMIT. */
export interface Ending<T> {
  value: T;
  /** SQL statements with literals only (no parameters), run in order before COMMIT; may be empty. */
  last: string[];
}

/** The parts of Drizzle's node-postgres session a transaction of our own needs (private in its types). */
interface PgSessionParts {
  client: unknown;
  dialect: PgDialect;
  schema: ConstructorParameters<typeof NodePgSession>[2];
  options: ConstructorParameters<typeof NodePgSession>[3] & { logger?: Logger };
}

/**
 * A value as an SQL literal, for statements sent with COMMIT (a simple-protocol query carries no
 * parameters): strings quoted by pg's escapeLiteral, integers checked, null as null.
 */
export function literal(value: string | number | null): string {
  if (value === null) return 'null';
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new Error(`not an integer literal: ${value}`);
    return String(value);
  }
  return pg.escapeLiteral(value);
}

/**
 * Runs `fn` in a transaction, like `db.transaction`, except that the statements `fn` ends with are
 * sent in the same round trip as COMMIT (one simple-protocol query of two statements). Every write
 * ends by appending its change-log rows; on PostgreSQL each round trip costs both processes a
 * socket write and a wake-up, which under load are a large share of a write's CPU, so this saves
 * one of a write's five or six. If any statement fails, nothing is committed: PostgreSQL skips
 * the rest of the query and the transaction is rolled back here, as any failed transaction is.
 *
 * This builds Drizzle's own transaction objects around a pooled client (what `db.transaction`
 * does inside), so `tx` behaves exactly as it would there. PGlite, where a round trip is a
 * function call, keeps `db.transaction` and runs `last` as statements of their own. `lastRows`
 * are the rows the last of them returned.
 */
export async function transactionEndingWith<T>(
  db: Db,
  fn: (tx: Tx) => Promise<Ending<T>>,
): Promise<{ value: T; lastRows: Record<string, unknown>[] }> {
  const session = db._.session as unknown as PgSessionParts;
  const onPool = (db._.session as unknown) instanceof NodePgSession && session.client instanceof pg.Pool;
  if (!onPool)
    return db.transaction(async (tx) => {
      const { value, last } = await fn(tx);
      let lastRows: Record<string, unknown>[] = [];
      for (const statement of last) lastRows = rowsOf(await tx.execute(sql.raw(statement)));
      return { value, lastRows };
    });

  const client = await (session.client as pg.Pool).connect();
  let broken: Error | undefined;
  try {
    const own = new NodePgSession(client, session.dialect, session.schema, session.options);
    const tx = new NodePgTransaction(session.dialect, own, session.schema) as unknown as Tx;
    try {
      await tx.execute(sql`begin`);
      const { value, last } = await fn(tx);
      const text = [...last, 'commit'].join(';\n');
      session.options.logger?.logQuery(text, []);
      const result: pg.QueryResult | pg.QueryResult[] = await client.query(text);
      // One result per statement; the one before COMMIT is the last of `last`.
      return { value, lastRows: last.length && Array.isArray(result) ? result.at(-2)!.rows : [] };
    } catch (error) {
      // After a failed BEGIN or COMMIT there is no transaction left and this only warns; a
      // connection that cannot even roll back is dropped from the pool rather than reused.
      await client.query('rollback').catch((rollbackError: Error) => (broken = rollbackError));
      throw error;
    }
  } finally {
    client.release(broken);
  }
}
