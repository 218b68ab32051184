import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { Db, Tx } from '../../db/index.ts';
import type { ItineraryRow } from '../../db/schema/index.ts';
import { currentUser } from '../../http/authenticate.ts';
import { toDate } from '../../http/dates.ts';
import { errorResponses } from '../../http/envelope.ts';
import { fieldError, notFound, permissionDenied } from '../../http/errors.ts';
import { expectedVersion, setEtag } from '../../http/etag.ts';
import { absoluteBase, Page, paginate, pageWindow } from '../../http/pagination.ts';
import type { KeptAnswer } from '../../http/compression.ts';
import { keptAnswer, ResponseCache, sendSerialized } from '../../http/response-cache.ts';
import { inTransaction } from '../changes/unit-of-work.ts';
import { idempotencyKeyOf, runIdempotent } from '../idempotency/idempotent.ts';
import { authorizeTrip } from '../trips/access.ts';
import { can } from '../trips/policy.ts';
import { authorizeDay } from './access.ts';
import { createDay } from './create-day.ts';
import { deleteDay } from './delete-day.ts';
import { presentDay, type DayView } from './presenter.ts';
import { dayFingerprint, daysFingerprint, itemsByDay, itemsOfDay, listDays } from './queries.ts';
import {
  CreateDayBody,
  Day,
  DayListQuery,
  DayParams,
  IdempotencyHeaders,
  IfMatchHeaders,
  PatchDayBody,
  PutDayBody,
} from './schemas.ts';
import { updateDay } from './update-day.ts';

const tags = ['itineraries'];
// Serialized pages of days with their items, per URL: ~15 KB for 5 days of 5 items.
const DAY_LIST_CACHE_BYTES = 4 * 1024 * 1024;
// Serialized days with their items, per day: ~3 KB for a day of 5 items.
const DAY_CACHE_BYTES = 2 * 1024 * 1024;
const security = [{ bearerAuth: [] }];

/** Presents one day with its items (one query). */
export async function presentDayFor(db: Db | Tx, day: ItineraryRow): Promise<DayView> {
  return presentDay(day, await itemsOfDay(db, day.id));
}

/** The trip of a list request: `trip_id`, or its alias `trip`; one of them is required. */
function tripOfQuery(query: DayListQuery): string {
  if (query.trip_id && query.trip && query.trip_id !== query.trip)
    throw fieldError('trip', 'trip and trip_id name different trips; send one of them.');
  const tripId = query.trip_id ?? query.trip;
  if (!tripId) throw fieldError('trip_id', 'This field is required.');
  return tripId;
}

/** Itinerary days: list by trip, create, read, update, delete. */
export const dayRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { ctx } = app;
  const dayListCache = new ResponseCache<KeptAnswer>(DAY_LIST_CACHE_BYTES);
  const dayCache = new ResponseCache<KeptAnswer & { version: number }>(DAY_CACHE_BYTES);

  app.get(
    '/itineraries/',
    {
      schema: {
        tags,
        security,
        summary: "A trip's days with their items, ordered by date",
        description: 'Member. `trip_id` (or `trip`) is required; `date` picks one day.',
        querystring: DayListQuery,
        response: { 200: Page(Day), ...errorResponses(400, 401, 404) },
      },
    },
    async (request, reply) => {
      const userId = currentUser(request).id;
      const tripId = tripOfQuery(request.query);
      const date = request.query.date ? toDate(request.query.date, 'date') : null;
      const window = pageWindow(request.query);
      // Fixed cost whatever the size: the count, the page of days, all their items at once.
      const present = async () => {
        const { total, rows } = await listDays(ctx.db, { tripId, date, window });
        const items = await itemsByDay(
          ctx.db,
          rows.map((d) => d.id),
        );
        const results = rows.map((day) => presentDay(day, items.get(day.id) ?? []));
        return keptAnswer(reply.serialize(paginate(request, window, total, results)) as string, {});
      };
      if (date) {
        await authorizeTrip(ctx.db, { tripId, userId, action: 'itinerary.read' });
        sendSerialized(reply as FastifyReply, await present());
        return reply;
      }
      // Every day of the trip (what clients poll): kept per URL (page links are absolute) and
      // checked on each read against a fingerprint that also authorizes (http/response-cache.ts).
      const probe = await daysFingerprint(ctx.db, { tripId, userId, window });
      if (!probe) throw notFound('Trip not found.');
      if (!can(probe.role, 'itinerary.read')) throw permissionDenied();
      const key = `${tripId}|${absoluteBase(request)}${request.url}`;
      const answer = await dayListCache.answer(
        key,
        probe.fingerprint,
        present,
        async () => (await daysFingerprint(ctx.db, { tripId, userId, window }))?.fingerprint,
      );
      sendSerialized(reply as FastifyReply, answer);
      return reply;
    },
  );

  app.post(
    '/itineraries/',
    {
      schema: {
        tags,
        security,
        summary: 'Add a day to a trip (owner, editor)',
        description: "One day per date, inside the trip's dates when the trip has them.",
        headers: IdempotencyHeaders,
        body: CreateDayBody,
        response: { 201: Day, ...errorResponses(400, 401, 403, 404, 409, 422) },
      },
    },
    async (request, reply) => {
      const userId = currentUser(request).id;
      const outcome = await runIdempotent(
        ctx,
        { userId, key: idempotencyKeyOf(request), scope: 'POST /itineraries/', body: request.body },
        async (unit) => {
          const { day, created } = await createDay(unit, { userId, input: request.body });
          const view = created ? presentDay(day, []) : await presentDayFor(unit.tx, day);
          return { status: 201, body: view, created };
        },
      );
      if (outcome.replayed || !(outcome as { created?: boolean }).created)
        reply.header('idempotent-replayed', 'true');
      setEtag(reply, (outcome.body as DayView).version);
      return reply.code(201).send(outcome.body as DayView);
    },
  );

  app.get(
    '/itineraries/:id/',
    {
      schema: {
        tags,
        security,
        summary: 'A day with its items',
        params: DayParams,
        response: { 200: Day, ...errorResponses(401, 404) },
      },
    },
    async (request, reply) => {
      const dayId = request.params.id;
      const userId = currentUser(request).id;
      const present = async () => {
        const { day } = await authorizeDay(ctx.db, { dayId, userId, action: 'itinerary.read' });
        return keptAnswer(reply.serialize(await presentDayFor(ctx.db, day)) as string, {
          version: day.version,
        });
      };
      // Kept per day (its text names no caller) and checked on each read against a fingerprint
      // that also authorizes; a stranger or a missing day gets authorizeDay's own 404.
      const probe = await dayFingerprint(ctx.db, { dayId, userId });
      const answer =
        probe && can(probe.role, 'itinerary.read')
          ? await dayCache.answer(
              dayId,
              probe.fingerprint,
              present,
              async () => (await dayFingerprint(ctx.db, { dayId, userId }))?.fingerprint,
            )
          : await present();
      setEtag(reply, answer.version);
      sendSerialized(reply as FastifyReply, answer);
      return reply;
    },
  );

  for (const method of ['PUT', 'PATCH'] as const) {
    app.route({
      method,
      url: '/itineraries/:id/',
      schema: {
        tags,
        security,
        summary: method === 'PUT' ? 'Replace a day (date required)' : 'Update some fields of a day',
        description: "Owner or editor. A new date must be inside the trip's dates and free.",
        params: DayParams,
        headers: IfMatchHeaders,
        body: method === 'PUT' ? PutDayBody : PatchDayBody,
        response: { 200: Day, ...errorResponses(400, 401, 403, 404, 412) },
      },
      handler: async (request, reply) => {
        const userId = currentUser(request).id;
        const { id } = request.params as { id: string };
        const view = await inTransaction(ctx, async (unit) => {
          const day = await updateDay(unit, {
            userId,
            dayId: id,
            changes: request.body as PatchDayBody,
            expectedVersion: expectedVersion(request),
            presentCurrent: (current) => presentDayFor(unit.tx, current),
          });
          return presentDayFor(unit.tx, day);
        });
        setEtag(reply, view.version);
        return view;
      },
    });
  }

  app.delete(
    '/itineraries/:id/',
    {
      schema: {
        tags,
        security,
        summary: 'Delete a day and its items (owner, editor)',
        params: DayParams,
        headers: IfMatchHeaders,
        response: { 204: Type.Null(), ...errorResponses(401, 403, 404, 412) },
      },
    },
    async (request, reply) => {
      const userId = currentUser(request).id;
      await inTransaction(ctx, (unit) =>
        deleteDay(unit, {
          userId,
          dayId: request.params.id,
          expectedVersion: expectedVersion(request),
          presentCurrent: (current) => presentDayFor(unit.tx, current),
        }),
      );
      return reply.code(204).send(null);
    },
  );
};
