import { sql, type SQL } from 'drizzle-orm';
import { prepared } from '../../db/prepared.ts';
import { literal } from '../../db/transaction.ts';
import { SYNC_LOG_PREDICATE } from '../../db/schema/index.ts';
import { rowsOf as rawRows, type Db, type Tx } from '../../db/client.ts';

/**
 * A position in the change log: the transaction id and sequence of the last change served.
 * Ordered by (txid, seq), and only changes of transactions older than every running one are
 * served, so a write that commits late can never land behind a cursor a reader already holds.
 */
export interface Cursor {
  txid: bigint;
  seq: bigint;
}

export const START: Cursor = { txid: 0n, seq: 0n };

export function encodeCursor(cursor: Cursor): string {
  return `${cursor.txid}.${cursor.seq}`;
}

/** The largest value of `bigint` (seq); xid8 is wider, but no txid gets near it either. */
const MAX_INT8 = 2n ** 63n - 1n;

/** Parses `"<txid>.<seq>"`; null for anything else (callers answer 400), out-of-range included. */
export function decodeCursor(text: string): Cursor | null {
  const match = /^(\d{1,20})\.(\d{1,20})$/.exec(text);
  if (!match) return null;
  const cursor = { txid: BigInt(match[1]!), seq: BigInt(match[2]!) };
  return cursor.txid > MAX_INT8 || cursor.seq > MAX_INT8 ? null : cursor;
}

export interface ChangeEntry {
  cursor: Cursor;
  tripId: string | null;
  entity: string;
  entityId: string;
  op: 'insert' | 'update' | 'delete';
  version: number;
  actorId: string | null;
  fields: string[];
  createdAt: Date;
}

/** A `changes` row as the raw queries select it (txid as text: xid8 exceeds a JS number). */
export type ChangeRow = {
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

/**
 * A ChangeRow selected from `alias` (a `changes` row, or a row of stp_trip_log, whose txid is text
 * already) in a query-builder select, so the statement can be prepared.
 */
export const changeRowFields = (alias: string) => {
  const column = (name: string) => sql.raw(`${alias}.${name}`);
  return {
    txid: sql<string>`${column('txid')}::text`,
    seq: sql<string>`${column('seq')}`,
    trip_id: sql<string | null>`${column('trip_id')}`,
    entity: sql<string>`${column('entity')}`,
    entity_id: sql<string>`${column('entity_id')}`,
    op: sql<ChangeEntry['op']>`${column('op')}`,
    version: sql<number>`${column('version')}`,
    actor_id: sql<string | null>`${column('actor_id')}`,
    fields: sql<string[]>`${column('fields')}`,
    created_at: sql<string | Date>`${column('created_at')}`,
  };
};

/** Rows of a raw query, from either driver; change rows unless told otherwise. */
export const rowsOf = <T = ChangeRow>(result: unknown): T[] => rawRows<T>(result);

export const toEntry = (row: ChangeRow): ChangeEntry => ({
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
 * Changes after `after`, for the given trips (or all when `tripIds` is null), up to `limit`, in
 * cursor order. Only changes of finished transactions are returned (see Cursor).
 */
export async function readChanges(
  db: Db | Tx,
  props: { after: Cursor; tripIds: string[] | null; limit: number },
): Promise<ChangeEntry[]> {
  const tripFilter =
    props.tripIds === null
      ? sql`true`
      : props.tripIds.length === 0
        ? sql`false`
        : sql`trip_id in ${props.tripIds}`;
  // ORDER BY names the table's columns: a bare `txid` would be the text alias of the select list,
  // sorting '10' before '9' (skipping rows once txids gain a digit) and defeating the index.
  const result = await db.execute(sql`
    select txid::text as txid, seq, trip_id, entity, entity_id, op, version, actor_id, fields, created_at
    from changes
    where (txid, seq) > (${props.after.txid.toString()}::xid8, ${props.after.seq.toString()}::bigint)
      and txid < pg_snapshot_xmin(pg_current_snapshot())
      and ${tripFilter}
    order by changes.txid, changes.seq
    limit ${props.limit}`);
  return rowsOf(result).map(toEntry);
}

/** Up to this many trips, a member's changes are read trip by trip; beyond, from the global order. */
const FEW_TRIPS = 16;

/** Pages of these sizes (a page's `limit + 1`) get a prepared statement each: what clients ask for. */
const PREPARED_LIMITS = new Set([11, 21, 26, 51, 101, 201, 501]);

/**
 * The statement of readMemberChanges. Keys first: each plan finds the page's (txid, seq) in a
 * partial index of the sync entities (index-only: no table row is read to be dropped), and only
 * the page's rows are then fetched, by primary key. The limit is a literal (a generic plan cannot
 * cost `LIMIT $n`); the rest are placeholders, so one prepared statement per page size serves all.
 */
function memberChangesQuery(limit: number): SQL {
  const after = sql`(c.txid, c.seq) > (${sql.placeholder('afterTxid')}::xid8, ${sql.placeholder('afterSeq')}::bigint)
    and c.txid < pg_snapshot_xmin(pg_current_snapshot()) and c.${SYNC_LOG_PREDICATE}`;
  const userId = sql`${sql.placeholder('userId')}::uuid`;
  const trips = sql`(select count(*) from (select 1 from trip_members where user_id = ${userId} limit ${sql.raw(String(FEW_TRIPS + 1))}) few)`;
  const bound = sql.raw(literal(limit)); // an integer, or this throws
  return sql`(
      (select c.txid, c.seq
       from trip_members m cross join lateral (
         select c.txid, c.seq from changes c where c.trip_id = m.trip_id and ${after}
         order by c.txid, c.seq limit ${bound}) c
       where m.user_id = ${userId} and ${trips} <= ${sql.raw(String(FEW_TRIPS))})
      union all
      (select c.txid, c.seq from changes c
       where ${after} and ${trips} > ${sql.raw(String(FEW_TRIPS))}
         and c.trip_id in (select m.trip_id from trip_members m where m.user_id = ${userId})
       order by c.txid, c.seq limit ${bound})
      order by 1, 2 limit ${bound}
    ) k join changes c on c.seq = k.seq`;
}

/**
 * Changes to the sync entities (SYNC_LOG_ENTITIES) after `after` in the trips the user belongs to
 * now (trip_members, read in the same statement), up to `limit`, in cursor order, below the same
 * watermark as readChanges. One statement, two plans, the one that fits chosen at run time (an
 * InitPlan counts up to FEW_TRIPS + 1 memberships):
 * - few trips: each trip's next `limit` keys from its own index range (trip_id, txid, seq), then
 *   the best `limit` of those: cheap however sparse those trips are in the log;
 * - many trips: the log's keys in cursor order (txid, seq), each checked against the membership
 *   index: what it reads grows with the changes since `after`, never with the user's trip count.
 * Other entities (messages, votes, users) are never read: a busy chat costs a sync page nothing.
 */
export async function readMemberChanges(
  db: Db | Tx,
  props: { after: Cursor; userId: string; limit: number },
): Promise<ChangeEntry[]> {
  const values = {
    afterTxid: props.after.txid.toString(),
    afterSeq: props.after.seq.toString(),
    userId: props.userId,
  };
  const select = (db: Db | Tx) =>
    db
      .select(changeRowFields('c'))
      .from(memberChangesQuery(props.limit))
      .orderBy(sql`c.txid`, sql`c.seq`);
  const rows = PREPARED_LIMITS.has(props.limit)
    ? await prepared(db, `sync_member_changes_${props.limit}`, select).execute(values)
    : await select(db).prepare('').execute(values);
  return rows.map(toEntry);
}
