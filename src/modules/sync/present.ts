import { and, eq, sql } from 'drizzle-orm';
import type { Db, Tx } from '../../db/index.ts';
import { prepared, rowsWhereAny } from '../../db/prepared.ts';
import {
  itineraries,
  itineraryItems,
  polls,
  tripMembers,
  trips,
  type ItineraryRow,
  SYNC_LOG_ENTITIES,
  type Role,
} from '../../db/schema/index.ts';
import { presentDay, presentItem } from '../itineraries/presenter.ts';
import { presentPoll } from '../polls/presenter.ts';
import { loadPollGraph } from '../polls/queries.ts';
import { presentCollaborator, presentTrip } from '../trips/presenter.ts';
import { loadTripGraph } from '../trips/queries.ts';

/**
 * The entities a sync client holds. Votes stay inside their poll (counts, user_voted): who voted is
 * private. Declared with the change log, whose partial indexes cover exactly these.
 */
export const SYNC_ENTITIES = SYNC_LOG_ENTITIES;
export type SyncEntity = (typeof SYNC_ENTITIES)[number];

export const isSyncEntity = (entity: string): entity is SyncEntity =>
  (SYNC_ENTITIES as readonly string[]).includes(entity);

export const refKey = (entity: string, id: string) => `${entity}:${id}`;

/** Who is looking: objects carry the viewer's role, permissions and own votes. */
export interface Viewer {
  userId: string;
  mediaUrl: (key: string) => string;
}

export interface Presented {
  entity: SyncEntity;
  id: string;
  trip: string;
  version: number;
  object: Record<string, unknown>;
}

/**
 * A day as sync clients hold it: the REST object without `items` and `item_count`. Items are their
 * own entity, and the log cannot always name the day a deleted item left, so an embedded list could
 * go stale; clients build a day's list from its items by `order`.
 */
export function presentSyncDay(day: ItineraryRow) {
  const { items: _items, item_count: _count, ...rest } = presentDay(day, []);
  return rest;
}

/**
 * The caller's role in each of `tripIds` they belong to (one query): only the trips a page touches,
 * never every trip of the caller.
 */
export async function rolesIn(
  db: Db | Tx,
  userId: string,
  tripIds: Iterable<string>,
): Promise<Map<string, Role>> {
  const ids = [...new Set(tripIds)];
  if (ids.length === 0) return new Map();
  const rows = await prepared(db, 'sync_roles_in', (db) =>
    db
      .select({ tripId: tripMembers.tripId, role: tripMembers.role })
      .from(tripMembers)
      .where(
        and(
          eq(tripMembers.userId, sql.placeholder('userId')),
          sql`${tripMembers.tripId} = any(${sql.placeholder('ids')}::uuid[])`,
        ),
      ),
  ).execute({ userId, ids });
  return new Map(rows.map((r) => [r.tripId, r.role]));
}

export type Wanted = Record<SyncEntity, Set<string>>;
export const wantedNothing = (): Wanted => ({
  trip: new Set(),
  collaborator: new Set(),
  itinerary: new Set(),
  item: new Set(),
  poll: new Set(),
});

/**
 * The current state of the wanted objects that still exist and lie in the viewer's trips, presented
 * with the modules' presenters, keyed by refKey. A fixed number of queries whatever the counts:
 * one per kind of row, one for the viewer's roles in the trips those rows belong to, two for the
 * trips' members and users, three for polls' options and counts.
 */
export async function loadObjects(
  db: Db | Tx,
  wanted: Wanted,
  viewer: Viewer,
): Promise<Map<string, Presented>> {
  const out = new Map<string, Presented>();
  const ids = (entity: SyncEntity) => [...wanted[entity]];
  const memberRows = wanted.collaborator.size
    ? await rowsWhereAny(db, 'sync_collaborator_rows', tripMembers, tripMembers.id, ids('collaborator'))
    : [];
  const dayRows = wanted.itinerary.size
    ? await rowsWhereAny(db, 'sync_itinerary_rows', itineraries, itineraries.id, ids('itinerary'))
    : [];
  const itemRows = wanted.item.size
    ? await rowsWhereAny(db, 'sync_item_rows', itineraryItems, itineraryItems.id, ids('item'))
    : [];
  const pollRows = wanted.poll.size
    ? await rowsWhereAny(db, 'sync_poll_rows', polls, polls.id, ids('poll'))
    : [];
  const roles = await rolesIn(db, viewer.userId, [
    ...wanted.trip,
    ...[...memberRows, ...dayRows, ...itemRows, ...pollRows].map((row) => row.tripId),
  ]);
  const visible = (tripId: string) => roles.has(tripId);
  // Collaborators are presented from their trip's graph, which loads every member's user anyway.
  const tripIds = new Set([...wanted.trip, ...memberRows.map((m) => m.tripId)].filter(visible));
  const tripRows = tripIds.size
    ? await rowsWhereAny(db, 'sync_trip_rows', trips, trips.id, [...tripIds])
    : [];
  const graph = await loadTripGraph(db, tripRows);
  for (const trip of tripRows) {
    if (!wanted.trip.has(trip.id)) continue;
    const object = presentTrip(trip, roles.get(trip.id)!, graph, viewer.mediaUrl) as Record<string, unknown>;
    out.set(refKey('trip', trip.id), {
      entity: 'trip',
      id: trip.id,
      trip: trip.id,
      version: trip.version,
      object,
    });
  }
  for (const member of memberRows) {
    if (!visible(member.tripId) || !graph.users.has(member.userId)) continue;
    const object = presentCollaborator(member, graph.users, viewer.mediaUrl) as Record<string, unknown>;
    const entry = {
      entity: 'collaborator' as const,
      id: member.id,
      trip: member.tripId,
      version: member.version,
    };
    out.set(refKey('collaborator', member.id), { ...entry, object });
  }
  for (const day of dayRows.filter((d) => visible(d.tripId))) {
    const entry = { entity: 'itinerary' as const, id: day.id, trip: day.tripId, version: day.version };
    out.set(refKey('itinerary', day.id), { ...entry, object: presentSyncDay(day) });
  }
  for (const item of itemRows.filter((i) => visible(i.tripId))) {
    const entry = { entity: 'item' as const, id: item.id, trip: item.tripId, version: item.version };
    out.set(refKey('item', item.id), { ...entry, object: presentItem(item) });
  }
  const shownPolls = pollRows.filter((p) => visible(p.tripId));
  if (shownPolls.length) {
    const pollGraph = await loadPollGraph(db, shownPolls, viewer.userId);
    const now = new Date();
    for (const poll of shownPolls) {
      const object = presentPoll(poll, pollGraph, viewer.mediaUrl, now) as unknown as Record<string, unknown>;
      const entry = { entity: 'poll' as const, id: poll.id, trip: poll.tripId, version: poll.version };
      out.set(refKey('poll', poll.id), { ...entry, object });
    }
  }
  return out;
}

/** One object as the viewer's sync store holds it, or null if it is gone or out of reach. */
export async function presentOne(
  db: Db | Tx,
  entity: SyncEntity,
  id: string,
  viewer: Viewer,
): Promise<Presented | null> {
  const wanted = wantedNothing();
  wanted[entity].add(id);
  return (await loadObjects(db, wanted, viewer)).get(refKey(entity, id)) ?? null;
}
