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

/** The parts of node-postgres's connection and Query (pg 8.x, untyped internals) sending BEGIN ahead of a statement uses. */
interface PgConnection {
  stream: { cork(): void; uncork(): void };
  parsedStatements: Record<string, string | undefined>;
  parse(message: { text: string }): void;
  bind(message: object): void;
  execute(message: object): void;
}
interface PgQueryInternals {
  name?: string;
  queryMode?: string;
  callback?: (error: Error | null, result?: pg.QueryResult) => void;
  submit(connection: PgConnection): Error | null | undefined;
  handleCommandComplete(message: unknown, connection: PgConnection): void;
}
const PgQuery = pg.Query as unknown as new (config: unknown, values?: unknown) => PgQueryInternals;

/**
 * A statement with BEGIN ahead of it in the same extended-protocol batch (one write, one Sync, one
 * ReadyForQuery): Parse/Bind/Execute of BEGIN, then the statement as node-postgres sends it. The
 * transaction then costs no round trip of its own. BEGIN's CommandComplete is the first message
 * back and is not part of the statement's result. If the statement fails, the transaction it
 * opened is left aborted, and the caller rolls it back as after any failed statement. If
 * node-postgres refuses the statement before writing it (a statement name reused for another
 * text: a programming error), BEGIN has gone without its Sync; the ROLLBACK that follows the
 * error is answered after BEGIN's buffered replies, which it absorbs, and the connection is in
 * step again (checked by hand: 15 times on one connection, every later answer read right).
 */
class BeginThen extends PgQuery {
  private begun = false;

  constructor(config: unknown, values?: unknown) {
    super(config, values);
    // Statements without parameters would otherwise go as a simple query, with its own
    // ReadyForQuery; the batch needs the extended protocol throughout.
    this.queryMode = 'extended';
  }

  override submit(connection: PgConnection): Error | null | undefined {
    connection.stream.cork(); // node-postgres corks its own messages too; this adds BEGIN's
    try {
      connection.parse({ text: 'begin' });
      connection.bind({});
      connection.execute({});
      return super.submit(connection);
    } finally {
      connection.stream.uncork();
    }
  }

  override handleCommandComplete(message: unknown, connection: PgConnection): void {
    if (this.begun) return super.handleCommandComplete(message, connection);
    this.begun = true;
  }
}

/** The pooled client as a transaction's Drizzle session sees it: BEGIN rides on the first statement. */
function beginningClient(client: pg.PoolClient): { client: pg.PoolClient; begun: () => boolean } {
  const connection = (client as unknown as { connection: PgConnection }).connection;
  let begun = false;
  const query = (config: pg.QueryConfig, values?: unknown[]): Promise<pg.QueryResult> => {
    if (begun) return client.query(config, values);
    begun = true;
    // A named statement not yet prepared on this connection goes after a BEGIN of its own: the
    // client marks a name prepared at the first ParseComplete while that query is active, which
    // in a batch would be BEGIN's — and a statement whose own Parse then failed would stay marked.
    if (config.name && connection.parsedStatements[config.name] === undefined)
      return client.query('begin').then(() => client.query(config, values));
    return new Promise((resolve, reject) => {
      const statement = new BeginThen(config, values);
      statement.callback = (error, result) => (error ? reject(error) : resolve(result!));
      client.query(statement as unknown as pg.Submittable);
    });
  };
  return { client: Object.assign(Object.create(client) as pg.PoolClient, { query }), begun: () => begun };
}

/**
 * Runs `fn` in a transaction, like `db.transaction`, with two round trips fewer on PostgreSQL.
 * Each round trip costs both processes a socket write and a wake-up, which under load are a large
 * share of a write's CPU:
 * - BEGIN is not sent on its own: it goes in one batch with the transaction's first statement
 *   (BeginThen). A body that throws before its first statement has sent nothing at all.
 * - The statements `fn` ends with (`last`) are sent in the same round trip as COMMIT, one
 *   simple-protocol query; every write ends by appending its change-log rows. If any statement
 *   fails, nothing is committed: PostgreSQL skips the rest of the query and the transaction is
 *   rolled back here, as any failed transaction is.
 *
 * This builds Drizzle's own transaction objects around a pooled client (what `db.transaction`
 * does inside), so `tx` behaves exactly as it would there. PGlite, where a round trip is a
 * function call, keeps `db.transaction` and runs `last` as statements of their own.
 * `lastResults` are the rows each of `last` returned, in order; `lastRows` the last one's.
 */
export async function transactionEndingWith<T>(
  db: Db,
  fn: (tx: Tx) => Promise<Ending<T>>,
): Promise<{ value: T; lastRows: Record<string, unknown>[]; lastResults: Record<string, unknown>[][] }> {
  const session = db._.session as unknown as PgSessionParts;
  const onPool = (db._.session as unknown) instanceof NodePgSession && session.client instanceof pg.Pool;
  if (!onPool)
    return db.transaction(async (tx) => {
      const { value, last } = await fn(tx);
      const lastResults: Record<string, unknown>[][] = [];
      for (const statement of last) lastResults.push(rowsOf(await tx.execute(sql.raw(statement))));
      return { value, lastRows: lastResults.at(-1) ?? [], lastResults };
    });

  const client = await (session.client as pg.Pool).connect();
  let broken: Error | undefined;
  const beginning = beginningClient(client);
  try {
    const own = new NodePgSession(beginning.client, session.dialect, session.schema, session.options);
    const tx = new NodePgTransaction(session.dialect, own, session.schema) as unknown as Tx;
    let ending = false;
    try {
      const { value, last } = await fn(tx);
      ending = true;
      const begin = beginning.begun() ? [] : ['begin'];
      const text = [...begin, ...last, 'commit'].join(';\n');
      session.options.logger?.logQuery(text, []);
      const result: pg.QueryResult | pg.QueryResult[] = await client.query(text);
      // One result per statement: BEGIN's if it went here, then those of `last`, then COMMIT's.
      const results = Array.isArray(result) ? result : [result];
      const lastResults = results.slice(begin.length, -1).map((r) => r.rows as Record<string, unknown>[]);
      return { value, lastRows: lastResults.at(-1) ?? [], lastResults };
    } catch (error) {
      // After a failed COMMIT there is no transaction left and this only warns; a connection
      // that cannot even roll back is dropped from the pool rather than reused. A body that
      // failed before its first statement began nothing.
      if (beginning.begun() || ending)
        await client.query('rollback').catch((rollbackError: Error) => (broken = rollbackError));
      throw error;
    }
  } finally {
    client.release(broken);
  }
}
