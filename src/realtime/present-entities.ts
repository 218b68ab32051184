import { inArray } from 'drizzle-orm';
import type { Db } from '../db/index.ts';
import {
  invitations,
  itineraries,
  itineraryItems,
  pollVotes,
  polls,
  tripMembers,
  trips,
  users,
} from '../db/schema/index.ts';
import { presentMessagesById } from '../modules/chat/queries.ts';
import { presentInvitation } from '../modules/invitations/presenter.ts';
import { presentDay, presentItem } from '../modules/itineraries/presenter.ts';
import { itemsByDay } from '../modules/itineraries/queries.ts';
import { presentPoll } from '../modules/polls/presenter.ts';
import { loadPollGraph } from '../modules/polls/queries.ts';
import { presentCollaborator, presentTrip } from '../modules/trips/presenter.ts';
import { loadTripGraph } from '../modules/trips/queries.ts';

type MediaUrl = (key: string) => string;
type Loader = (db: Db, ids: string[], mediaUrl: MediaUrl) => Promise<Map<string, unknown>>;

// Polls are presented to nobody in particular: the per-viewer flags are dropped below.
const NOBODY = '00000000-0000-0000-0000-000000000000';

const byId = <T extends { id: string }>(rows: T[], present: (row: T) => unknown) =>
  new Map(rows.map((row) => [row.id, present(row)]));

async function usersById(db: Db, ids: (string | null)[]) {
  const wanted = [...new Set(ids.filter((id): id is string => id !== null))];
  const rows = wanted.length > 0 ? await db.select().from(users).where(inArray(users.id, wanted)) : [];
  return new Map(rows.map((u) => [u.id, u]));
}

/**
 * Presenters for live events, one per logged entity, each batched (a fixed number of queries per
 * entity, whatever the number of ids). Objects are the REST ones minus what differs per viewer
 * (a trip's user_role/permissions, a poll's user_voted flags): one serialization serves everyone.
 * Avatar URLs are root-relative, since an event has no request to take a host from.
 */
export const LOADERS: Record<string, Loader> = {
  async trip(db, ids, mediaUrl) {
    const rows = await db.select().from(trips).where(inArray(trips.id, ids));
    const graph = await loadTripGraph(db, rows);
    return byId(rows, (trip) => {
      const {
        user_role: _role,
        permissions: _permissions,
        ...shared
      } = presentTrip(trip, 'viewer', graph, mediaUrl);
      return shared;
    });
  },
  async collaborator(db, ids, mediaUrl) {
    const rows = await db.select().from(tripMembers).where(inArray(tripMembers.id, ids));
    const people = await usersById(
      db,
      rows.flatMap((m) => [m.userId, m.invitedById]),
    );
    return byId(rows, (member) => presentCollaborator(member, people, mediaUrl));
  },
  async invitation(db, ids, mediaUrl) {
    const rows = await db.select().from(invitations).where(inArray(invitations.id, ids));
    const tripRows =
      rows.length > 0
        ? await db
            .select()
            .from(trips)
            .where(
              inArray(
                trips.id,
                rows.map((r) => r.tripId),
              ),
            )
        : [];
    const titles = new Map(tripRows.map((t) => [t.id, t.title]));
    const people = await usersById(
      db,
      rows.map((r) => r.invitedById),
    );
    return byId(rows, (row) => presentInvitation(row, titles.get(row.tripId) ?? '', people, mediaUrl));
  },
  async itinerary(db, ids) {
    const rows = await db.select().from(itineraries).where(inArray(itineraries.id, ids));
    const items = await itemsByDay(db, ids);
    return byId(rows, (day) => presentDay(day, items.get(day.id) ?? []));
  },
  async item(db, ids) {
    const rows = await db.select().from(itineraryItems).where(inArray(itineraryItems.id, ids));
    return byId(rows, presentItem);
  },
  async poll(db, ids, mediaUrl) {
    const rows = await db.select().from(polls).where(inArray(polls.id, ids));
    const graph = await loadPollGraph(db, rows, NOBODY);
    return byId(rows, (poll) => {
      const { user_has_voted: _voted, options, ...shared } = presentPoll(poll, graph, mediaUrl);
      return { ...shared, options: options.map(({ user_voted: _mine, ...option }) => option) };
    });
  },
  async vote(db, ids) {
    // Who voted stays private, as in the REST results: only the poll and the option.
    const rows = await db.select().from(pollVotes).where(inArray(pollVotes.id, ids));
    return byId(rows, (vote) => ({ id: vote.id, poll: vote.pollId, option: vote.optionId }));
  },
  async message(db, ids) {
    const views = await presentMessagesById(db, ids);
    return new Map(views.map((view) => [view.id, view]));
  },
};
