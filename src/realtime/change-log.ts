import { sql } from 'drizzle-orm';
import type { Db } from '../db/index.ts';
import type { ChangeInput } from '../modules/changes/record-change.ts';
import type { ChangeEntry, Cursor } from '../modules/changes/read-changes.ts';

/** Orders two cursors as the change log does: by transaction, then sequence. */
export function compareCursors(a: Cursor, b: Cursor): number {
  if (a.txid !== b.txid) return a.txid < b.txid ? -1 : 1;
  return a.seq === b.seq ? 0 : a.seq < b.seq ? -1 : 1;
}

export type Row = {
  txid: string;
  seq: string | number | bigint;
  trip_id: string | null;
  entity: string;
  entity_id: string;
  op: ChangeEntry['op'];
  version: number;
  actor_id: string | null;
  fields: string[];
  created_at: string | Date;
};

/** Rows of a raw query, from either driver (node-postgres wraps them in `rows`). */
export const rowsOf = <T = Row>(result: unknown): T[] => (result as { rows?: T[] }).rows ?? (result as T[]);

export const toEntry = (row: Row): ChangeEntry => ({
  cursor: { txid: BigInt(row.txid), seq: BigInt(row.seq) },
  tripId: row.trip_id,
  entity: row.entity,
  entityId: row.entity_id,
  op: row.op,
  version: Number(row.version),
  actorId: row.actor_id,
  fields: row.fields,
  createdAt: new Date(row.created_at),
});

/**
 * Every change logged by the transaction that recorded `probe`, with cursors, in order. The unit
 * of work hands listeners the changes without their log position; the probe's row (found by
 * entity, id, op and version, newest first) names the transaction, and its txid finds the rest.
 */
export async function changesOfTransaction(db: Db, probe: ChangeInput): Promise<ChangeEntry[]> {
  const result = await db.execute(sql`
    select txid::text as txid, seq, trip_id, entity, entity_id, op, version, actor_id, fields, created_at
    from changes
    where txid = (
      select txid from changes
      where entity = ${probe.entity} and entity_id = ${probe.entityId}
        and op = ${probe.op} and version = ${probe.version}
      order by seq desc limit 1)
    order by seq`);
  return rowsOf(result).map(toEntry);
}
