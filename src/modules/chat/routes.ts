import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { currentUser } from '../../http/authenticate.ts';
import { errorResponses } from '../../http/envelope.ts';
import { Page, paginate, pageWindow } from '../../http/pagination.ts';
import { authorizeTrip } from '../trips/access.ts';
import { TripParams } from '../trips/schemas.ts';
import { authorizeRoom } from './message-access.ts';
import { messagePage } from './message-page.ts';
import { messageRoutes } from './message-routes.ts';
import { newestPageSender } from './newest-page.ts';
import { presentMessage } from './presenter.ts';
import { findRoomOfTrip, loadMessageGraph, roomsOfUser, roomSummaries } from './queries.ts';
import { IdParams, MessageListQuery, MessagePage, Room, RoomListQuery } from './schemas.ts';

const tags = ['chat'];
const security = [{ bearerAuth: [] }];
const PAGING =
  'Newest first. `before=<message id>` pages back, `after=<message id>` forward (the page nearest ' +
  'that message); `limit` 1–100, default 50. Deleted messages stay as tombstones (is_deleted).';

/** Chat over REST: rooms, message pages, posts (broadcast live like socket posts), edits, deletes. */
export const chatRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { ctx } = app;
  const sendPage = newestPageSender(ctx.db);

  app.get(
    '/chat/rooms/',
    {
      schema: {
        tags,
        security,
        summary: "The caller's chat rooms (one per trip), most recently active first",
        querystring: RoomListQuery,
        response: { 200: Page(Room), ...errorResponses(400, 401) },
      },
    },
    async (request) => {
      const window = pageWindow(request.query);
      const { total, rows } = await roomsOfUser(ctx.db, currentUser(request).id, window);
      const { counts, last } = await roomSummaries(
        ctx.db,
        rows.map((r) => r.room.id),
      );
      const graph = await loadMessageGraph(ctx.db, [...last.values()]);
      const results = rows.map(({ room, tripTitle }) => {
        const lastRow = last.get(room.id);
        return {
          id: room.id,
          trip: room.tripId,
          trip_title: tripTitle,
          message_count: counts.get(room.id) ?? 0,
          last_message: lastRow ? presentMessage(lastRow, graph) : null,
          created_at: room.createdAt.toISOString(),
        };
      });
      return paginate(request, window, total, results);
    },
  );

  app.get(
    '/chat/rooms/:id/messages/',
    {
      schema: {
        tags,
        security,
        summary: "A room's messages",
        description: PAGING,
        params: IdParams,
        querystring: MessageListQuery,
        response: { 200: MessagePage, ...errorResponses(400, 401, 404) },
      },
    },
    async (request, reply) => {
      const userId = currentUser(request).id;
      const page = await sendPage(request, reply, { by: 'room', id: request.params.id, userId }, async () => {
        const { room } = await authorizeRoom(ctx.db, {
          roomId: request.params.id,
          userId,
          action: 'chat.read',
        });
        return messagePage(ctx.db, request, room.id, request.query);
      });
      return page ?? reply;
    },
  );

  app.get(
    '/trips/:id/messages/',
    {
      schema: {
        tags,
        security,
        summary: "A trip's chat messages",
        description: PAGING,
        params: TripParams,
        querystring: MessageListQuery,
        response: { 200: MessagePage, ...errorResponses(400, 401, 404) },
      },
    },
    async (request, reply) => {
      const userId = currentUser(request).id;
      const page = await sendPage(request, reply, { by: 'trip', id: request.params.id, userId }, async () => {
        const { trip } = await authorizeTrip(ctx.db, {
          tripId: request.params.id,
          userId,
          action: 'chat.read',
        });
        // A read never writes: a trip without a room simply has no messages yet.
        const room = await findRoomOfTrip(ctx.db, trip.id);
        if (!room) return { results: [], has_more: false, next: null, previous: null };
        return messagePage(ctx.db, request, room.id, request.query);
      });
      return page ?? reply;
    },
  );

  await app.register(messageRoutes);
};
