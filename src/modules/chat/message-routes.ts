import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyReply } from 'fastify';
import { currentUser } from '../../http/authenticate.ts';
import { errorResponses } from '../../http/envelope.ts';
import { expectedVersion, setEtag } from '../../http/etag.ts';
import { inTransaction } from '../changes/unit-of-work.ts';
import { idempotencyKeyOf, runIdempotent } from '../idempotency/idempotent.ts';
import { TripParams } from '../trips/schemas.ts';
import { deleteMessage } from './delete-message.ts';
import { editMessage } from './edit-message.ts';
import { authorizeMessage, authorizeRoom } from './message-access.ts';
import { postMessage } from './post-message.ts';
import { presentMessages } from './queries.ts';
import {
  AliasPostMessageBody,
  EditMessageBody,
  IdParams,
  Message,
  PostMessageBody,
  type MessageView,
} from './schemas.ts';

const tags = ['chat'];
const security = [{ bearerAuth: [] }];
const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({ maxLength: 255, description: 'Retries with the same key return the first result' }),
  ),
});
const IfMatchHeaders = Type.Object({
  'if-match': Type.Optional(Type.String({ description: 'ETag of the message; 412 if stale' })),
});
const POSTING =
  'Any member (viewers too, as the trip policy allows `chat.post`). Same rules as the socket’s ' +
  '`chat_message`: content 1–10000 characters after trimming, `reply_to` a message of the same room, ' +
  'no `system` messages. The message reaches every open socket of the trip. A retry with the same ' +
  '`id`, `client_id` or Idempotency-Key returns the stored message (header `Idempotent-Replayed`).';

const present = async (
  db: Parameters<typeof presentMessages>[0],
  row: Parameters<typeof presentMessages>[1][number],
) => (await presentMessages(db, [row]))[0]!;

/** Posting, reading, editing and deleting single messages. */
export const messageRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { ctx } = app;

  const post = async (
    reply: FastifyReply,
    props: { userId: string; tripId: string; input: PostMessageBody; key: string | null; scope: string },
  ) => {
    const outcome = await runIdempotent(
      ctx,
      { userId: props.userId, key: props.key, scope: props.scope, body: props.input },
      async (unit) => {
        const posted = await postMessage(unit, props);
        const body = posted.created ? posted.view : await present(unit.tx, posted.message);
        return { status: 201, body, created: posted.created };
      },
    );
    if (outcome.replayed || !(outcome as { created?: boolean }).created)
      reply.header('idempotent-replayed', 'true');
    setEtag(reply, outcome.body.version);
    return reply.code(201).send(outcome.body);
  };

  app.post(
    '/trips/:id/messages/',
    {
      schema: {
        tags,
        security,
        summary: 'Post a chat message to a trip',
        description: POSTING,
        params: TripParams,
        headers: IdempotencyHeaders,
        body: PostMessageBody,
        response: { 201: Message, ...errorResponses(400, 401, 403, 404, 409, 422) },
      },
    },
    async (request, reply) =>
      post(reply, {
        userId: currentUser(request).id,
        tripId: request.params.id,
        input: request.body,
        key: idempotencyKeyOf(request),
        scope: `POST /trips/${request.params.id}/messages/`,
      }),
  );

  app.post(
    '/chat/messages/',
    {
      schema: {
        tags,
        security,
        summary: 'Post a chat message to a room (alias naming `chat_room`)',
        description: POSTING,
        headers: IdempotencyHeaders,
        body: AliasPostMessageBody,
        response: { 201: Message, ...errorResponses(400, 401, 403, 404, 409, 422) },
      },
    },
    async (request, reply) => {
      const userId = currentUser(request).id;
      const { chat_room: roomId, ...input } = request.body;
      const { room } = await authorizeRoom(ctx.db, { roomId, userId, action: 'chat.read' });
      return post(reply, {
        userId,
        tripId: room.tripId,
        input,
        key: idempotencyKeyOf(request),
        scope: `POST /trips/${room.tripId}/messages/`,
      });
    },
  );

  app.get(
    '/chat/messages/:id/',
    {
      schema: {
        tags,
        security,
        summary: 'A chat message',
        params: IdParams,
        response: { 200: Message, ...errorResponses(401, 404) },
      },
    },
    async (request, reply) => {
      const { message } = await authorizeMessage(ctx.db, {
        messageId: request.params.id,
        userId: currentUser(request).id,
        action: 'chat.read',
      });
      setEtag(reply, message.version);
      return present(ctx.db, message);
    },
  );

  app.patch(
    '/chat/messages/:id/',
    {
      schema: {
        tags,
        security,
        summary: 'Edit your own message',
        description: 'The sender only. Saving the same content is not an edit (is_edited stays false).',
        params: IdParams,
        headers: IfMatchHeaders,
        body: EditMessageBody,
        response: { 200: Message, ...errorResponses(400, 401, 403, 404, 412) },
      },
    },
    async (request, reply) => {
      const userId = currentUser(request).id;
      const view: MessageView = await inTransaction(ctx, async (unit) => {
        const { message } = await editMessage(unit, {
          userId,
          messageId: request.params.id,
          content: request.body.content,
          expectedVersion: expectedVersion(request),
          presentCurrent: (current) => present(unit.tx, current),
        });
        return present(unit.tx, message);
      });
      setEtag(reply, view.version);
      return view;
    },
  );

  app.delete(
    '/chat/messages/:id/',
    {
      schema: {
        tags,
        security,
        summary: 'Delete a message (its sender, or the trip owner)',
        description: 'The message stays in history as a tombstone (is_deleted, empty content).',
        params: IdParams,
        headers: IfMatchHeaders,
        response: { 204: Type.Null(), ...errorResponses(401, 403, 404, 412) },
      },
    },
    async (request, reply) => {
      const userId = currentUser(request).id;
      await inTransaction(ctx, (unit) =>
        deleteMessage(unit, {
          userId,
          messageId: request.params.id,
          expectedVersion: expectedVersion(request),
          presentCurrent: (current) => present(unit.tx, current),
        }),
      );
      return reply.code(204).send(null);
    },
  );
};
