import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Db, Tx } from '../../db/index.ts';
import type { Role, TripRow } from '../../db/schema/index.ts';
import { currentUser } from '../../http/authenticate.ts';
import { errorResponses } from '../../http/envelope.ts';
import { expectedVersion, setEtag } from '../../http/etag.ts';
import { notFound, permissionDenied } from '../../http/errors.ts';
import { absoluteBase, Page, paginate, pageWindow } from '../../http/pagination.ts';
import type { KeptAnswer } from '../../http/compression.ts';
import { keptAnswer, ResponseCache, sendSerialized } from '../../http/response-cache.ts';
import { inTransaction } from '../changes/unit-of-work.ts';
import { idempotencyKeyOf, runIdempotent } from '../idempotency/idempotent.ts';
import { mediaUrlFor } from '../users/media-url.ts';
import { authorizeTripRead, roleIn } from './access.ts';
import { createTrip } from './create-trip.ts';
import { deleteTrip } from './delete-trip.ts';
import { presentTrip, type TripView } from './presenter.ts';
import { can } from './policy.ts';
import { listTripsForUser, loadTripGraph, tripFingerprint, tripListFingerprint } from './queries.ts';
import { CreateTripBody, PatchTripBody, PutTripBody, Trip, TripListQuery, TripParams } from './schemas.ts';
import { updateTrip } from './update-trip.ts';

const tags = ['trips'];
const security = [{ bearerAuth: [] }];
const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({ maxLength: 255, description: 'Retries with the same key return the first result' }),
  ),
});
const IfMatchHeaders = Type.Object({
  'if-match': Type.Optional(Type.String({ description: 'ETag from a previous GET; 412 if stale' })),
});

/** Presents one trip with its collaborators (one extra query, see loadTripGraph). */
export async function presentTripFor(
  db: Db | Tx,
  request: FastifyRequest,
  trip: TripRow,
  role: Role,
): Promise<TripView> {
  const graph = await loadTripGraph(db, [trip]);
  return presentTrip(trip, role, graph, mediaUrlFor(request, request.server.ctx));
}

// Serialized trip objects per trip, role and base URL: ~4–8 KB each (a trip of 5 members).
const DETAIL_CACHE_BYTES = 4 * 1024 * 1024;
// Serialized first pages of trip lists, per caller and URL: ~80 KB for 12 trips of 5 members.
const LIST_CACHE_BYTES = 8 * 1024 * 1024;

/** Trips: list (filters, ordering, pages), create, read, update, delete. */
export const tripRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { ctx } = app;
  const detailCache = new ResponseCache<KeptAnswer & { version: number }>(DETAIL_CACHE_BYTES);
  const listCache = new ResponseCache<KeptAnswer>(LIST_CACHE_BYTES);

  app.get(
    '/trips/',
    {
      schema: {
        tags,
        security,
        summary: "The caller's trips",
        querystring: TripListQuery,
        response: { 200: Page(Type.Ref(Trip)), ...errorResponses(400, 401) },
      },
    },
    async (request, reply) => {
      const user = currentUser(request);
      const window = pageWindow(request.query);
      const present = async () => {
        const { total, rows } = await listTripsForUser(ctx.db, user.id, request.query, window);
        const graph = await loadTripGraph(
          ctx.db,
          rows.map((r) => r.trip),
        );
        const mediaUrl = mediaUrlFor(request, ctx);
        const results = rows.map((r) => presentTrip(r.trip, r.role, graph, mediaUrl));
        return keptAnswer(reply.serialize(paginate(request, window, total, results)) as string, {});
      };
      // Filtered lists vary too much to be worth keeping; the plain list (what clients poll) is kept
      // per caller and URL (its page links are absolute) and checked like trip detail's.
      if (request.query.status || request.query.search) {
        sendSerialized(reply as FastifyReply, await present());
        return reply;
      }
      const ordering = request.query.ordering ?? '-created_at';
      const fingerprint = await tripListFingerprint(ctx.db, user.id, ordering, window);
      const key = `${user.id}|${absoluteBase(request)}${request.url}`;
      const answer = await listCache.answer(key, fingerprint, present, () =>
        tripListFingerprint(ctx.db, user.id, ordering, window),
      );
      sendSerialized(reply as FastifyReply, answer);
      return reply;
    },
  );

  app.post(
    '/trips/',
    {
      schema: {
        tags,
        security,
        summary: 'Create a trip (the caller becomes owner; a chat room is created)',
        headers: IdempotencyHeaders,
        body: CreateTripBody,
        response: { 201: Type.Ref(Trip), ...errorResponses(400, 401, 409, 422) },
      },
    },
    async (request, reply) => {
      const user = currentUser(request);
      const outcome = await runIdempotent(
        ctx,
        { userId: user.id, key: idempotencyKeyOf(request), scope: 'POST /trips/', body: request.body },
        async (unit) => {
          const { trip, created } = await createTrip(unit, { userId: user.id, input: request.body });
          const role = created ? 'owner' : ((await roleIn(unit.tx, trip.id, user.id)) ?? 'owner');
          return { status: 201, body: await presentTripFor(unit.tx, request, trip, role), created };
        },
      );
      if (outcome.replayed || !(outcome as { created?: boolean }).created)
        reply.header('idempotent-replayed', 'true');
      setEtag(reply, (outcome.body as TripView).version);
      return reply.code(outcome.status as 201).send(outcome.body as TripView);
    },
  );

  app.get(
    '/trips/:id/',
    {
      schema: {
        tags,
        security,
        summary: 'A trip',
        params: TripParams,
        response: { 200: Type.Ref(Trip), ...errorResponses(401, 404) },
      },
    },
    async (request, reply) => {
      const tripId = request.params.id;
      const userId = currentUser(request).id;
      // One small statement authorizes and tells whether the kept answer is still the trip as it
      // is; only when it is not are the rows read and presented (see http/response-cache.ts).
      const probe = await tripFingerprint(ctx.db, tripId, userId);
      if (!probe) throw notFound('Trip not found.');
      if (!can(probe.role, 'trip.read')) throw permissionDenied();
      // Avatar URLs are absolute as this client reaches the server, so the base is part of the key.
      const key = `${tripId}|${probe.role}|${absoluteBase(request)}`;
      const present = async () => {
        const { trip, role, graph } = await authorizeTripRead(ctx.db, { tripId, userId });
        // The route's own response serializer: the same text a returned object would become.
        const body = reply.serialize(presentTrip(trip, role, graph, mediaUrlFor(request, ctx))) as string;
        return keptAnswer(body, { version: trip.version });
      };
      const answer = await detailCache.answer(
        key,
        probe.fingerprint,
        present,
        async () => (await tripFingerprint(ctx.db, tripId, userId))?.fingerprint,
      );
      setEtag(reply, answer.version);
      sendSerialized(reply as FastifyReply, answer);
      return reply;
    },
  );

  for (const method of ['PUT', 'PATCH'] as const) {
    app.route({
      method,
      url: '/trips/:id/',
      schema: {
        tags,
        security,
        summary: method === 'PUT' ? 'Replace a trip (title required)' : 'Update some fields of a trip',
        description:
          'Owner or editor. Dates that would leave itinerary days outside are refused, naming the days.',
        params: TripParams,
        headers: IfMatchHeaders,
        body: method === 'PUT' ? PutTripBody : PatchTripBody,
        response: { 200: Type.Ref(Trip), ...errorResponses(400, 401, 403, 404, 412) },
      },
      handler: async (request, reply) => {
        const userId = currentUser(request).id;
        const { id } = request.params as { id: string };
        const view = await inTransaction(ctx, async (unit) => {
          const trip = await updateTrip(unit, {
            userId,
            tripId: id,
            changes: request.body as PatchTripBody,
            expectedVersion: expectedVersion(request),
            presentCurrent: async (current) =>
              presentTripFor(unit.tx, request, current, (await roleIn(unit.tx, id, userId))!),
          });
          return presentTripFor(unit.tx, request, trip, (await roleIn(unit.tx, id, userId))!);
        });
        setEtag(reply, view.version);
        return view;
      },
    });
  }

  app.delete(
    '/trips/:id/',
    {
      schema: {
        tags,
        security,
        summary: 'Delete a trip and everything in it (owner)',
        params: TripParams,
        headers: IfMatchHeaders,
        response: { 204: Type.Null(), ...errorResponses(401, 403, 404, 412) },
      },
    },
    async (request, reply) => {
      const userId = currentUser(request).id;
      await inTransaction(ctx, (unit) =>
        deleteTrip(unit, {
          userId,
          tripId: request.params.id,
          expectedVersion: expectedVersion(request),
          presentCurrent: (current) => presentTripFor(unit.tx, request, current, 'owner'),
        }),
      );
      return reply.code(204).send(null);
    },
  );
};
