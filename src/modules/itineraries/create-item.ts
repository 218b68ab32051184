import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { prepared } from '../../db/prepared.ts';
import { itineraryItems, type ItineraryItemRow, type ItineraryRow } from '../../db/schema/index.ts';
import type { Statement } from '../../db/transaction.ts';
import { conflict } from '../../http/errors.ts';
import type { Unit } from '../changes/unit-of-work.ts';
import { authorizeDay } from './access.ts';
import { creatorOf, findItem } from './queries.ts';
import { itemTimes, itemTitle } from './rules.ts';
import type { CreateItemBody } from './schemas.ts';

type CreateProps = { userId: string; dayId: string; input: CreateItemBody };

const CREATED_FIELDS = ['itinerary', 'title', 'description', 'start_time', 'end_time', 'location', 'order'];

/** Authorizes (owner, editor) and locks the day, and normalizes the item's values. */
async function beginCreate(unit: Unit, props: CreateProps) {
  const { input } = props;
  const { day } = await authorizeDay(unit.tx, {
    dayId: props.dayId,
    userId: props.userId,
    action: 'itinerary.write',
    lockTrip: 'key share',
    lockDay: true,
  });
  const { startTime, endTime } = itemTimes(input);
  const values = {
    title: itemTitle(input.title),
    description: input.description ?? '',
    startTime,
    endTime,
    location: input.location ?? '',
  };
  return { day, values };
}

const recordCreated = (unit: Unit, item: { id: string; tripId: string }, userId: string) =>
  unit.record({
    tripId: item.tripId,
    entity: 'item',
    entityId: item.id,
    op: 'insert',
    version: 1,
    actorId: userId,
    fields: CREATED_FIELDS,
  });

/**
 * Appends an item to a day (owner, editor). Its order is the day's item count, read under the
 * day's row lock, so concurrent creates queue up and never share an order. A client-supplied id
 * that already names this user's item in this trip returns it (`created: false`).
 */
export async function createItem(
  unit: Unit,
  props: CreateProps,
): Promise<{ item: ItineraryItemRow; created: boolean }> {
  const { input, userId } = props;
  const { day, values } = await beginCreate(unit, props);
  // The position is counted by the insert itself: a statement after the lock, so it sees every
  // item committed before the lock was granted (one round trip fewer than counting first).
  // Prepared (built once per process): the id is made here when the client sent none, a random
  // uuid as the column's default would be, so the statement text never varies.
  const [item] = await prepared(unit.tx, 'create_item', (db) =>
    db
      .insert(itineraryItems)
      .values({
        id: sql.placeholder('id'),
        itineraryId: sql.placeholder('dayId'),
        tripId: sql.placeholder('tripId'),
        title: sql.placeholder('title'),
        description: sql.placeholder('description'),
        startTime: sql.placeholder('startTime'),
        endTime: sql.placeholder('endTime'),
        location: sql.placeholder('location'),
        position: sql<number>`(select count(*)::integer from ${itineraryItems} where ${itineraryItems.itineraryId} = ${sql.placeholder('dayId')})`,
      })
      .onConflictDoNothing({ target: itineraryItems.id })
      .returning(),
  ).execute({ id: input.id ?? randomUUID(), dayId: day.id, tripId: day.tripId, ...values });
  if (!item) {
    const existing = await findItem(unit.tx, input.id!);
    if (
      existing &&
      existing.tripId === day.tripId &&
      (await creatorOf(unit.tx, 'item', existing.id)) === userId
    )
      return { item: existing, created: false };
    throw conflict('An object with this id already exists.', { id: ['This id is already in use.'] });
  }
  await recordCreated(unit, item, userId);
  return { item, created: true };
}

/**
 * createItem for a request with no client id (a fresh random one cannot already exist) whose
 * answer nothing stores before commit (no Idempotency-Key): the insert goes out with COMMIT
 * (`unit.atCommit`), one round trip fewer, and the item is read from its RETURNING row. Call the
 * function it resolves to once the unit has committed. The day is locked and the values checked
 * here, so the insert meets no conflict; if it failed anyway, nothing would commit.
 */
export async function createItemAtCommit(
  unit: Unit,
  props: CreateProps & { input: { id?: undefined } },
): Promise<() => ItineraryItemRow> {
  const { day, values } = await beginCreate(unit, props);
  const id = randomUUID();
  const inserted = unit.atCommit(insertStatement(id, day, values));
  await recordCreated(unit, { id, tripId: day.tripId }, props.userId);
  return () => {
    const row = inserted.rows[0] as {
      position: number;
      start_time: string | null;
      end_time: string | null;
      created_at: Date | string;
      updated_at: Date | string;
    };
    return {
      id,
      itineraryId: day.id,
      tripId: day.tripId,
      title: values.title,
      description: values.description,
      location: values.location,
      // As the database stores them (a time comes back with its seconds).
      startTime: row.start_time,
      endTime: row.end_time,
      position: row.position,
      version: 1,
      // A Date as the drivers parse a timestamptz (new Date also takes the text of one).
      createdAt: new Date(row.created_at),
      updatedAt: new Date(row.updated_at),
    };
  };
}

function insertStatement(
  id: string,
  day: ItineraryRow,
  v: {
    title: string;
    description: string;
    startTime: string | null;
    endTime: string | null;
    location: string;
  },
): Statement {
  return {
    name: 'create_item_at_commit',
    text:
      'insert into itinerary_items (id, itinerary_id, trip_id, title, description, start_time, end_time, location, position, version) ' +
      'values ($1::uuid, $2::uuid, $3::uuid, $4, $5, $6::time, $7::time, $8, ' +
      // Counted at commit, still under the day's lock: every item committed before it was granted.
      '(select count(*)::integer from itinerary_items where itinerary_id = $2::uuid), 1) ' +
      'returning position, start_time, end_time, created_at, updated_at',
    values: [id, day.id, day.tripId, v.title, v.description, v.startTime, v.endTime, v.location],
  };
}
