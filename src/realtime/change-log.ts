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
