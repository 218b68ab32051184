import { Type, type Static } from '@sinclair/typebox';
import { DATE_INPUT, TIME_INPUT } from '../../http/dates.ts';
import { PageQuery } from '../../http/pagination.ts';

const Uuid = Type.String({ format: 'uuid' });
const Timestamp = Type.String({ format: 'date-time' });
const DateInput = Type.Unsafe<string>(DATE_INPUT);
const NullableTime = Type.Union([Type.Unsafe<string>(TIME_INPUT), Type.Null()]);
const ClientId = Type.String({
  format: 'uuid',
  description: 'Client-generated id (offline creates); a retry returns the original',
});
const TimeOut = Type.Union([Type.String({ description: 'HH:MM:SS' }), Type.Null()]);

/** An item of a day; `order` is its 0-based position in the day, with no gaps. */
export const Item = Type.Object(
  {
    id: Uuid,
    itinerary: Type.String({ format: 'uuid', description: 'Id of the day this item belongs to' }),
    trip: Uuid,
    title: Type.String(),
    description: Type.String(),
    start_time: TimeOut,
    end_time: TimeOut,
    location: Type.String(),
    order: Type.Integer({ minimum: 0, description: '0..n-1 within the day' }),
    version: Type.Integer(),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { title: 'ItineraryItem' },
);

/** One day of a trip with its items in order. */
export const Day = Type.Object(
  {
    id: Uuid,
    trip: Uuid,
    date: Type.String({ format: 'date' }),
    title: Type.String(),
    notes: Type.String(),
    items: Type.Array(Item),
    item_count: Type.Integer(),
    version: Type.Integer({ description: "The day's own fields; items carry their own versions" }),
    created_at: Timestamp,
    updated_at: Timestamp,
  },
  { title: 'Itinerary' },
);

export const DayParams = Type.Object({ id: Uuid });
export const ItemParams = Type.Object({ item_id: Uuid });

export const DayListQuery = Type.Composite([
  PageQuery,
  Type.Object({
    trip_id: Type.Optional(Type.String({ format: 'uuid', description: 'The trip (required, or `trip`)' })),
    trip: Type.Optional(Type.String({ format: 'uuid', description: 'Alias of trip_id' })),
    date: Type.Optional(DateInput),
  }),
]);
export type DayListQuery = Static<typeof DayListQuery>;

const dayFields = {
  date: DateInput,
  title: Type.String({ maxLength: 200 }),
  notes: Type.String({ maxLength: 10_000 }),
};

export const CreateDayBody = Type.Object({
  id: Type.Optional(ClientId),
  trip: Type.String({ format: 'uuid', description: 'The trip this day belongs to' }),
  date: Type.Unsafe<string>({ ...DATE_INPUT, description: "Inside the trip's dates when it has them" }),
  title: Type.Optional(dayFields.title),
  notes: Type.Optional(dayFields.notes),
});
export type CreateDayBody = Static<typeof CreateDayBody>;

// `trip` is accepted back (clients echo read-only fields) but a day never moves to another trip.
const tripEcho = Type.String({ format: 'uuid', description: 'Read-only; must be the current trip' });
export const PatchDayBody = Type.Partial(Type.Object({ ...dayFields, trip: tripEcho }));
export const PutDayBody = Type.Composite([
  Type.Object({ date: dayFields.date }),
  Type.Partial(Type.Object({ title: dayFields.title, notes: dayFields.notes, trip: tripEcho })),
]);
export type PatchDayBody = Static<typeof PatchDayBody>;

const itemFields = {
  title: Type.String({ minLength: 1, maxLength: 200 }),
  description: Type.String({ maxLength: 10_000 }),
  start_time: NullableTime,
  end_time: Type.Union([
    Type.Unsafe<string>({ ...TIME_INPUT, description: 'HH:MM or HH:MM:SS; ≥ start_time' }),
    Type.Null(),
  ]),
  location: Type.String({ maxLength: 300 }),
};

export const CreateItemBody = Type.Object({
  id: Type.Optional(ClientId),
  title: itemFields.title,
  description: Type.Optional(itemFields.description),
  start_time: Type.Optional(itemFields.start_time),
  end_time: Type.Optional(itemFields.end_time),
  location: Type.Optional(itemFields.location),
});
export type CreateItemBody = Static<typeof CreateItemBody>;

const moveTo = Type.String({
  format: 'uuid',
  description: 'Another day of the same trip: the item moves to the end of that day',
});
export const PatchItemBody = Type.Partial(Type.Object({ ...itemFields, itinerary: moveTo }));
export const PutItemBody = Type.Composite([
  Type.Object({ title: itemFields.title }),
  Type.Partial(Type.Object({ ...itemFields, itinerary: moveTo })),
]);
export type PatchItemBody = Static<typeof PatchItemBody>;

export const ReorderBody = Type.Object({
  // Plain strings, so a malformed id is reported as unknown under `item_ids`, like any other stranger.
  item_ids: Type.Array(Type.String({ maxLength: 64 }), {
    maxItems: 1000,
    description: "Exactly the day's item ids, each once, in the new order",
  }),
});
export type ReorderBody = Static<typeof ReorderBody>;

export const ReorderResponse = Type.Object({ detail: Type.String(), items: Type.Array(Item) });

export const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({ maxLength: 255, description: 'Retries with the same key return the first result' }),
  ),
});
export const IfMatchHeaders = Type.Object({
  'if-match': Type.Optional(Type.String({ description: 'ETag from a previous GET; 412 if stale' })),
});
