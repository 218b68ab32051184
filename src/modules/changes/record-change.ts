import { sql } from 'drizzle-orm';
import { prepared } from '../../db/prepared.ts';
import { changes } from '../../db/schema/index.ts';
import type { Db, Tx } from '../../db/index.ts';
import type { Cursor } from './read-changes.ts';

export type EntityName =
  'user' | 'trip' | 'collaborator' | 'invitation' | 'itinerary' | 'item' | 'poll' | 'vote' | 'message';

export interface ChangeInput {
  tripId: string | null;
  entity: EntityName;
  entityId: string;
  op: 'insert' | 'update' | 'delete';
  version: number;
  actorId: string | null;
  /** The columns this write changed (API field names); the sync merge compares these. */
  fields: string[];
  /**
   * The object as the writer presented it in its transaction, when it has it anyway (a posted
   * chat message): live delivery sends this instead of reading the object back after commit, a
   * round trip on every message's way to the sockets. Never stored in the log.
   */
  view?: unknown;
}

/** A change as logged: its input plus the log position and time the database gave it. */
export interface RecordedChange extends ChangeInput {
  cursor: Cursor;
  createdAt: Date;
}

/**
 * Appends to the change log. Must be called with the transaction of the write it describes, so
 * the change and the write commit or roll back together. Returns the row's cursor, so listeners
 * after commit need not read the log back to learn it.
 */
export async function recordChange(tx: Tx | Db, change: ChangeInput): Promise<RecordedChange> {
  const [row] = await prepared(tx, 'record_change', (db) =>
    db
      .insert(changes)
      .values({
        tripId: sql.placeholder('tripId'),
        entity: sql.placeholder('entity'),
        entityId: sql.placeholder('entityId'),
        op: sql.placeholder('op'),
        version: sql.placeholder('version'),
        actorId: sql.placeholder('actorId'),
        fields: sql.placeholder('fields'),
      })
      .returning({ txid: changes.txid, seq: changes.seq, createdAt: changes.createdAt }),
  ).execute({ ...change });
  return { ...change, cursor: { txid: BigInt(row!.txid), seq: BigInt(row!.seq) }, createdAt: row!.createdAt };
}

/**
 * Appends several changes in one statement (a unit of work writes its log this way, just before
 * commit). They take their sequence numbers in the order given: the VALUES rows are inserted, and
 * their defaults evaluated, in order; the rows coming back are matched by that order of `seq`.
 */
export async function recordChanges(tx: Tx | Db, list: readonly ChangeInput[]): Promise<RecordedChange[]> {
  if (list.length === 1) return [await recordChange(tx, list[0]!)];
  const rows = await tx
    .insert(changes)
    .values(list.map(({ view: _view, ...change }) => change))
    .returning({ txid: changes.txid, seq: changes.seq, createdAt: changes.createdAt });
  const ordered = rows
    .map((row) => ({ ...row, seq: BigInt(row.seq) }))
    .sort((a, b) => (a.seq < b.seq ? -1 : 1));
  return list.map((change, index) => {
    const row = ordered[index]!;
    return { ...change, cursor: { txid: BigInt(row.txid), seq: row.seq }, createdAt: row.createdAt };
  });
}
