import { Type, type TObject } from '@sinclair/typebox';
import type { ValidateFunction } from 'ajv';
import type { Tx } from '../../db/index.ts';
import { validationError } from '../../http/errors.ts';
import { compileBodyValidator, detailsFromAjv } from '../../http/validation.ts';
import type { Unit } from '../changes/unit-of-work.ts';
import { authorizeDay, authorizeItem } from '../itineraries/access.ts';
import { createDay } from '../itineraries/create-day.ts';
import { createItem } from '../itineraries/create-item.ts';
import { deleteDay } from '../itineraries/delete-day.ts';
import { deleteItem } from '../itineraries/delete-item.ts';
import { CreateDayBody, CreateItemBody, PatchDayBody, PatchItemBody } from '../itineraries/schemas.ts';
import { updateDay } from '../itineraries/update-day.ts';
import { updateItem } from '../itineraries/update-item.ts';
import { createPoll } from '../polls/create-poll.ts';
import { deletePoll } from '../polls/delete-poll.ts';
import { authorizePoll } from '../polls/poll-access.ts';
import { CreatePollBody, PatchPollBody } from '../polls/schemas.ts';
import { updatePoll } from '../polls/update-poll.ts';
import { authorizeTrip } from '../trips/access.ts';
import { createTrip } from '../trips/create-trip.ts';
import { deleteTrip } from '../trips/delete-trip.ts';
import { CreateTripBody, PatchTripBody } from '../trips/schemas.ts';
import { updateTrip } from '../trips/update-trip.ts';

type Fields = Record<string, unknown>;
interface Row {
  id: string;
  version: number;
}

/**
 * How sync reaches one kind of object: the REST body schemas and the modules' own use cases, so
 * every rule, permission and change-log entry is the one the REST endpoint applies.
 */
export interface EntitySpec {
  create: Checked;
  update: Checked;
  /** Creates with the client's id; a retry of the caller's own create returns the existing row. */
  insert(unit: Unit, userId: string, id: string, fields: Fields): Promise<Row>;
  /** The row, if the caller may edit it: the REST update's 404/403 otherwise. */
  editable(tx: Tx, userId: string, id: string): Promise<Row>;
  /** The REST update; `expectedVersion` makes it refuse (412) if the row moved since it was read. */
  change(unit: Unit, userId: string, id: string, fields: Fields, expectedVersion: number): Promise<Row>;
  remove(unit: Unit, userId: string, id: string): Promise<void>;
}

/** A body validator and the fields its schema declares (anything else a client sends is ignored). */
export interface Checked {
  check(fields: Fields): Fields;
}

/** Validates like the REST body (same schema, same error details), keeping only declared fields. */
export function checked(schema: TObject): Checked {
  const validate: ValidateFunction = compileBodyValidator(schema);
  const declared = new Set(Object.keys(schema.properties));
  return {
    check(fields) {
      const copy = structuredClone(fields);
      if (!validate(copy)) throw validationError(detailsFromAjv(validate.errors ?? []));
      return Object.fromEntries(Object.entries(copy).filter(([key]) => declared.has(key)));
    },
  };
}

const noCurrent = async () => null;

const trip: EntitySpec = {
  create: checked(CreateTripBody),
  update: checked(PatchTripBody),
  insert: async (unit, userId, id, fields) =>
    (await createTrip(unit, { userId, input: { ...(fields as CreateTripBody), id } })).trip,
  editable: async (tx, userId, id) =>
    (await authorizeTrip(tx, { tripId: id, userId, action: 'trip.update' })).trip,
  change: (unit, userId, id, fields, expectedVersion) =>
    updateTrip(unit, { userId, tripId: id, changes: fields, expectedVersion, presentCurrent: noCurrent }),
  remove: (unit, userId, id) =>
    deleteTrip(unit, { userId, tripId: id, expectedVersion: null, presentCurrent: noCurrent }),
};

const itinerary: EntitySpec = {
  create: checked(CreateDayBody),
  update: checked(PatchDayBody),
  insert: async (unit, userId, id, fields) =>
    (await createDay(unit, { userId, input: { ...(fields as CreateDayBody), id } })).day,
  editable: async (tx, userId, id) =>
    (await authorizeDay(tx, { dayId: id, userId, action: 'itinerary.write' })).day,
  change: (unit, userId, id, fields, expectedVersion) =>
    updateDay(unit, { userId, dayId: id, changes: fields, expectedVersion, presentCurrent: noCurrent }),
  remove: (unit, userId, id) =>
    deleteDay(unit, { userId, dayId: id, expectedVersion: null, presentCurrent: noCurrent }),
};

// REST names the day in the path (POST itineraries/{id}/items/); a sync create names it in the fields.
const CreateItemFields = Type.Composite([
  CreateItemBody,
  Type.Object({ itinerary: Type.String({ format: 'uuid', description: 'The day' }) }),
]);

const item: EntitySpec = {
  create: checked(CreateItemFields),
  update: checked(PatchItemBody),
  insert: async (unit, userId, id, fields) => {
    const { itinerary: dayId, ...input } = fields as CreateItemBody & { itinerary: string };
    return (await createItem(unit, { userId, dayId, input: { ...input, id } })).item;
  },
  editable: async (tx, userId, id) =>
    (await authorizeItem(tx, { itemId: id, userId, action: 'itinerary.write' })).item,
  change: (unit, userId, id, fields, expectedVersion) =>
    updateItem(unit, { userId, itemId: id, changes: fields, expectedVersion, presentCurrent: noCurrent }),
  remove: (unit, userId, id) =>
    deleteItem(unit, { userId, itemId: id, expectedVersion: null, presentCurrent: noCurrent }),
};

const poll: EntitySpec = {
  create: checked(CreatePollBody),
  update: checked(PatchPollBody),
  insert: async (unit, userId, id, fields) =>
    (await createPoll(unit, { userId, input: { ...(fields as CreatePollBody), id } })).poll,
  editable: async (tx, userId, id) =>
    (await authorizePoll(tx, { pollId: id, userId, action: 'poll.read', manage: true })).poll,
  change: (unit, userId, id, fields, expectedVersion) =>
    updatePoll(unit, { userId, pollId: id, changes: fields, expectedVersion, presentCurrent: noCurrent }),
  remove: (unit, userId, id) =>
    deletePoll(unit, { userId, pollId: id, expectedVersion: null, presentCurrent: noCurrent }),
};

/** The objects a client may create, edit and delete offline (votes are handled apart). */
export const ENTITY_SPECS = { trip, itinerary, item, poll } as const;
export type EditableEntity = keyof typeof ENTITY_SPECS;
