import { sql } from 'drizzle-orm';
import type { Tx } from '../../db/index.ts';
import { rowsOf, type Cursor } from '../changes/read-changes.ts';

/** One entry of a user's membership history (table membership_log, written by a trigger). */
export interface MembershipEvent {
  cursor: Cursor;
  tripId: string;
  op: 'join' | 'leave';
}

/**
 * The user's joins and leaves after `after`, up to `limit`, in log order, below the same watermark
 * as readChanges (only transactions older than every running one), so a membership change that
 * commits late is read on a later page, never skipped. Index membership_log_user_cursor_idx.
 */
export async function readMembershipEvents(
  tx: Tx,
  props: { userId: string; after: Cursor; limit: number },
): Promise<MembershipEvent[]> {
  const result = await tx.execute(sql`
    select txid::text as txid, seq::text as seq, trip_id, op
    from membership_log
    where user_id = ${props.userId}
      and (txid, seq) > (${props.after.txid.toString()}::xid8, ${props.after.seq.toString()}::bigint)
      and txid < pg_snapshot_xmin(pg_current_snapshot())
    order by membership_log.txid, membership_log.seq
    limit ${props.limit}`);
  return rowsOf<{ txid: string; seq: string; trip_id: string; op: MembershipEvent['op'] }>(result).map(
    (row) => ({ cursor: { txid: BigInt(row.txid), seq: BigInt(row.seq) }, tripId: row.trip_id, op: row.op }),
  );
}

/**
 * Every current membership of the user with its join position: only for converting a format-1
 * cursor (once per client), which listed the trips it held.
 */
export async function membershipsOf(tx: Tx, userId: string): Promise<Map<string, Cursor>> {
  const result = await tx.execute(sql`
    select trip_id, joined_txid::text as txid, joined_seq::text as seq
    from trip_members where user_id = ${userId}`);
  return new Map(
    rowsOf<{ trip_id: string; txid: string; seq: string }>(result).map((row) => [
      row.trip_id,
      { txid: BigInt(row.txid), seq: BigInt(row.seq) },
    ]),
  );
}
