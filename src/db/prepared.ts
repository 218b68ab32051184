import { sql, type Placeholder } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import type { Db, Tx } from './client.ts';

interface Executable {
  execute(placeholders?: Record<string, unknown>): Promise<unknown>;
}

/** What a Drizzle session hands its queries: the connection (pool, pool client, PGlite) and logger. */
interface SessionParts {
  client: unknown;
  logger: unknown;
}

/** One built statement per name and driver, built from whichever database asked first. */
const templates = new Map<string, Executable>();
/** The templates bound to one session (the pool's, or one transaction's). */
const bound = new WeakMap<object, Map<string, Executable>>();

/**
 * A hot query built once and sent as a named prepared statement: the query builder's work (a
 * tenth to a sixth of a request's CPU when repeated per request) is done once per process, and
 * PostgreSQL parses and plans the statement once per connection instead of per request.
 * `name` must always stand for the same SQL text (node-postgres refuses a second text under a
 * name it has already prepared on a connection). Values go in through `sql.placeholder(...)`.
 *
 * Drizzle binds a prepared query to the session it was built on, and every transaction has a
 * session of its own. So the built query is a template: for each session (the pool's, or a
 * transaction's connection) it is copied with that session's connection and logger — a few
 * property copies instead of rebuilding SQL text, parameter lists and row mappers. This relies on
 * Drizzle's prepared queries (node-postgres and PGlite, drizzle-orm 0.45) reading `this.client`
 * and `this.logger` when they execute; the whole test suite runs through it on both drivers.
 */
export function prepared<Q extends Executable>(
  db: Db | Tx,
  name: string,
  build: (db: Db | Tx) => { prepare(name: string): Q },
): Q {
  const session = db._.session as unknown as SessionParts & object;
  let queries = bound.get(session);
  if (!queries) bound.set(session, (queries = new Map()));
  let query = queries.get(name) as Q | undefined;
  if (!query) {
    const key = `${session.constructor.name}:${name}`;
    let template = templates.get(key) as Q | undefined;
    if (!template) templates.set(key, (template = build(db).prepare(name)));
    query = Object.assign(Object.create(Object.getPrototypeOf(template) as object) as Q, template, {
      client: session.client,
      logger: session.logger,
    });
    queries.set(name, query);
  }
  return query;
}

/** First pages of these sizes get statements of their own (see pageBounds): a handful per connection. */
const FIRST_PAGE_SIZES = new Set([10, 20, 25, 50, 100]);

/**
 * LIMIT and OFFSET for a prepared statement, and the suffix its name needs. PostgreSQL cannot
 * cost a generic plan for `LIMIT $n` (it assumes a tenth of the rows), so a statement whose bounds
 * are parameters is planned again at every execution: for the trip list's fingerprint that was
 * 0.80 ms of planning against 0.20 ms of execution, on every read. A first page of a common size
 * (what clients poll) gets its bounds as literals in a statement of its own, planned once per
 * connection; any other page keeps the parameters (`limit`, `offset` in `execute`).
 */
export function pageBounds(window: { limit: number; offset: number }): {
  suffix: string;
  limit: Placeholder;
  offset: Placeholder | number;
} {
  if (window.offset === 0 && FIRST_PAGE_SIZES.has(window.limit))
    // Drizzle renders an SQL chunk given as the limit as it is: a literal of a known integer.
    return {
      suffix: `_first_${window.limit}`,
      limit: sql.raw(String(window.limit)) as unknown as Placeholder,
      offset: 0,
    };
  return { suffix: '', limit: sql.placeholder('limit'), offset: sql.placeholder('offset') };
}

/**
 * The rows of `table` whose uuid `column` is one of `ids`, as one prepared statement (`= any($1)`:
 * the same text whatever the number of ids). The query builder's `inArray` spends more building a
 * long IN list, and PostgreSQL more parsing it, than either spends on the rows.
 */
export function rowsWhereAny<T extends PgTable>(
  db: Db | Tx,
  name: string,
  table: T,
  column: PgColumn,
  ids: readonly string[],
): Promise<T['$inferSelect'][]> {
  return prepared(db, name, (db) =>
    db
      .select()
      .from(table as PgTable)
      .where(sql`${column} = any(${sql.placeholder('ids')}::uuid[])`),
  ).execute({ ids }) as Promise<T['$inferSelect'][]>;
}
