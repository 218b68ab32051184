import { sql } from 'drizzle-orm';
import { prepared } from '../../db/prepared.ts';
import { literal } from '../../db/transaction.ts';
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

/** The rows an insert into `changes` returned, matched to the changes in the order they were given. */
function recordedFrom(
  list: readonly ChangeInput[],
  rows: readonly { txid: unknown; seq: unknown; createdAt: unknown }[],
): RecordedChange[] {
  if (rows.length !== list.length)
    throw new Error(`change log: ${rows.length} rows for ${list.length} changes`);
  // The VALUES rows are inserted, and their sequence defaults evaluated, in the order given.
  const ordered = rows
    .map((row) => ({
      txid: BigInt(String(row.txid)),
      seq: BigInt(String(row.seq)),
      createdAt: row.createdAt,
    }))
    .sort((a, b) => (a.seq < b.seq ? -1 : 1));
  return list.map((change, index) => {
    const row = ordered[index]!;
    return {
      ...change,
      cursor: { txid: row.txid, seq: row.seq },
      createdAt: row.createdAt instanceof Date ? row.createdAt : new Date(String(row.createdAt)),
    };
  });
}

/** Appends several changes in one statement; they take their sequence numbers in the order given. */
export async function recordChanges(tx: Tx | Db, list: readonly ChangeInput[]): Promise<RecordedChange[]> {
  if (list.length === 1) return [await recordChange(tx, list[0]!)];
  const rows = await tx
    .insert(changes)
    .values(list.map(({ view: _view, ...change }) => change))
    .returning({ txid: changes.txid, seq: changes.seq, createdAt: changes.createdAt });
  return recordedFrom(list, rows);
}

/**
 * The same insert as recordChanges as SQL text with every value a quoted literal (pg's
 * escapeLiteral), for the unit of work to send together with COMMIT, where a simple-protocol
 * query cannot carry parameters. Pass the rows it returns to `recordedAfterCommit`.
 */
export function changesInsertText(list: readonly ChangeInput[]): string {
  const values = list.map((c) => {
    const fields = c.fields.length ? `array[${c.fields.map(literal).join(', ')}]` : `'{}'`;
    return `(${literal(c.tripId)}::uuid, ${literal(c.entity)}, ${literal(c.entityId)}::uuid, ${literal(c.op)}, ${literal(c.version)}, ${literal(c.actorId)}::uuid, ${fields}::text[])`;
  });
  return (
    'insert into changes (trip_id, entity, entity_id, op, version, actor_id, fields) values ' +
    `${values.join(', ')} returning txid::text as txid, seq::text as seq, created_at as "createdAt"`
  );
}

/** The changes of changesInsertText as logged, from the rows that insert returned. */
export const recordedAfterCommit = (
  list: readonly ChangeInput[],
  rows: readonly Record<string, unknown>[],
): RecordedChange[] =>
  recordedFrom(
    list,
    rows.map((row) => ({ txid: row.txid, seq: row.seq, createdAt: row.createdAt })),
  );
