import { and, asc, count, desc, eq, inArray, not, sql, type SQL } from 'drizzle-orm';
import type { Db, Tx } from '../../db/index.ts';
import { pageBounds, prepared } from '../../db/prepared.ts';
import { versionSet } from '../../db/versions.ts';
import { isForeignKeyViolation } from '../../db/errors.ts';
import { notFound } from '../../http/errors.ts';
import {
  chatMessages,
  chatRooms,
  tripMembers,
  trips,
  users,
  type ChatMessageRow,
  type ChatRoomRow,
  type Role,
  type UserRow,
} from '../../db/schema/index.ts';
import type { PageWindow } from '../../http/pagination.ts';
import type { MessageGraph } from './presenter.ts';
import { presentMessage } from './presenter.ts';
import type { MessageView } from './schemas.ts';

/**
 * Senders and replied-to messages of `rows`: at most two queries whatever the count, none for the
 * users already in `known`.
 */
export async function loadMessageGraph(
  db: Db | Tx,
  rows: readonly ChatMessageRow[],
  known: ReadonlyMap<string, UserRow> = new Map(),
): Promise<MessageGraph> {
  const replies = new Map(rows.map((r) => [r.id, r]));
  const missing = [
    ...new Set(rows.flatMap((r) => (r.replyToId && !replies.has(r.replyToId) ? [r.replyToId] : []))),
  ];
  if (missing.length > 0) {
    for (const row of await db.select().from(chatMessages).where(inArray(chatMessages.id, missing)))
      replies.set(row.id, row);
  }
  const userIds = [
    ...new Set(
      [...replies.values()].flatMap((r) => (r.senderId && !known.has(r.senderId) ? [r.senderId] : [])),
    ),
  ];
  const userRows = userIds.length > 0 ? await db.select().from(users).where(inArray(users.id, userIds)) : [];
  return { users: new Map([...known, ...userRows.map((u) => [u.id, u] as const)]), replies };
}

/** The messages with these ids, presented: one query with their senders (plus replies, if any). */
export async function presentMessagesById(db: Db | Tx, ids: readonly string[]): Promise<MessageView[]> {
  const found = await prepared(db, 'messages_by_id', (db) =>
    db
      .select({ message: chatMessages, sender: users })
      .from(chatMessages)
      .leftJoin(users, eq(users.id, chatMessages.senderId))
      // `= any(array)`: one statement text whatever the number of messages, so it is prepared once.
      .where(sql`${chatMessages.id} = any(${sql.placeholder('ids')}::uuid[])`),
  ).execute({ ids: [...ids] });
  const rows = found.map((f) => f.message);
  const senders = new Map(found.flatMap((f) => (f.sender ? [[f.sender.id, f.sender] as const] : [])));
  const graph = await loadMessageGraph(db, rows, senders);
  return rows.map((row) => presentMessage(row, graph));
}

/** Presents messages with their graph (two queries at most). */
export async function presentMessages(db: Db | Tx, rows: readonly ChatMessageRow[]): Promise<MessageView[]> {
  const graph = await loadMessageGraph(db, rows);
  return rows.map((row) => presentMessage(row, graph));
}

export async function findMessage(db: Db | Tx, id: string): Promise<ChatMessageRow | undefined> {
  const [row] = await db.select().from(chatMessages).where(eq(chatMessages.id, id)).limit(1);
  return row;
}

/**
 * What posting needs, in one statement: the caller's role in the trip (no row: not a member), the
 * trip's room (null only while the trip is being deleted) and the caller's user row, which the
 * posted message is presented with.
 */
export async function postingContext(
  db: Db | Tx,
  tripId: string,
  userId: string,
): Promise<{ role: Role; roomId: string | null; sender: UserRow } | undefined> {
  const [found] = await prepared(db, 'chat_posting_context', (db) =>
    db
      .select({ role: tripMembers.role, roomId: chatRooms.id, sender: users })
      .from(tripMembers)
      .innerJoin(users, eq(users.id, tripMembers.userId))
      .leftJoin(chatRooms, eq(chatRooms.tripId, tripMembers.tripId))
      .where(
        and(
          eq(tripMembers.tripId, sql.placeholder('tripId')),
          eq(tripMembers.userId, sql.placeholder('userId')),
        ),
      )
      .limit(1),
  ).execute({ tripId, userId });
  return found;
}

/** The trip's room, if it has one (every trip gets one when created). */
export async function findRoomOfTrip(db: Db | Tx, tripId: string): Promise<ChatRoomRow | undefined> {
  const [found] = await prepared(db, 'room_of_trip', (db) =>
    db
      .select()
      .from(chatRooms)
      .where(eq(chatRooms.tripId, sql.placeholder('tripId')))
      .limit(1),
  ).execute({ tripId });
  return found;
}

/** The trip's room for a write or a chat session, made on first use if a trip somehow lacks one. */
export async function roomOfTrip(db: Db | Tx, tripId: string): Promise<ChatRoomRow> {
  const found = await findRoomOfTrip(db, tripId);
  if (found) return found;
  // Missing because the trip was just deleted (its room went with it): the trip's 404, not a 500.
  await db
    .insert(chatRooms)
    .values({ tripId })
    .onConflictDoNothing()
    .catch((error: unknown) => {
      throw isForeignKeyViolation(error) ? notFound('Trip not found.') : error;
    });
  const [row] = await db.select().from(chatRooms).where(eq(chatRooms.tripId, tripId)).limit(1);
  return row!;
}

/**
 * One page of a room, newest first, keyset-paged on (created_at, id) around a message of the room
 * (`before` pages back in time, `after` forward); one query, plus one to learn if more exist.
 */
export async function pageOfMessages(
  db: Db | Tx,
  props: { roomId: string; before?: ChatMessageRow; after?: ChatMessageRow; limit: number },
): Promise<{ rows: ChatMessageRow[]; hasMore: boolean }> {
  const conditions: SQL[] = [eq(chatMessages.chatRoomId, props.roomId)];
  const key = sql`(${chatMessages.createdAt}, ${chatMessages.id})`;
  const forward = props.after !== undefined && props.before === undefined;
  // Compared with the stored row, not a JS Date: timestamps keep microseconds that Date would drop.
  const keyOf = (id: string) => sql`(select m.created_at, m.id from chat_messages m where m.id = ${id})`;
  if (props.before) conditions.push(sql`${key} < ${keyOf(props.before.id)}`);
  if (props.after) conditions.push(sql`${key} > ${keyOf(props.after.id)}`);
  const order = forward
    ? [asc(chatMessages.createdAt), asc(chatMessages.id)]
    : [desc(chatMessages.createdAt), desc(chatMessages.id)];
  const rows = await db
    .select()
    .from(chatMessages)
    .where(and(...conditions))
    .orderBy(...order)
    .limit(props.limit + 1);
  const hasMore = rows.length > props.limit;
  const page = rows.slice(0, props.limit);
  return { rows: forward ? page.reverse() : page, hasMore };
}

/** The caller's rooms, most recently active first: one count and one page query. */
export async function roomsOfUser(
  db: Db,
  userId: string,
  window: PageWindow,
): Promise<{ total: number; rows: { room: ChatRoomRow; tripTitle: string }[] }> {
  const where = eq(tripMembers.userId, userId);
  const [totalRow] = await db
    .select({ total: count() })
    .from(tripMembers)
    .innerJoin(chatRooms, eq(chatRooms.tripId, tripMembers.tripId))
    .where(where);
  // The newest message of each room comes from the (room, created_at) index: one probe per row.
  const activity = sql`coalesce((select max(m.created_at) from chat_messages m where m.chat_room_id = ${chatRooms.id}), ${chatRooms.createdAt})`;
  const rows = await db
    .select({ room: chatRooms, tripTitle: trips.title })
    .from(tripMembers)
    .innerJoin(chatRooms, eq(chatRooms.tripId, tripMembers.tripId))
    .innerJoin(trips, eq(trips.id, tripMembers.tripId))
    .where(where)
    .orderBy(sql`${activity} desc`, desc(chatRooms.id))
    .limit(window.limit)
    .offset(window.offset);
  return { total: Number(totalRow?.total ?? 0), rows };
}

/** Message counts and the last message of each room (deleted ones left out): two queries. */
export async function roomSummaries(
  db: Db,
  roomIds: string[],
): Promise<{ counts: Map<string, number>; last: Map<string, ChatMessageRow> }> {
  if (roomIds.length === 0) return { counts: new Map(), last: new Map() };
  const live = and(inArray(chatMessages.chatRoomId, roomIds), not(chatMessages.isDeleted));
  const countRows = await db
    .select({ roomId: chatMessages.chatRoomId, total: count() })
    .from(chatMessages)
    .where(live)
    .groupBy(chatMessages.chatRoomId);
  const lastRows = await db
    .selectDistinctOn([chatMessages.chatRoomId])
    .from(chatMessages)
    .where(live)
    .orderBy(chatMessages.chatRoomId, desc(chatMessages.createdAt), desc(chatMessages.id));
  return {
    counts: new Map(countRows.map((r) => [r.roomId, Number(r.total)])),
    last: new Map(lastRows.map((r) => [r.chatRoomId, r])),
  };
}

/**
 * The caller's role in the trip of a room and a fingerprint of everything the room's newest page
 * of `limit` messages is presented from (see http/response-cache.ts): the versions of the page's
 * messages and the one after it (whether there is more), each with its sender's, the message it
 * replies to and that message's sender's, one text per message so no two cancel out. Found by
 * the room (`by: 'room'`) or by its trip (`by: 'trip'`); undefined for a non-member or a trip
 * without a room. The page comes from the same (room, created_at, id) index scan as pageOfMessages,
 * however many messages the room holds.
 */
export async function newestPageFingerprint(
  db: Db | Tx,
  props: { by: 'room' | 'trip'; id: string; userId: string; limit: number },
): Promise<{ role: Role; roomId: string; fingerprint: string } | undefined> {
  const bounds = pageBounds({ limit: props.limit, offset: 0 });
  const [row] = await prepared(db, `newest_messages_fingerprint_by_${props.by}${bounds.suffix}`, (db) =>
    db
      .select({
        role: tripMembers.role,
        roomId: chatRooms.id,
        // The replied-to message is a subquery per reply: as a join, the planner hashed the page
        // and read the whole table to find a few replies (1.5 ms at 10,000 messages); run for
        // every row, a small room's plan scanned its table once per message (0.15 ms at 100).
        fingerprint: sql<string>`(select ${versionSet(
          sql`p.version || coalesce(u.xmin::text || u.ctid::text, '') || case when p.reply_to_id is null
            then '' else coalesce((
              select q.xmin::text || q.ctid::text
                || coalesce((select qu.xmin::text || qu.ctid::text from users qu where qu.id = q.sender_id), '')
              from chat_messages q where q.id = p.reply_to_id), '') end`,
        )}
          from (select m.xmin::text || m.ctid::text as version, m.sender_id, m.reply_to_id
                from chat_messages m where m.chat_room_id = ${chatRooms.id}
                order by m.created_at desc, m.id desc limit ${bounds.limit} + 1) p
          left join users u on u.id = p.sender_id)`,
      })
      .from(chatRooms)
      .innerJoin(
        tripMembers,
        and(eq(tripMembers.tripId, chatRooms.tripId), eq(tripMembers.userId, sql.placeholder('userId'))),
      )
      .where(eq(props.by === 'room' ? chatRooms.id : chatRooms.tripId, sql.placeholder('id')))
      .limit(1),
  ).execute({ id: props.id, userId: props.userId, limit: props.limit });
  return row;
}
