import { sql } from 'drizzle-orm';
import type { Db, Tx } from '../../db/index.ts';
import { readChanges, type ChangeEntry, type Cursor } from '../changes/read-changes.ts';
import type { SnapshotState, SyncCursor } from './cursor.ts';
import { isSyncEntity, loadObjects, refKey, rolesOf, wantedNothing, type SyncEntity } from './present.ts';
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
}

const later = (a: Cursor, b: Cursor) => (a.txid > b.txid || (a.txid === b.txid && a.seq > b.seq) ? a : b);

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
 * One page of a caller's feed, read in one REPEATABLE READ transaction so the watermark, the
 * membership and every object come from the same snapshot. Without a cursor it starts a full
 * snapshot whose position is the watermark taken in that same snapshot, so nothing committed
 * meanwhile can fall between the snapshot and the log. A fixed number of queries per page.
 */
export async function readFeedPage(
  db: Db,
  props: { userId: string; cursor: SyncCursor | null; limit: number; mediaUrl: (key: string) => string },
): Promise<FeedPage> {
  return db.transaction(
    async (tx) => {
      const roles = await rolesOf(tx, props.userId);
      const xmin = await snapshotXmin(tx);
      const mine = [...roles.keys()];
      const start: SyncCursor = props.cursor ?? {
        position: { txid: xmin, seq: 0n },
        known: mine,
        snapshot: mine.length ? { pending: mine, phase: 'trip', after: null } : null,
      };
      const refs: Ref[] = [];
      const entries: FeedEntry[] = [];
      // Trips the client holds but may no longer see: removed, left, or deleted.
      for (const tripId of start.known.filter((t) => !roles.has(t)))
        entries.push({ entity: 'trip', op: 'delete', id: tripId, trip: tripId, version: null, object: null });
      let known = start.known.filter((t) => roles.has(t));
      let snapshot: SnapshotState | null = start.snapshot && {
        ...start.snapshot,
        pending: start.snapshot.pending.filter((t) => roles.has(t)),
      };
      if (!snapshot) {
        // Trips gained since: sent whole first, then the log goes on for them too.
        const held = new Set(known);
        const gained = mine.filter((t) => !held.has(t));
        if (gained.length) {
          known = [...known, ...gained];
          snapshot = { pending: gained, phase: 'trip', after: null };
        }
      }
      let room = props.limit;
      if (snapshot) {
        const read = await readSnapshot(tx, snapshot, room);
        room -= read.refs.length;
        snapshot = read.next;
        for (const r of read.refs) refs.push({ ...r, trip: '', change: null, parent: false });
      }
      let position = start.position;
      let hasMore = snapshot !== null || room === 0;
      if (!snapshot && room > 0) {
        const read = await readChanges(tx, { after: position, tripIds: known, limit: room + 1 });
        hasMore = read.length > room;
        const served = read.slice(0, room);
        if (served.length) position = served.at(-1)!.cursor;
        // Caught up: nothing of the client's trips is left below the watermark, so move up to it;
        // a trip gained later arrives as a snapshot, never as its old history.
        if (!hasMore) position = later(position, { txid: xmin, seq: 0n });
        refs.push(...collapse(served));
      }

      const wanted = wantedNothing();
      for (const ref of refs) wanted[ref.entity].add(ref.id);
      const objects = await loadObjects(tx, wanted, {
        userId: props.userId,
        roles,
        mediaUrl: props.mediaUrl,
      });
      for (const ref of refs) {
        const current = objects.get(refKey(ref.entity, ref.id));
        if (current) {
          const { entity, id, trip, version, object } = current;
          entries.push({ entity, op: 'upsert', id, trip, version, object });
        } else if (ref.change && !ref.parent) {
          const version = ref.change.op === 'delete' ? ref.change.version : null;
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
      return { entries, cursor: { position, known, snapshot }, hasMore };
    },
    { isolationLevel: 'repeatable read', accessMode: 'read only' },
  );
}
