import { Type, type Static } from '@sinclair/typebox';
import { ErrorEnvelope } from '../../http/envelope.ts';
import { StringEnum } from '../../http/string-enum.ts';
import { SYNC_ENTITIES } from './present.ts';

const Uuid = Type.String({ format: 'uuid' });
const ObjectEntity = StringEnum(SYNC_ENTITIES);
const AnyObject = Type.Unknown({
  description:
    'The object as the REST API presents it (Trip, Collaborator, ItineraryItem, Poll); an itinerary ' +
    'day comes without `items` and `item_count` (items are their own entity). Null for tombstones.',
});

export const FeedQuery = Type.Object({
  cursor: Type.Optional(
    Type.String({
      maxLength: 600_000,
      description: 'The `cursor` of the previous page, as received; none for a full snapshot',
    }),
  ),
  limit: Type.Optional(
    Type.Integer({
      minimum: 1,
      maximum: 1000,
      default: 100,
      description: 'Changes (or snapshot objects) consumed per page; parents re-sent with them may add a few',
    }),
  ),
});
export type FeedQuery = Static<typeof FeedQuery>;

export const FeedEntry = Type.Object({
  entity: ObjectEntity,
  op: StringEnum(['upsert', 'delete'] as const, {
    description: 'upsert: store `object` under (entity, id); delete: drop it (a trip: with all it holds)',
  }),
  id: Uuid,
  trip: Type.String({ format: 'uuid', description: 'The trip the object belongs to' }),
  version: Type.Union([Type.Integer(), Type.Null()]),
  object: AnyObject,
});

export const FeedPage = Type.Object({
  changes: Type.Array(FeedEntry),
  cursor: Type.String({ description: 'Opaque; send it back as `cursor` for the next page' }),
  has_more: Type.Boolean({ description: 'True while more is ready now: keep pulling until false' }),
});

export const MUTATION_ENTITIES = ['trip', 'itinerary', 'item', 'poll', 'vote'] as const;

export const Mutation = Type.Object({
  mutation_id: Type.String({
    minLength: 1,
    maxLength: 200,
    description: 'Unique per client; a replay returns the first result and changes nothing',
  }),
  entity: StringEnum(MUTATION_ENTITIES),
  op: StringEnum(['create', 'update', 'delete'] as const),
  id: Type.String({
    format: 'uuid',
    description: 'The object (client-generated for creates); for a vote, the poll',
  }),
  base_version: Type.Optional(
    Type.Union([Type.Integer({ minimum: 1 }), Type.Null()], {
      description: 'The version the client edited (required for updates)',
    }),
  ),
  // A Record (patternProperties) keeps its keys through the body validator; each entity's own
  // schema then checks them as the REST endpoint would.
  fields: Type.Optional(
    Type.Record(Type.String(), Type.Unknown(), {
      description: 'The REST body: create → the create body, update → the PATCH body, vote → {option_id}',
    }),
  ),
});
export type Mutation = Static<typeof Mutation>;

export const PushBody = Type.Object({
  client_id: Type.String({
    minLength: 1,
    maxLength: 200,
    description: 'Stable id of the device/installation',
  }),
  mutations: Type.Array(Mutation, {
    maxItems: 500,
    description: 'Applied in order, each in its own transaction',
  }),
  cursor: Type.Optional(
    Type.String({
      maxLength: 600_000,
      description: 'Your latest feed cursor (optional): checked like a pull cursor and returned as sent',
    }),
  ),
});
export type PushBody = Static<typeof PushBody>;

export const MutationResult = Type.Object({
  mutation_id: Type.String(),
  entity: StringEnum(MUTATION_ENTITIES),
  op: StringEnum(['create', 'update', 'delete'] as const),
  id: Uuid,
  status: StringEnum(['applied', 'conflict', 'rejected'] as const),
  replayed: Type.Boolean({ description: 'This mutation id was seen before: its first result' }),
  object_entity: ObjectEntity,
  version: Type.Union([Type.Integer(), Type.Null()], {
    description: "applied: the new version (null after a delete); conflict: the server's version",
  }),
  object: AnyObject,
  conflict: Type.Union([
    Type.Object({
      reason: StringEnum(['edited', 'deleted'] as const),
      fields: Type.Array(Type.String(), { description: 'The fields both sides changed' }),
    }),
    Type.Null(),
  ]),
  error: Type.Union([Type.Ref(ErrorEnvelope), Type.Null()], {
    description: 'rejected: the error the REST endpoint would have answered',
  }),
});
export type MutationResult = Static<typeof MutationResult>;

export const PushResponse = Type.Object({
  results: Type.Array(MutationResult),
  cursor: Type.Optional(
    Type.String({ description: 'The cursor sent, unchanged: trips created here reach the next pull anyway' }),
  ),
});
