import type { Db, Tx } from './client.ts';

interface Executable {
  execute(placeholders?: Record<string, unknown>): Promise<unknown>;
}

const built = new WeakMap<Db | Tx, Map<string, Executable>>();

/**
 * A hot query built once per database handle and sent as a named prepared statement: the query
 * builder's work (about a tenth of a trip-detail request's CPU when repeated per request) is done
 * once, and PostgreSQL parses and plans the statement once per connection instead of per request.
 * `name` must always stand for the same SQL text (node-postgres refuses a second text under a
 * name it has already prepared on a connection). Values go in through `sql.placeholder(...)`.
 * A transaction handle is new per transaction, so inside one the statement is built per call
 * (as any other query) but still parsed once per connection.
 */
export function prepared<Q extends Executable>(
  db: Db | Tx,
  name: string,
  build: (db: Db | Tx) => { prepare(name: string): Q },
): Q {
  let queries = built.get(db);
  if (!queries) built.set(db, (queries = new Map()));
  let query = queries.get(name) as Q | undefined;
  if (!query) queries.set(name, (query = build(db).prepare(name)));
  return query;
}
