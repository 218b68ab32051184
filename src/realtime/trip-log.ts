import { sql } from 'drizzle-orm';
import type { Database } from '../db/index.ts';
import { prepared } from '../db/prepared.ts';
import {
  changeRowFields,
  readChanges,
  rowsOf,
  START,
  toEntry,
  type ChangeEntry,
  type Cursor,
} from '../modules/changes/read-changes.ts';

/**
 * A trip's change log as live delivery reads it: in cursor order, and only below a watermark no
 * running transaction of *this database* can still commit behind.
 *
 * read-changes.ts uses the cluster-wide watermark, `pg_snapshot_xmin`: transaction ids are shared
 * by every database of a server, so one long write elsewhere (a restore, another app's batch)
 * would hold every live event back. Here a running transaction only holds the watermark if it
 * belongs to this database. The SQL function `stp_trip_log` (migrations/0001_trip_log_function.sql,
 * where the reasoning is, then 0004 and 0008) does the snapshot, the lock check and the read in one round trip: every
 * live frame waits for this read, on every instance.
 * PGlite has one connection, so its reads never overlap a transaction: the plain reader serves.
 */
export async function readTripLog(
  database: Database,
  props: { tripId: string; after: Cursor; limit: number; newest?: boolean },
): Promise<ChangeEntry[]> {
  if (database.kind === 'pglite') {
    if (!props.newest) return readChanges(database.db, { ...props, tripIds: [props.tripId] });
    // One connection: nothing can commit behind this read, so the newest row is the head.
    const result = await database.db.execute(sql`
      select txid::text as txid, seq, trip_id, entity, entity_id, op, version, actor_id, fields, created_at
      from changes where trip_id = ${props.tripId}
      order by changes.txid desc, changes.seq desc limit 1`);
    return rowsOf(result).map(toEntry);
  }
  // A prepared statement: every instance runs this before every live frame it relays.
  const rows = await prepared(database.db, 'trip_log', (db) =>
    db.select(changeRowFields('l')).from(
      sql`stp_trip_log(${sql.placeholder('tripId')}::uuid, ${sql.placeholder('txid')}::xid8,
          ${sql.placeholder('seq')}::bigint, ${sql.placeholder('limit')}::integer, ${sql.placeholder('newest')}::boolean) l`,
    ),
  ).execute({
    tripId: props.tripId,
    txid: props.after.txid.toString(),
    seq: props.after.seq.toString(),
    limit: props.limit,
    newest: props.newest === true,
  });
  return rows.map(toEntry);
}

/** The newest position of the trip's log below the watermark: live delivery starts after it. */
export async function headCursor(database: Database, tripId: string): Promise<Cursor> {
  const [newest] = await readTripLog(database, { tripId, after: START, limit: 1, newest: true });
  return newest?.cursor ?? START;
}
