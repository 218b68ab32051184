import { Type, type Static } from '@sinclair/typebox';
import { MESSAGE_TYPES } from '../../db/schema/index.ts';
import { PageQuery } from '../../http/pagination.ts';
import { StringEnum } from '../../http/string-enum.ts';

const Uuid = Type.String({ format: 'uuid' });
const Timestamp = Type.String({ format: 'date-time' });
export const MAX_CONTENT_CHARS = 10_000;

export const MessageSender = Type.Object({
  id: Uuid,
  email: Type.String(),
  username: Type.String(),
  full_name: Type.String(),
});

export const Message = Type.Object(
  {
    id: Uuid,
    chat_room: Uuid,
    chat_room_id: Uuid,
    trip_id: Uuid,
    sender: Type.Union([MessageSender, Type.Null()], { description: 'Null for system messages' }),
    content: Type.String({ description: 'Empty once the message is deleted' }),
    message_type: StringEnum(MESSAGE_TYPES),
    reply_to: Type.Union([
      Type.Object({
        id: Uuid,
        content: Type.String({ description: 'The first 100 characters' }),
        sender_email: Type.Union([Type.String(), Type.Null()]),
      }),
      Type.Null(),
    ]),
    is_edited: Type.Boolean({ description: 'True only once the content actually changed' }),
    is_deleted: Type.Boolean(),
    client_id: Type.Union([Type.String(), Type.Null()]),
    version: Type.Integer(),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { title: 'Message' },
);
export type MessageView = Static<typeof Message>;

const CONTENT = `1–${MAX_CONTENT_CHARS} characters after trimming`;

/** What a client sends to post: the same fields over REST and the socket's `chat_message`. */
export const PostMessageBody = Type.Object({
  id: Type.Optional(Type.String({ format: 'uuid', description: 'Client-generated id (offline creates)' })),
  content: Type.String({ description: CONTENT }),
  message_type: Type.Optional(
    StringEnum(MESSAGE_TYPES, { description: 'text (default) or file; only the server writes system' }),
  ),
  reply_to: Type.Optional(Type.Union([Type.String({ format: 'uuid' }), Type.Null()])),
  client_id: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 100,
      description: 'The sender’s own id, echoed back; a retried post with the same one is not duplicated',
    }),
  ),
});
export type PostMessageBody = Static<typeof PostMessageBody>;

export const AliasPostMessageBody = Type.Composite([
  Type.Object({ chat_room: Type.String({ format: 'uuid', description: 'The room (one per trip)' }) }),
  PostMessageBody,
]);
export type AliasPostMessageBody = Static<typeof AliasPostMessageBody>;

export const EditMessageBody = Type.Object({ content: Type.String({ description: CONTENT }) });

export const MessageListQuery = Type.Object({
  before: Type.Optional(Type.String({ format: 'uuid', description: 'Messages older than this one' })),
  after: Type.Optional(Type.String({ format: 'uuid', description: 'Messages newer than this one' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 50 })),
});
export type MessageListQuery = Static<typeof MessageListQuery>;

export const MessagePage = Type.Object({
  results: Type.Array(Message, { description: 'Newest first' }),
  has_more: Type.Boolean({ description: 'More messages exist in the direction paged' }),
  next: Type.Union([Type.String({ format: 'uri' }), Type.Null()], { description: 'Older messages' }),
  previous: Type.Union([Type.String({ format: 'uri' }), Type.Null()], { description: 'Newer messages' }),
});

export const Room = Type.Object({
  id: Uuid,
  trip: Uuid,
  trip_title: Type.String(),
  message_count: Type.Integer({ description: 'Messages not deleted' }),
  last_message: Type.Union([Message, Type.Null()]),
  created_at: Timestamp,
});

export const RoomListQuery = PageQuery;
export const IdParams = Type.Object({ id: Uuid });
