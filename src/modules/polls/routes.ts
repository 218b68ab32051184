import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { currentUser } from '../../http/authenticate.ts';
import { errorResponses } from '../../http/envelope.ts';
import { fieldError } from '../../http/errors.ts';
import { expectedVersion, setEtag } from '../../http/etag.ts';
import { Page, paginate, pageWindow } from '../../http/pagination.ts';
import { inTransaction } from '../changes/unit-of-work.ts';
import { idempotencyKeyOf, runIdempotent } from '../idempotency/idempotent.ts';
import { authorizeTrip } from '../trips/access.ts';
import { mediaUrlFor } from '../users/media-url.ts';
import { createPoll } from './create-poll.ts';
import { deletePoll } from './delete-poll.ts';
import { authorizePoll } from './poll-access.ts';
import { presentPollFor } from './poll-view.ts';
import { presentPoll } from './presenter.ts';
import { listPolls, loadPollGraph } from './queries.ts';
import { CreatePollBody, PatchPollBody, Poll, PollListQuery, PollParams, type PollView } from './schemas.ts';
import { updatePoll } from './update-poll.ts';
import { voteRoutes } from './vote-routes.ts';

const tags = ['polls'];
const security = [{ bearerAuth: [] }];
const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({ maxLength: 255, description: 'Retries with the same key return the first result' }),
  ),
});
const IfMatchHeaders = Type.Object({
  'if-match': Type.Optional(Type.String({ description: 'ETag from a previous GET; 412 if stale' })),
});

/** Polls: list a trip's polls, create, read, update, delete; votes and results in vote-routes.ts. */
export const pollRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { ctx } = app;

  app.get(
    '/polls/',
    {
      schema: {
        tags,
        security,
        summary: "A trip's polls, newest first (members)",
        querystring: PollListQuery,
        response: { 200: Page(Poll), ...errorResponses(400, 401, 404) },
      },
    },
    async (request) => {
      const user = currentUser(request);
      const { trip_id: tripIdParam, trip, is_active: isActive } = request.query;
      const tripId = tripIdParam ?? trip;
      if (!tripId) throw fieldError('trip_id', 'This field is required.');
      if (tripIdParam && trip && tripIdParam !== trip)
        throw fieldError('trip', 'trip and trip_id name different trips.');
      await authorizeTrip(ctx.db, { tripId, userId: user.id, action: 'poll.read' });
      const window = pageWindow(request.query);
      const { total, rows } = await listPolls(ctx.db, { tripId, isActive }, window);
      const graph = await loadPollGraph(ctx.db, rows, user.id);
      const mediaUrl = mediaUrlFor(request, ctx);
      const now = new Date();
      return paginate(
        request,
        window,
        total,
        rows.map((poll) => presentPoll(poll, graph, mediaUrl, now)),
      );
    },
  );

  app.post(
    '/polls/',
    {
      schema: {
        tags,
        security,
        summary: 'Create a poll with its options (owner, editor)',
        headers: IdempotencyHeaders,
        body: CreatePollBody,
        response: { 201: Poll, ...errorResponses(400, 401, 403, 404, 409, 422) },
      },
    },
    async (request, reply) => {
      const user = currentUser(request);
      const outcome = await runIdempotent(
        ctx,
        { userId: user.id, key: idempotencyKeyOf(request), scope: 'POST /polls/', body: request.body },
        async (unit) => {
          const { poll, created } = await createPoll(unit, { userId: user.id, input: request.body });
          return { status: 201, body: await presentPollFor(unit.tx, request, poll, user.id), created };
        },
      );
      if (outcome.replayed || !(outcome as { created?: boolean }).created)
        reply.header('idempotent-replayed', 'true');
      setEtag(reply, (outcome.body as PollView).version);
      return reply.code(outcome.status as 201).send(outcome.body as PollView);
    },
  );

  app.get(
    '/polls/:id/',
    {
      schema: {
        tags,
        security,
        summary: 'A poll with its options and counts (members)',
        params: PollParams,
        response: { 200: Poll, ...errorResponses(401, 404) },
      },
    },
    async (request, reply) => {
      const userId = currentUser(request).id;
      const { poll } = await authorizePoll(ctx.db, {
        pollId: request.params.id,
        userId,
        action: 'poll.read',
      });
      setEtag(reply, poll.version);
      return presentPollFor(ctx.db, request, poll, userId);
    },
  );

  for (const method of ['PUT', 'PATCH'] as const) {
    app.route({
      method,
      url: '/polls/:id/',
      schema: {
        tags,
        security,
        summary: method === 'PUT' ? 'Update a poll (same as PATCH)' : 'Update some fields of a poll',
        description:
          'The poll’s creator or a trip owner. `is_active: false` closes the poll, `true` reopens it; ' +
          '`closes_at` moves the deadline (future only) or removes it (null). Options and ' +
          'allow_multiple cannot change once created. Votes also bump the version.',
        params: PollParams,
        headers: IfMatchHeaders,
        body: PatchPollBody,
        response: { 200: Poll, ...errorResponses(400, 401, 403, 404, 412) },
      },
      handler: async (request, reply) => {
        const userId = currentUser(request).id;
        const { id } = request.params as { id: string };
        const view = await inTransaction(ctx, async (unit) => {
          const poll = await updatePoll(unit, {
            userId,
            pollId: id,
            changes: request.body as PatchPollBody,
            expectedVersion: expectedVersion(request),
            presentCurrent: (current) => presentPollFor(unit.tx, request, current, userId),
          });
          return presentPollFor(unit.tx, request, poll, userId);
        });
        setEtag(reply, view.version);
        return view;
      },
    });
  }

  app.delete(
    '/polls/:id/',
    {
      schema: {
        tags,
        security,
        summary: 'Delete a poll with its votes (its creator or a trip owner)',
        params: PollParams,
        headers: IfMatchHeaders,
        response: { 204: Type.Null(), ...errorResponses(401, 403, 404, 412) },
      },
    },
    async (request, reply) => {
      const userId = currentUser(request).id;
      await inTransaction(ctx, (unit) =>
        deletePoll(unit, {
          userId,
          pollId: request.params.id,
          expectedVersion: expectedVersion(request),
          presentCurrent: (current) => presentPollFor(unit.tx, request, current, userId),
        }),
      );
      return reply.code(204).send(null);
    },
  );

  await app.register(voteRoutes);
};
