import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { currentUser } from '../../http/authenticate.ts';
import { errorResponses } from '../../http/envelope.ts';
import { expectedVersion, setEtag } from '../../http/etag.ts';
import { Page, PageQuery, paginate, pageWindow } from '../../http/pagination.ts';
import { inTransaction } from '../changes/unit-of-work.ts';
import { idempotencyKeyOf, runIdempotent } from '../idempotency/idempotent.ts';
import { authorizeDay, authorizeItem } from './access.ts';
import { createItem, createItemAtCommit } from './create-item.ts';
import { deleteItem } from './delete-item.ts';
import { presentItem, type ItemView } from './presenter.ts';
import { pageOfItems } from './queries.ts';
import { reorderItems } from './reorder-items.ts';
import {
  CreateItemBody,
  DayParams,
  IdempotencyHeaders,
  IfMatchHeaders,
  Item,
  ItemParams,
  PatchItemBody,
  PutItemBody,
  ReorderBody,
  ReorderResponse,
} from './schemas.ts';
import { updateItem } from './update-item.ts';

const tags = ['itineraries'];
const security = [{ bearerAuth: [] }];
// The original API served items under both paths; existing clients use either.
const ITEM_URLS = ['/itineraries/items/:item_id/', '/itinerary-items/:item_id/'] as const;

/** Items of a day: list, append, read, update or move, delete, reorder. */
export const itemRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { ctx } = app;

  app.get(
    '/itineraries/:id/items/',
    {
      schema: {
        tags,
        security,
        summary: "A day's items in order",
        params: DayParams,
        querystring: PageQuery,
        response: { 200: Page(Item), ...errorResponses(400, 401, 404) },
      },
    },
    async (request) => {
      const { day } = await authorizeDay(ctx.db, {
        dayId: request.params.id,
        userId: currentUser(request).id,
        action: 'itinerary.read',
      });
      const window = pageWindow(request.query);
      const { total, rows } = await pageOfItems(ctx.db, day.id, window);
      return paginate(request, window, total, rows.map(presentItem));
    },
  );

  app.post(
    '/itineraries/:id/items/',
    {
      schema: {
        tags,
        security,
        summary: 'Add an item at the end of a day (owner, editor)',
        params: DayParams,
        headers: IdempotencyHeaders,
        body: CreateItemBody,
        response: { 201: Item, ...errorResponses(400, 401, 403, 404, 409, 422) },
      },
    },
    async (request, reply) => {
      const userId = currentUser(request).id;
      const dayId = request.params.id;
      const key = idempotencyKeyOf(request);
      const { id, ...rest } = request.body;
      if (key === null && id === undefined) {
        // Nothing to store for a replay and no id that could exist: the insert goes with COMMIT.
        const made = await inTransaction(ctx, (unit) =>
          createItemAtCommit(unit, { userId, dayId, input: rest }),
        );
        const view = presentItem(made());
        setEtag(reply, view.version);
        return reply.code(201).send(view);
      }
      const outcome = await runIdempotent(
        ctx,
        {
          userId,
          key,
          scope: `POST /itineraries/${dayId}/items/`,
          body: request.body,
        },
        async (unit) => {
          const { item, created } = await createItem(unit, { userId, dayId, input: request.body });
          return { status: 201, body: presentItem(item), created };
        },
      );
      if (outcome.replayed || !(outcome as { created?: boolean }).created)
        reply.header('idempotent-replayed', 'true');
      setEtag(reply, (outcome.body as ItemView).version);
      return reply.code(201).send(outcome.body as ItemView);
    },
  );

  app.post(
    '/itineraries/:id/items/reorder/',
    {
      schema: {
        tags,
        security,
        summary: "Reorder a day's items (owner, editor)",
        description: '`item_ids` must list every item of the day exactly once; `order` becomes the index.',
        params: DayParams,
        body: ReorderBody,
        response: { 200: ReorderResponse, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const userId = currentUser(request).id;
      const items = await inTransaction(ctx, (unit) =>
        reorderItems(unit, { userId, dayId: request.params.id, itemIds: request.body.item_ids }),
      );
      return { detail: 'Items reordered.', items: items.map(presentItem) };
    },
  );

  for (const url of ITEM_URLS) {
    app.get(
      url,
      {
        schema: {
          tags,
          security,
          summary: 'An itinerary item',
          params: ItemParams,
          response: { 200: Item, ...errorResponses(401, 404) },
        },
      },
      async (request, reply) => {
        const { item } = await authorizeItem(ctx.db, {
          itemId: request.params.item_id,
          userId: currentUser(request).id,
          action: 'itinerary.read',
        });
        setEtag(reply, item.version);
        return presentItem(item);
      },
    );

    for (const method of ['PUT', 'PATCH'] as const) {
      app.route({
        method,
        url,
        schema: {
          tags,
          security,
          summary: method === 'PUT' ? 'Replace an item (title required)' : 'Update some fields of an item',
          description:
            'Owner or editor. `itinerary` set to another day of the same trip moves the item to the end of that day.',
          params: ItemParams,
          headers: IfMatchHeaders,
          body: method === 'PUT' ? PutItemBody : PatchItemBody,
          response: { 200: Item, ...errorResponses(400, 401, 403, 404, 412) },
        },
        handler: async (request, reply) => {
          const { item_id: itemId } = request.params as { item_id: string };
          const item = await inTransaction(ctx, (unit) =>
            updateItem(unit, {
              userId: currentUser(request).id,
              itemId,
              changes: request.body as PatchItemBody,
              expectedVersion: expectedVersion(request),
              presentCurrent: async (current) => presentItem(current),
            }),
          );
          setEtag(reply, item.version);
          return presentItem(item);
        },
      });
    }

    app.delete(
      url,
      {
        schema: {
          tags,
          security,
          summary: 'Delete an item (owner, editor); the day keeps orders 0..n-1',
          params: ItemParams,
          headers: IfMatchHeaders,
          response: { 204: Type.Null(), ...errorResponses(401, 403, 404, 412) },
        },
      },
      async (request, reply) => {
        await inTransaction(ctx, (unit) =>
          deleteItem(unit, {
            userId: currentUser(request).id,
            itemId: request.params.item_id,
            expectedVersion: expectedVersion(request),
            presentCurrent: async (current) => presentItem(current),
          }),
        );
        return reply.code(204).send(null);
      },
    );
  }
};
