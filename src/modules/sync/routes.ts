import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { currentUser } from '../../http/authenticate.ts';
import { errorResponses } from '../../http/envelope.ts';
import { fieldError } from '../../http/errors.ts';
import { mediaUrlFor } from '../users/media-url.ts';
import { decodeSyncCursor, encodeSyncCursor } from './cursor.ts';
import { readFeedPage } from './feed.ts';
import { pushMutations } from './push.ts';
import { FeedPage, FeedQuery, PushBody, PushResponse } from './schemas.ts';

const tags = ['sync'];
const invalidCursor = () => fieldError('cursor', 'Not a cursor from this feed; start again without one.');
const security = [{ bearerAuth: [] }];

/** Offline sync: the change feed (pull) and the batch of offline mutations (push). See docs/sync.md. */
export const syncRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { ctx } = app;

  app.get(
    '/sync/',
    {
      schema: {
        tags,
        security,
        summary: "Changes to the caller's trips since a cursor (no cursor: a full snapshot, paged)",
        description:
          'Upserts carry the current object, deletes are tombstones; several changes to one object ' +
          'in a page collapse into its latest state. A trip the caller lost access to arrives as a ' +
          'trip tombstone; a trip gained arrives whole. Pull until `has_more` is false.',
        querystring: FeedQuery,
        response: { 200: FeedPage, ...errorResponses(400, 401) },
      },
    },
    async (request) => {
      const userId = currentUser(request).id;
      const cursor = request.query.cursor === undefined ? null : decodeSyncCursor(request.query.cursor);
      if (request.query.cursor !== undefined && !cursor) throw invalidCursor();
      const page = await readFeedPage(ctx.db, {
        userId,
        cursor,
        limit: request.query.limit ?? 100,
        mediaUrl: mediaUrlFor(request, ctx),
      });
      return { changes: page.entries, cursor: encodeSyncCursor(page.cursor), has_more: page.hasMore };
    },
  );

  app.post(
    '/sync/',
    {
      schema: {
        tags,
        security,
        summary: 'Apply a batch of offline mutations, in order, each in its own transaction',
        description:
          'One result per mutation: `applied` (new version and object), `conflict` (the server copy ' +
          'and the fields both sides changed; nothing written) or `rejected` (the error the REST ' +
          'endpoint would give). Replaying a mutation id returns its first result and changes nothing.',
        body: PushBody,
        response: { 200: PushResponse, ...errorResponses(400, 401, 413) },
      },
    },
    async (request) => {
      const sent = request.body.cursor === undefined ? null : decodeSyncCursor(request.body.cursor);
      if (request.body.cursor !== undefined && !sent) throw invalidCursor();
      const results = await pushMutations(
        ctx,
        {
          userId: currentUser(request).id,
          clientId: request.body.client_id,
          requestId: String(request.id),
          mediaUrl: mediaUrlFor(request, ctx),
        },
        request.body.mutations,
      );
      // Returned as sent: trips this batch created are memberships joined after its position, which
      // the next pull finds in the membership log (sent whole, or a tombstone if lost meanwhile).
      return sent ? { results, cursor: request.body.cursor! } : { results };
    },
  );
};
