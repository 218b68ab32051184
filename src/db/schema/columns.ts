import { customType, integer, timestamp, uuid } from 'drizzle-orm/pg-core';

/** A UUID primary key that the server fills when the client did not send one (offline creates). */
export const idColumn = () => uuid('id').primaryKey().defaultRandom();

/** Sync needs these on every mutable row: a monotonically increasing version and both timestamps. */
export const syncColumns = () => ({
  version: integer('version').notNull().default(1),
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
});

export const tstz = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/** PostgreSQL's 64-bit transaction id type; read as a string to keep full precision. */
export const xid8 = customType<{ data: string; driverData: string }>({ dataType: () => 'xid8' });
