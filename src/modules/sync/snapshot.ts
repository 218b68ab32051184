import { sql, type SQL } from 'drizzle-orm';
import type { Tx } from '../../db/index.ts';
import { rowsOf, type Cursor } from '../changes/read-changes.ts';
import { PHASES, type Phase, type SnapshotKey, type SnapshotState } from './cursor.ts';

/** Per phase after the first: the table holding its objects (each has `id` and `trip_id`). */
const TABLES: Record<Exclude<Phase, 'trip'>, SQL> = {
  collaborator: sql`trip_members`,
  itinerary: sql`itineraries`,
  item: sql`itinerary_items`,
  poll: sql`polls`,
};

export interface SnapshotRef {
  entity: Phase;
  id: string;
  trip: string;
}

interface Row {
  ref: SnapshotRef;
  key: SnapshotKey;
}

const position = (p: Cursor) => sql`${p.txid.toString()}::xid8, ${p.seq.toString()}::bigint`;
const membershipKey = (key: { joined: Cursor; trip: string }) =>
  sql`(${position(key.joined)}, ${key.trip}::uuid)`;

/** Paging order: join position, trip, phase, id (uuids compare as their hex text, as in PostgreSQL). */
function compareKeys(a: SnapshotKey, b: SnapshotKey): number {
  if (a.joined.txid !== b.joined.txid) return a.joined.txid < b.joined.txid ? -1 : 1;
  if (a.joined.seq !== b.joined.seq) return a.joined.seq < b.joined.seq ? -1 : 1;
  if (a.trip !== b.trip) return a.trip < b.trip ? -1 : 1;
  if (a.phase !== b.phase) return PHASES.indexOf(a.phase) - PHASES.indexOf(b.phase);
  return a.id === b.id ? 0 : a.id < b.id ? -1 : 1;
}

/**
 * One phase's next objects in paging order, at most `limit`: of the caller's memberships joined in
 * (`from`, `upTo`] (index trip_members_user_joined_idx), after `after`, up to the membership `until`.
 * An index range from `after`'s membership: the rows it reads are the rows it returns, plus the
 * memberships without objects of this phase up to `until`.
 */
async function readPhase(
  tx: Tx,
  phase: Phase,
  props: {
    userId: string;
    from: Cursor | null;
    upTo: Cursor;
    after: SnapshotKey | null;
    until: { joined: Cursor; trip: string } | null;
  },
  limit: number,
): Promise<Row[]> {
  const { from, after, until } = props;
  const member = sql`(m.joined_txid, m.joined_seq, m.trip_id)`;
  const source =
    phase === 'trip'
      ? sql`trip_members m`
      : sql`trip_members m join ${TABLES[phase]} o on o.trip_id = m.trip_id`;
  const id = phase === 'trip' ? sql`m.trip_id` : sql`o.id`;
  const conditions = [
    sql`m.user_id = ${props.userId}`,
    sql`(m.joined_txid, m.joined_seq) <= (${position(props.upTo)})`,
  ];
  if (from) conditions.push(sql`(m.joined_txid, m.joined_seq) > (${position(from)})`);
  if (after) {
    const order = PHASES.indexOf(phase) - PHASES.indexOf(after.phase);
    // An earlier phase than the last object's: that trip already had it. A later one: that trip
    // still needs it. The same phase: what follows the last object.
    if (order < 0) conditions.push(sql`${member} > ${membershipKey(after)}`);
    else conditions.push(sql`${member} >= ${membershipKey(after)}`);
    if (order === 0)
      conditions.push(
        sql`(m.joined_txid, m.joined_seq, m.trip_id, ${id}) > (${position(after.joined)}, ${after.trip}::uuid, ${after.id}::uuid)`,
      );
  }
  if (until) conditions.push(sql`${member} <= ${membershipKey(until)}`);
  const result = await tx.execute(sql`
    select m.joined_txid::text as joined_txid, m.joined_seq::text as joined_seq, m.trip_id, ${id} as id
    from ${source}
    where ${sql.join(conditions, sql` and `)}
    order by m.joined_txid, m.joined_seq, m.trip_id, ${id}
    limit ${limit}`);
  return rowsOf<{ joined_txid: string; joined_seq: string; trip_id: string; id: string }>(result).map(
    (row) => ({
      ref: { entity: phase, id: row.id, trip: row.trip_id },
      key: {
        joined: { txid: BigInt(row.joined_txid), seq: BigInt(row.joined_seq) },
        trip: row.trip_id,
        phase,
        id: row.id,
      },
    }),
  );
}

/**
 * The next objects of a snapshot, at most `limit`, one trip after another (each trip whole, its
 * objects parents first: the trip, collaborators, days, items, polls), of the caller's current
 * memberships joined after `state.from` and at or before `upTo` (the cursor's position). Returns the
 * refs to present and where the snapshot stands next (null when complete).
 *
 * Five queries, one per phase, each in paging order and limited: the trips come first, and when
 * they fill the page the last of them bounds the other four, so no query walks memberships the page
 * cannot reach (a page costs the same with 10 trips or 10,000, and its shape is the same too).
 */
export async function readSnapshot(
  tx: Tx,
  props: { userId: string; state: SnapshotState; upTo: Cursor },
  limit: number,
): Promise<{ refs: SnapshotRef[]; next: SnapshotState | null }> {
  const { from, after } = props.state;
  const scope = { userId: props.userId, from, upTo: props.upTo, after };
  const trips = await readPhase(tx, 'trip', { ...scope, until: null }, limit);
  const until = trips.length === limit ? trips.at(-1)!.key : null;
  const rows = [trips];
  for (const phase of PHASES.slice(1)) rows.push(await readPhase(tx, phase, { ...scope, until }, limit));
  const merged = rows.flat().sort((a, b) => compareKeys(a.key, b.key));
  const page = merged.slice(0, limit);
  const complete = merged.length <= limit && rows.every((list) => list.length < limit);
  return {
    refs: page.map((row) => row.ref),
    next: complete ? null : { from, after: page.at(-1)?.key ?? after },
  };
}
