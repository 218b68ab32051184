import { sql } from 'drizzle-orm';
import type { Db, Tx } from '../../db/index.ts';
import { readMemberChanges, type ChangeEntry, type Cursor } from '../changes/read-changes.ts';
import { isLegacy, type LegacyCursor, type SyncCursor } from './cursor.ts';
import { membershipsOf, readMembershipEvents, type MembershipEvent } from './memberships.ts';
import { isSyncEntity, loadObjects, refKey, wantedNothing, type SyncEntity } from './present.ts';
import { readSnapshot } from './snapshot.ts';

/** One line of the feed: the object's current state, or a tombstone. */
export interface FeedEntry {
  entity: SyncEntity;
  op: 'upsert' | 'delete';
  id: string;
  /** The trip the object belongs to; a trip tombstone drops everything with this trip. */
  trip: string;
  version: number | null;
  object: Record<string, unknown> | null;
}

export interface FeedPage {
  entries: FeedEntry[];
  cursor: SyncCursor;
  hasMore: boolean;
}

interface Ref {
  entity: SyncEntity;
  id: string;
  trip: string;
  /** The last change in this page that touched it (log refs only); its op decides tombstones. */
  change: ChangeEntry | null;
  /** Sent only because a child embedded in it changed (a trip's collaborators): never a tombstone. */
  parent: boolean;
  /** A trip the caller no longer holds (left, removed, deleted): a trip tombstone, nothing loaded. */
  lost?: boolean;
}

const later = (a: Cursor, b: Cursor) => (a.txid > b.txid || (a.txid === b.txid && a.seq > b.seq) ? a : b);
const atOrBelow = (a: Cursor, b: Cursor) => a.txid < b.txid || (a.txid === b.txid && a.seq <= b.seq);
const lostRef = (tripId: string): Ref => ({
  entity: 'trip',
  id: tripId,
  trip: tripId,
  change: null,
  parent: false,
  lost: true,
});
const firstSync = (watermark: Cursor): SyncCursor => ({
  position: watermark,
  snapshot: { from: null, after: null },
});

/** Everything below this transaction id is finished: the watermark of this transaction's snapshot. */
async function snapshotXmin(tx: Tx): Promise<bigint> {
  const result = await tx.execute<{ xmin: string }>(
    sql`select pg_snapshot_xmin(pg_current_snapshot())::text as xmin`,
  );
  const rows =
    (result as unknown as { rows: { xmin: string }[] }).rows ?? (result as unknown as { xmin: string }[]);
  return BigInt(rows[0]!.xmin);
}

/**
 * The log refs of a page, one per object at the position of its last change (several changes to one
 * object collapse into its current state). A collaborator change also re-sends its trip, whose
 * object embeds the collaborators and the viewer's role.
 */
function collapse(changes: readonly ChangeEntry[]): Ref[] {
  const refs = new Map<string, { ref: Ref; index: number }>();
  changes.forEach((change, index) => {
    if (!isSyncEntity(change.entity) || !change.tripId) return;
    const ref = { entity: change.entity, id: change.entityId, trip: change.tripId, change, parent: false };
    refs.set(refKey(change.entity, change.entityId), { ref, index });
    if (change.entity === 'collaborator') {
      const key = refKey('trip', change.tripId);
      const parent = refs.get(key)?.ref.parent ?? true;
      refs.set(key, {
        ref: { entity: 'trip', id: change.tripId, trip: change.tripId, change, parent },
        index,
      });
    }
  });
  return [...refs.values()].sort((a, b) => a.index - b.index).map((r) => r.ref);
}

/**
 * A format-1 cursor, which listed the trips the client held (`known`), as a current one; once per
 * client. Trips it held and no longer may see become tombstones. It continues from its own position
 * when that position explains every trip the caller now holds: each current membership is either
 * known or joined after that position (and so is sent whole, from the membership log). Otherwise,
 * or when it was in the middle of a snapshot, every known trip becomes a tombstone and a first sync
 * starts: the client ends up exactly as if it had dropped its store.
 */
async function convertLegacy(
  tx: Tx,
  userId: string,
  legacy: LegacyCursor,
  watermark: Cursor,
): Promise<{ cursor: SyncCursor; lost: string[] }> {
  const memberships = await membershipsOf(tx, userId);
  const known = new Set(legacy.known);
  const unexplained = [...memberships].some(
    ([tripId, joined]) => !known.has(tripId) && atOrBelow(joined, legacy.position),
  );
  if (legacy.snapshotting || unexplained) return { cursor: firstSync(watermark), lost: legacy.known };
  return {
    cursor: { position: legacy.position, snapshot: null },
    lost: legacy.known.filter((tripId) => !memberships.has(tripId)),
  };
}

type LogItem = { membership: MembershipEvent; change?: never } | { change: ChangeEntry; membership?: never };
const cursorOf = (item: LogItem) => (item.change ?? item.membership).cursor;

/** Both logs after one position, merged in log order (their seq comes from one sequence). */
function merge(events: readonly MembershipEvent[], changes: readonly ChangeEntry[]): LogItem[] {
  const items: LogItem[] = [
    ...events.map((membership) => ({ membership })),
    ...changes.map((change) => ({ change })),
  ];
  return items.sort((a, b) => (atOrBelow(cursorOf(a), cursorOf(b)) ? -1 : 1));
}

/**
 * One page of a caller's feed, read in one REPEATABLE READ transaction so the watermark, the
 * memberships and every object come from the same snapshot. A fixed number of queries per page,
 * none of which reads all of the caller's memberships:
 * - a snapshot in progress continues (the memberships of its join range, in join order);
 * - otherwise the caller's membership log and the change log of the trips they belong to are read
 *   from the cursor's position, merged: a leave is a trip tombstone, a join starts a snapshot of
 *   the trips joined in the window read (on the next page), and the changes are sent as usual.
 * Without a cursor it starts a snapshot of every membership, at the watermark taken in that same
 * snapshot, so nothing committed meanwhile can fall between the snapshot and the logs.
 */
export async function readFeedPage(
  db: Db,
  props: {
    userId: string;
    cursor: SyncCursor | LegacyCursor | null;
    limit: number;
    mediaUrl: (key: string) => string;
  },
): Promise<FeedPage> {
  return db.transaction(
    async (tx) => {
      const { userId } = props;
      const watermark = { txid: await snapshotXmin(tx), seq: 0n };
      const refs: Ref[] = [];
      let start: SyncCursor;
      if (props.cursor === null) start = firstSync(watermark);
      else if (isLegacy(props.cursor)) {
        const converted = await convertLegacy(tx, userId, props.cursor, watermark);
        refs.push(...converted.lost.map(lostRef));
        start = converted.cursor;
      } else start = props.cursor;

      let { position, snapshot } = start;
      let room = props.limit;
      if (snapshot) {
        const read = await readSnapshot(tx, { userId, state: snapshot, upTo: position }, room);
        room -= read.refs.length;
        snapshot = read.next;
        for (const r of read.refs) refs.push({ ...r, change: null, parent: false });
      }
      let hasMore = snapshot !== null || room === 0;
      if (!snapshot && room > 0) {
        const events = await readMembershipEvents(tx, { userId, after: position, limit: room + 1 });
        const changes = await readMemberChanges(tx, { after: position, userId, limit: room + 1 });
        const items = merge(events, changes);
        hasMore = items.length > room;
        const served = items.slice(0, room);
        const from = position;
        if (served.length) position = cursorOf(served.at(-1)!);
        // Caught up: nothing of the caller's is left below the watermark, so move up to it; a trip
        // joined later arrives as a snapshot, never as its old history.
        if (!hasMore) position = later(position, watermark);
        const lost = new Set<string>();
        for (const { membership } of served)
          if (membership?.op === 'leave' && !lost.has(membership.tripId)) {
            lost.add(membership.tripId);
            refs.push(lostRef(membership.tripId));
          }
        refs.push(...collapse(served.flatMap((item) => (item.change ? [item.change] : []))));
        if (served.some((item) => item.membership?.op === 'join')) {
          // Trips joined in (from, position]: sent whole (those still held), then their log goes on.
          snapshot = { from, after: null };
          hasMore = true;
        }
      }

      const wanted = wantedNothing();
      for (const ref of refs) if (!ref.lost) wanted[ref.entity].add(ref.id);
      const objects = await loadObjects(tx, wanted, { userId, mediaUrl: props.mediaUrl });
      const entries: FeedEntry[] = [];
      for (const ref of refs) {
        const current = ref.lost ? undefined : objects.get(refKey(ref.entity, ref.id));
        if (current) {
          const { entity, id, trip, version, object } = current;
          entries.push({ entity, op: 'upsert', id, trip, version, object });
        } else if (ref.lost || (ref.change && !ref.parent)) {
          const version = ref.change?.op === 'delete' ? ref.change.version : null;
          entries.push({
            entity: ref.entity,
            op: 'delete',
            id: ref.id,
            trip: ref.trip,
            version,
            object: null,
          });
        }
      }
      return { entries, cursor: { position, snapshot }, hasMore };
    },
    { isolationLevel: 'repeatable read', accessMode: 'read only' },
  );
}
