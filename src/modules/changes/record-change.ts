import { sql } from 'drizzle-orm';
import { prepared } from '../../db/prepared.ts';
import type { Statement } from '../../db/transaction.ts';
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

// Up to this many rows the log insert is a prepared statement per row count (a write logs one to
// a few changes); a larger batch (a trip's cascade) is parsed afresh, not kept on every connection.
const PREPARED_LOG_ROWS = 8;
const LOG_COLUMNS = 7;

/**
 * The same insert as recordChanges, as a statement for the unit of work to send together with
 * COMMIT (transactionEndingWith). Pass the rows it returns to `recordedAfterCommit`.
 */
export function changesInsert(list: readonly ChangeInput[]): Statement {
  const rows = list.map((_, i) => {
    const n = i * LOG_COLUMNS;
    return `($${n + 1}::uuid, $${n + 2}, $${n + 3}::uuid, $${n + 4}, $${n + 5}::integer, $${n + 6}::uuid, $${n + 7}::text[])`;
  });
  return {
    name: list.length <= PREPARED_LOG_ROWS ? `record_changes_${list.length}` : '',
    text:
      'insert into changes (trip_id, entity, entity_id, op, version, actor_id, fields) values ' +
      `${rows.join(', ')} returning txid::text as txid, seq::text as seq, created_at as "createdAt"`,
    values: list.flatMap((c) => [c.tripId, c.entity, c.entityId, c.op, c.version, c.actorId, c.fields]),
  };
}

/** The changes of changesInsert as logged, from the rows that insert returned. */
export const recordedAfterCommit = (
  list: readonly ChangeInput[],
  rows: readonly Record<string, unknown>[],
): RecordedChange[] =>
  recordedFrom(
    list,
    rows.map((row) => ({ txid: row.txid, seq: row.seq, createdAt: row.createdAt })),
  );
