import { sql } from 'drizzle-orm';
import type { Database } from '../db/index.ts';
import { readChanges, START, type ChangeEntry, type Cursor } from '../modules/changes/read-changes.ts';
import { rowsOf, toEntry, type Row } from './change-log.ts';

/**
 * A trip's change log as live delivery reads it: in cursor order, and only below a watermark no
 * running transaction of *this database* can still commit behind.
 *
 * read-changes.ts uses the cluster-wide watermark, `pg_snapshot_xmin`: transaction ids are shared
 * by every database of a server, so one long write elsewhere (a restore, another app's batch)
 * would hold every live event back. Here a running transaction only holds the watermark if it
 * belongs to this database. Two statements in one REPEATABLE READ transaction (one snapshot):
 *  1. the snapshot, and the transactions of this database running now (their transactionid
 *     locks, joined to pg_stat_activity for the database: both readable by any role);
 *  2. the read, held below any transaction that was running at the snapshot and either is one of
 *     those or has committed since (it may have been ours; its rows are invisible to the snapshot).
 * Statement 1 runs before 2, so no transaction of ours can slip between the two checks.
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
    return rowsOf<Row>(result).map(toEntry);
  }
  return database.db.transaction(
    async (tx) => {
      const [mine] = rowsOf<{ ours: string[] | null }>(
        await tx.execute(sql`
          select array_agg(l.transactionid::text) as ours
          from pg_locks l join pg_stat_activity a on a.pid = l.pid
          where l.locktype = 'transactionid' and l.mode = 'ExclusiveLock' and l.granted
            and a.datname = current_database()`),
      );
      // One array literal parameter: Drizzle would spread a JS array into a `($1, $2)` list.
      const ours = `{${(mine?.ours ?? []).map((id) => BigInt(id).toString()).join(',')}}`;
      // The xid8 columns, not the text alias `txid` (text order puts '9' after '10').
      const order = props.newest
        ? sql`order by changes.txid desc, changes.seq desc`
        : sql`order by changes.txid, changes.seq`;
      const result = await tx.execute(sql`
        with snap as (select pg_current_snapshot() as s),
        held as (
          select min(x) as x from snap, pg_snapshot_xip(snap.s) as x
          where (x::text::numeric % 4294967296)::bigint = any(${ours}::bigint[])
             or pg_xact_status(x) = 'committed')
        select txid::text as txid, seq, trip_id, entity, entity_id, op, version, actor_id, fields, created_at
        from changes
        where trip_id = ${props.tripId}
          and (txid, seq) > (${props.after.txid.toString()}::xid8, ${props.after.seq.toString()}::bigint)
          and txid < coalesce((select x from held), (select pg_snapshot_xmax(s) from snap))
        ${order}
        limit ${props.limit}`);
      return rowsOf<Row>(result).map(toEntry);
    },
    { isolationLevel: 'repeatable read', accessMode: 'read only' },
  );
}

/** The newest position of the trip's log below the watermark: live delivery starts after it. */
export async function headCursor(database: Database, tripId: string): Promise<Cursor> {
  const [newest] = await readTripLog(database, { tripId, after: START, limit: 1, newest: true });
  return newest?.cursor ?? START;
}
