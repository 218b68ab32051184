import { getTableColumns, type Logger } from 'drizzle-orm';
import { NodePgSession } from 'drizzle-orm/node-postgres';
import type { PgTable } from 'drizzle-orm/pg-core';
import type pg from 'pg';
import type { Db, Tx } from './client.ts';

/**
 * A statement as SQL text with $1… parameters, its values, and the name it is prepared under on
 * each connection (one text per name; '' for a statement parsed every time).
 */
export interface Statement {
  name: string;
  text: string;
  values: unknown[];
}

/** What a Drizzle session holds: node-postgres's pool or (in a transaction) client, or PGlite's. */
interface SessionParts {
  client: {
    query(config: pg.QueryConfig | string, values?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
  };
  logger: Logger;
}

/**
 * Runs a statement Drizzle's query builder cannot write (a data-modifying CTE returning columns
 * of several tables), on the connection of `db` or of its transaction: prepared by name on
 * PostgreSQL, with its values on PGlite. Rows come back as the driver parses them (timestamps as
 * Dates), keyed by column name; logged like Drizzle's own queries.
 */
export async function runStatement(db: Db | Tx, statement: Statement): Promise<Record<string, unknown>[]> {
  const session = db._.session as unknown as SessionParts;
  const { name, text, values } = statement;
  session.logger.logQuery(text, values);
  const result =
    (session as unknown) instanceof NodePgSession
      ? await session.client.query(name ? { name, text, values } : { text, values })
      : await session.client.query(text, values);
  return result.rows;
}

/** `alias.column as "prefix_column"` for every column of `table`, to read back with `rowOf`. */
export function columnsOf(table: PgTable, alias: string, prefix: string): string {
  return Object.values(getTableColumns(table))
    .map((column) => `${alias}.${column.name} as "${prefix}${column.name}"`)
    .join(', ');
}

/**
 * A row of `table` as Drizzle would return it, from the columns `columnsOf` named. The driver has
 * parsed the values already; a timestamp arrives as a Date and is kept as it is.
 */
export function rowOf<T extends PgTable>(
  table: T,
  raw: Record<string, unknown>,
  prefix: string,
): T['$inferSelect'] {
  const row: Record<string, unknown> = {};
  for (const [key, column] of Object.entries(getTableColumns(table))) {
    const value = raw[`${prefix}${column.name}`];
    row[key] =
      value === null || value === undefined || value instanceof Date
        ? (value ?? null)
        : column.mapFromDriverValue(value);
  }
  return row as T['$inferSelect'];
}
