import type { Logger } from 'drizzle-orm';
import { NodePgSession, NodePgTransaction } from 'drizzle-orm/node-postgres';
import type { PgDialect } from 'drizzle-orm/pg-core';
import pg from 'pg';
import type { Db, Tx } from './client.ts';
import { runStatement, type Statement } from './statement.ts';

export type { Statement };

/** What a transaction's body hands back: its value, and statements to send together with COMMIT. */
export interface Ending<T> {
  value: T;
  /** Statements run in order before COMMIT, in the same round trip; may be empty. */
  last: Statement[];
}

/** The parts of Drizzle's node-postgres session a transaction of our own needs (private in its types). */
interface PgSessionParts {
  client: unknown;
  dialect: PgDialect;
  schema: ConstructorParameters<typeof NodePgSession>[2];
  options: ConstructorParameters<typeof NodePgSession>[3] & { logger?: Logger };
}

/**
 * A value as an SQL literal, for a statement that cannot take a parameter (a LIMIT the planner
 * must see): strings quoted by pg's escapeLiteral, integers checked, null as null.
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
  parse(message: { text: string; name?: string }): void;
  bind(message: object): void;
  describe(message: { type: 'P'; name: string }): void;
  execute(message: object): void;
  sync(): void;
  sendCopyFail(message: string): void;
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

/** pg's row builder (pg.Result, untyped): field descriptions in, rows parsed by the default types. */
interface PgResult {
  rows: Record<string, unknown>[];
  addFields(fields: unknown[]): void;
  parseRow(fields: unknown[]): Record<string, unknown>;
  addRow(row: Record<string, unknown>): void;
}
const PgResultClass = (pg as unknown as { Result: new () => PgResult }).Result;
const prepareValue = (pg as unknown as { utils: { prepareValue(value: unknown): unknown } }).utils
  .prepareValue;

/**
 * A transaction's last statements and its COMMIT (and its BEGIN, when nothing went before), as one
 * extended-protocol batch with one Sync: one write, one round trip. Each statement is a named
 * prepared statement, parsed and planned once per connection (sent as literal SQL text they were
 * parsed and planned on every write: a tenth of the database's CPU on item creates). An error
 * anywhere makes PostgreSQL skip the rest up to the Sync, COMMIT included; the transaction is then
 * aborted and the caller rolls it back. Statements parsed by a batch that failed may or may not
 * exist on the connection afterwards (`parsedUnknown`): such a connection is not reused.
 */
class CommitBatch {
  callback?: (error: Error | null, results?: Record<string, unknown>[][]) => void;
  parsedUnknown = false;
  private readonly results: Record<string, unknown>[][] = [];
  private current: PgResult | null = null;
  private completed = 0;
  private failure: Error | null = null;
  private connection: PgConnection | null = null;
  private readonly fresh: Statement[] = [];

  constructor(
    private readonly statements: readonly Statement[],
    private readonly begin: boolean,
  ) {}

  submit(connection: PgConnection): Error | null {
    for (const { name, text } of this.statements) {
      const known = name ? connection.parsedStatements[name] : undefined;
      if (known !== undefined && known !== text)
        return new Error(`Prepared statements must be unique - '${name}' was used for a different statement`);
    }
    this.connection = connection;
    connection.stream.cork();
    try {
      if (this.begin) this.unnamed(connection, 'begin');
      for (const statement of this.statements) {
        const { name, text, values } = statement;
        if (!name || connection.parsedStatements[name] === undefined) {
          connection.parse({ name, text });
          if (name) this.fresh.push(statement);
        }
        connection.bind({ statement: name, values, valueMapper: prepareValue });
        connection.describe({ type: 'P', name: '' });
        connection.execute({});
      }
      this.unnamed(connection, 'commit');
      connection.sync();
    } finally {
      connection.stream.uncork();
    }
    return null;
  }

  private unnamed(connection: PgConnection, text: string): void {
    connection.parse({ text });
    connection.bind({});
    connection.execute({});
  }

  handleRowDescription(message: { fields: unknown[] }): void {
    this.current = new PgResultClass();
    this.current.addFields(message.fields);
  }

  handleDataRow(message: { fields: unknown[] }): void {
    if (this.failure || !this.current) return;
    try {
      this.current.addRow(this.current.parseRow(message.fields));
    } catch (error) {
      this.failure = error as Error;
    }
  }

  handleCommandComplete(): void {
    // BEGIN's (when sent here), then one per statement, then COMMIT's.
    const index = this.completed++ - (this.begin ? 1 : 0);
    if (index >= 0 && index < this.statements.length) this.results.push(this.current?.rows ?? []);
    this.current = null;
  }

  handleEmptyQuery(): void {}
  handlePortalSuspended(): void {}
  handleCopyData(): void {}
  handleCopyInResponse(connection: PgConnection): void {
    connection.sendCopyFail('No source stream defined');
  }

  /** PostgreSQL refused a statement: the rest of the batch was skipped. */
  handleError(error: Error): void {
    this.parsedUnknown = this.fresh.length > 0;
    this.callback?.(error);
  }

  handleReadyForQuery(): void {
    if (this.failure) return this.handleError(this.failure);
    for (const { name, text } of this.fresh) this.connection!.parsedStatements[name] = text;
    this.callback?.(null, this.results);
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
      for (const statement of last) lastResults.push(await runStatement(tx, statement));
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
      for (const statement of last) session.options.logger?.logQuery(statement.text, statement.values);
      const batch = new CommitBatch(last, !beginning.begun());
      const lastResults = await new Promise<Record<string, unknown>[][]>((resolve, reject) => {
        batch.callback = (error, results) => (error ? reject(error) : resolve(results!));
        client.query(batch as unknown as pg.Submittable);
      }).catch((error: unknown) => {
        if (batch.parsedUnknown) broken = error as Error;
        throw error;
      });
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
