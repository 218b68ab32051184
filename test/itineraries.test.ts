import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { and, asc, eq, inArray } from 'drizzle-orm';
import { changes, itineraries, itineraryItems, tripMembers, type Role } from '../src/db/schema/index.ts';
import { buildTestApp, call } from './helpers/app.ts';
import { countQueries, testDatabase } from './helpers/database.ts';
import { createUser, type TestUser } from './helpers/factories.ts';
import { assertEnvelope, assertFieldError } from './helpers/assertions.ts';

const { app } = await buildTestApp();
const { db } = await testDatabase();

const API = '/api/v1';
const DAYS = `${API}/itineraries/`;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

// ---- helpers ------------------------------------------------------------------------------------

async function newTrip(owner: TestUser, body: Record<string, unknown> = {}) {
  const response = await call(app, 'POST', `${API}/trips/`, {
    token: owner.access,
    body: { title: 'Lisbon', start_date: '2030-06-01', end_date: '2030-06-10', ...body },
  });
  assert.equal(response.status, 201, response.text);
  return response.body as { id: string; start_date: string | null; end_date: string | null };
}

/** Adds a member straight in the table (the collaborator endpoints are another module's). */
async function addMember(tripId: string, user: TestUser, role: Role) {
  await db.insert(tripMembers).values({ tripId, userId: user.id, role });
}

async function dayOk(user: TestUser, tripId: string, date: string, extra: Record<string, unknown> = {}) {
  const response = await call(app, 'POST', DAYS, {
    token: user.access,
    body: { trip: tripId, date, ...extra },
  });
  assert.equal(response.status, 201, response.text);
  return response.body;
}

async function itemOk(user: TestUser, dayId: string, body: Record<string, unknown> = {}) {
  const response = await call(app, 'POST', `${DAYS}${dayId}/items/`, {
    token: user.access,
    body: { title: 'Visit', ...body },
  });
  assert.equal(response.status, 201, response.text);
  return response.body;
}

/** An owner with a dated trip: the usual starting point. */
async function ownerWithTrip() {
  const owner = await createUser(app);
  const trip = await newTrip(owner);
  return { owner, trip };
}

const dayRows = (tripId: string) =>
  db.select().from(itineraries).where(eq(itineraries.tripId, tripId)).orderBy(asc(itineraries.date));

const itemRows = (dayId: string) =>
  db
    .select()
    .from(itineraryItems)
    .where(eq(itineraryItems.itineraryId, dayId))
    .orderBy(asc(itineraryItems.position));

const changesOf = (entityId: string) =>
  db.select().from(changes).where(eq(changes.entityId, entityId)).orderBy(asc(changes.seq));

/** The day's items in order, as (title, order) pairs read from the database. */
async function orderOf(dayId: string) {
  return (await itemRows(dayId)).map((r) => [r.title, r.position]);
}

function assertGapFree(rows: { position: number }[]) {
  assert.deepEqual(
    rows.map((r) => r.position).sort((a, b) => a - b),
    rows.map((_, i) => i),
  );
}

// ---- days ---------------------------------------------------------------------------------------

describe('POST itineraries/', () => {
  it('creates a day: 201 with the full object, an ETag and an insert change', async () => {
    const { owner, trip } = await ownerWithTrip();
    const response = await call(app, 'POST', DAYS, {
      token: owner.access,
      body: { trip: trip.id, date: '2030-06-02', title: '  Arrival ', notes: 'Check in at 3' },
    });
    assert.equal(response.status, 201, response.text);
    const day = response.body;
    assert.match(day.id, UUID);
    assert.deepEqual(
      { ...day, id: undefined, created_at: undefined, updated_at: undefined },
      {
        id: undefined,
        trip: trip.id,
        date: '2030-06-02',
        title: 'Arrival',
        notes: 'Check in at 3',
        items: [],
        item_count: 0,
        version: 1,
        created_at: undefined,
        updated_at: undefined,
      },
    );
    assert.match(day.created_at, ISO);
    assert.match(day.updated_at, ISO);
    assert.equal(response.headers.etag, '"1"');
    const [change] = await changesOf(day.id);
    assert.ok(change);
    assert.equal(change.tripId, trip.id);
    assert.equal(change.entity, 'itinerary');
    assert.equal(change.op, 'insert');
    assert.equal(change.version, 1);
    assert.equal(change.actorId, owner.id);
  });

  it('accepts a full ISO datetime for the date (its date part) and defaults title and notes', async () => {
    const { owner, trip } = await ownerWithTrip();
    const day = await dayOk(owner, trip.id, '2030-06-03T10:00:00Z');
    assert.equal(day.date, '2030-06-03');
    assert.equal(day.title, '');
    assert.equal(day.notes, '');
  });

  it('refuses missing or invalid fields with field errors and writes nothing', async () => {
    const { owner, trip } = await ownerWithTrip();
    const post = (body: unknown) => call(app, 'POST', DAYS, { token: owner.access, body });
    assertFieldError(await post({ date: '2030-06-02' }), 'trip');
    assertFieldError(await post({ trip: trip.id }), 'date');
    assertFieldError(await post({ trip: 'not-a-uuid', date: '2030-06-02' }), 'trip');
    assertFieldError(await post({ trip: trip.id, date: '2030-02-30' }), 'date');
    assertFieldError(await post({ trip: trip.id, date: 'tomorrow' }), 'date');
    assertFieldError(await post({ trip: trip.id, date: '2030-06-02', title: 'x'.repeat(201) }), 'title');
    assertFieldError(await post({ trip: trip.id, date: '2030-06-02', notes: 5 }), 'notes');
    assert.equal((await dayRows(trip.id)).length, 0);
  });

  it("refuses a date outside the trip's dates, on either side", async () => {
    const { owner, trip } = await ownerWithTrip();
    const before = await call(app, 'POST', DAYS, {
      token: owner.access,
      body: { trip: trip.id, date: '2030-05-31' },
    });
    assert.match(assertFieldError(before, 'date')[0]!, /2030-06-01/);
    const after = await call(app, 'POST', DAYS, {
      token: owner.access,
      body: { trip: trip.id, date: '2030-06-11' },
    });
    assert.match(assertFieldError(after, 'date')[0]!, /2030-06-10/);
    // The first and last days of the trip are inside.
    await dayOk(owner, trip.id, '2030-06-01');
    await dayOk(owner, trip.id, '2030-06-10');
    assert.equal((await dayRows(trip.id)).length, 2);
  });

  it('takes any date when the trip has none, and checks only the bound that is set', async () => {
    const owner = await createUser(app);
    const open = await newTrip(owner, { start_date: null, end_date: null });
    await dayOk(owner, open.id, '1999-01-01');
    await dayOk(owner, open.id, '2099-12-31');
    const startOnly = await newTrip(owner, { start_date: '2030-01-10', end_date: null });
    await dayOk(owner, startOnly.id, '2031-05-05');
    const early = await call(app, 'POST', DAYS, {
      token: owner.access,
      body: { trip: startOnly.id, date: '2030-01-09' },
    });
    assertFieldError(early, 'date');
  });

  it('refuses a second day on the same date: 400 on date and still one row', async () => {
    const { owner, trip } = await ownerWithTrip();
    await dayOk(owner, trip.id, '2030-06-04');
    const again = await call(app, 'POST', DAYS, {
      token: owner.access,
      body: { trip: trip.id, date: '2030-06-04', title: 'Again' },
    });
    assert.match(assertFieldError(again, 'date')[0]!, /already/);
    assert.equal((await dayRows(trip.id)).length, 1);
  });

  it('turns a concurrent duplicate into 400s, never a 500, with one row written', async () => {
    const { owner, trip } = await ownerWithTrip();
    const responses = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        call(app, 'POST', DAYS, {
          token: owner.access,
          body: { trip: trip.id, date: '2030-06-05', title: `t${i}` },
        }),
      ),
    );
    const statuses = responses.map((r) => r.status).sort();
    assert.deepEqual(statuses, [201, 400, 400, 400, 400, 400], responses.map((r) => r.text).join('\n'));
    for (const r of responses.filter((r) => r.status === 400)) assertFieldError(r, 'date');
    assert.equal((await dayRows(trip.id)).length, 1);
    const winner = responses.find((r) => r.status === 201)!.body;
    assert.equal((await changesOf(winner.id)).length, 1);
  });

  it('a retried create with the same client id returns the first result and writes one row', async () => {
    const { owner, trip } = await ownerWithTrip();
    const id = randomUUID();
    const first = await call(app, 'POST', DAYS, {
      token: owner.access,
      body: { id, trip: trip.id, date: '2030-06-06', title: 'Offline' },
    });
    assert.equal(first.status, 201, first.text);
    assert.equal(first.body.id, id);
    const retry = await call(app, 'POST', DAYS, {
      token: owner.access,
      body: { id, trip: trip.id, date: '2030-06-06', title: 'Offline' },
    });
    assert.equal(retry.status, 201, retry.text);
    assert.deepEqual(retry.body, first.body);
    assert.equal(retry.headers['idempotent-replayed'], 'true');
    assert.equal((await dayRows(trip.id)).length, 1);
    assert.equal((await changesOf(id)).length, 1);
  });

  it("a client id that names someone else's day is a 409, not their object", async () => {
    const { owner, trip } = await ownerWithTrip();
    const id = randomUUID();
    await dayOk(owner, trip.id, '2030-06-06', { id });
    const other = await ownerWithTrip();
    const clash = await call(app, 'POST', DAYS, {
      token: other.owner.access,
      body: { id, trip: other.trip.id, date: '2030-06-06' },
    });
    assertEnvelope(clash, 409, 'conflict');
    assert.equal((await dayRows(other.trip.id)).length, 0);
  });

  it('a retried create with the same Idempotency-Key replays the first result and writes one row', async () => {
    const { owner, trip } = await ownerWithTrip();
    const headers = { 'idempotency-key': `day-${randomUUID()}` };
    const body = { trip: trip.id, date: '2030-06-07', title: 'Keyed' };
    const first = await call(app, 'POST', DAYS, { token: owner.access, body, headers });
    assert.equal(first.status, 201, first.text);
    const retry = await call(app, 'POST', DAYS, { token: owner.access, body, headers });
    assert.equal(retry.status, 201, retry.text);
    assert.deepEqual(retry.body, first.body);
    assert.equal(retry.headers['idempotent-replayed'], 'true');
    assert.equal((await dayRows(trip.id)).length, 1);
    // The same key for a different body is refused rather than replayed.
    const reused = await call(app, 'POST', DAYS, {
      token: owner.access,
      body: { ...body, date: '2030-06-08' },
      headers,
    });
    assertEnvelope(reused, 422, 'idempotency_key_reused');
    assert.equal((await dayRows(trip.id)).length, 1);
  });
});

describe('GET itineraries/ (list)', () => {
  it('requires trip_id (or its alias trip)', async () => {
    const { owner } = await ownerWithTrip();
    assertFieldError(await call(app, 'GET', DAYS, { token: owner.access }), 'trip_id');
    assertFieldError(await call(app, 'GET', `${DAYS}?trip_id=nope`, { token: owner.access }), 'trip_id');
    assertFieldError(await call(app, 'GET', `${DAYS}?trip=nope`, { token: owner.access }), 'trip');
    const mismatch = `${DAYS}?trip_id=${randomUUID()}&trip=${randomUUID()}`;
    assertFieldError(await call(app, 'GET', mismatch, { token: owner.access }), 'trip');
  });

  it('lists days with their items ordered by date, by trip_id or trip, filtered by date', async () => {
    const { owner, trip } = await ownerWithTrip();
    const late = await dayOk(owner, trip.id, '2030-06-09', { title: 'Late' });
    const early = await dayOk(owner, trip.id, '2030-06-02', { title: 'Early' });
    await itemOk(owner, early.id, { title: 'A' });
    await itemOk(owner, early.id, { title: 'B' });
    const other = await ownerWithTrip();
    await dayOk(other.owner, other.trip.id, '2030-06-03');

    const list = await call(app, 'GET', `${DAYS}?trip_id=${trip.id}`, { token: owner.access });
    assert.equal(list.status, 200, list.text);
    assert.equal(list.body.count, 2);
    assert.equal(list.body.next, null);
    assert.equal(list.body.previous, null);
    assert.deepEqual(
      list.body.results.map((d: any) => d.id),
      [early.id, late.id],
    );
    const [first] = list.body.results;
    assert.equal(first.item_count, 2);
    assert.deepEqual(
      first.items.map((i: any) => [i.title, i.order]),
      [
        ['A', 0],
        ['B', 1],
      ],
    );

    const alias = await call(app, 'GET', `${DAYS}?trip=${trip.id}`, { token: owner.access });
    assert.deepEqual(alias.body, list.body);
    const oneDay = await call(app, 'GET', `${DAYS}?trip_id=${trip.id}&date=2030-06-09`, {
      token: owner.access,
    });
    assert.deepEqual(
      oneDay.body.results.map((d: any) => d.id),
      [late.id],
    );
    assertFieldError(
      await call(app, 'GET', `${DAYS}?trip_id=${trip.id}&date=2030-13-01`, { token: owner.access }),
      'date',
    );
  });

  it('pages with page and page_size', async () => {
    const { owner, trip } = await ownerWithTrip();
    for (const d of ['01', '02', '03']) await dayOk(owner, trip.id, `2030-06-${d}`);
    const page1 = await call(app, 'GET', `${DAYS}?trip_id=${trip.id}&page_size=2`, { token: owner.access });
    assert.equal(page1.body.count, 3);
    assert.equal(page1.body.results.length, 2);
    assert.ok(page1.body.next.includes('page=2'));
    const page2 = await call(app, 'GET', `${DAYS}?trip_id=${trip.id}&page_size=2&page=2`, {
      token: owner.access,
    });
    assert.deepEqual(
      page2.body.results.map((d: any) => d.date),
      ['2030-06-03'],
    );
    assert.ok(page2.body.previous.includes('page=1'));
    assertFieldError(
      await call(app, 'GET', `${DAYS}?trip_id=${trip.id}&page_size=0`, { token: owner.access }),
      'page_size',
    );
    // Over the maximum is clamped to 100, as elsewhere in the API.
    const big = await call(app, 'GET', `${DAYS}?trip_id=${trip.id}&page_size=500`, { token: owner.access });
    assert.equal(big.status, 200, big.text);
    assert.equal(big.body.results.length, 3);
  });

  it('takes the same number of SQL statements for 2 days as for 12 (with items)', async () => {
    const owner = await createUser(app);
    const small = await newTrip(owner, { start_date: null, end_date: null });
    const large = await newTrip(owner, { start_date: null, end_date: null });
    for (let i = 0; i < 12; i++) {
      const date = `2030-07-${String(i + 1).padStart(2, '0')}`;
      const bigDay = await dayOk(owner, large.id, date);
      await itemOk(owner, bigDay.id);
      await itemOk(owner, bigDay.id);
      if (i < 2) await itemOk(owner, (await dayOk(owner, small.id, date)).id);
    }
    const list = (tripId: string) =>
      countQueries(() =>
        call(app, 'GET', `${DAYS}?trip_id=${tripId}&page_size=100`, { token: owner.access }),
      );
    const few = await list(small.id);
    const many = await list(large.id);
    assert.equal(few.result.body.count, 2);
    assert.equal(many.result.body.count, 12);
    assert.equal(many.result.body.results[11].item_count, 2);
    assert.equal(many.count, few.count, many.statements.join('\n'));
    assert.ok(few.count <= 4, `list took ${few.count} statements`);
    // A day's detail and its item list do not grow with the items either.
    const smallDay = few.result.body.results[0];
    const bigDay = many.result.body.results[0];
    await itemOk(owner, bigDay.id);
    for (const path of ['', 'items/']) {
      const get = (dayId: string) =>
        countQueries(() => call(app, 'GET', `${DAYS}${dayId}/${path}`, { token: owner.access }));
      const one = await get(smallDay.id);
      const three = await get(bigDay.id);
      assert.equal(three.count, one.count, `${path || 'detail'}: ${three.statements.join('\n')}`);
    }
  });

  it('answers 404 to a non-member and for an unknown trip', async () => {
    const { owner, trip } = await ownerWithTrip();
    await dayOk(owner, trip.id, '2030-06-02');
    const stranger = await createUser(app);
    assertEnvelope(await call(app, 'GET', `${DAYS}?trip_id=${trip.id}`, { token: stranger.access }), 404);
    assertEnvelope(await call(app, 'GET', `${DAYS}?trip_id=${randomUUID()}`, { token: owner.access }), 404);
    assertEnvelope(await call(app, 'GET', `${DAYS}?trip_id=${trip.id}`), 401);
  });
});

describe('GET itineraries/ (a kept answer)', () => {
  it('a repeated list answers the days as they are now: item edits, moves, deletes, new days', async () => {
    // The list keeps its serialized page and checks it against a fingerprint of the rows on every
    // read (http/response-cache.ts): each change below must show in the very next read.
    const { owner, trip } = await ownerWithTrip();
    const viewer = await createUser(app);
    await addMember(trip.id, viewer, 'viewer');
    const day = await dayOk(owner, trip.id, '2030-06-02');
    const first = await itemOk(owner, day.id, { title: 'Museum' });
    await itemOk(owner, day.id, { title: 'Lunch' });
    const list = async (query = '') => {
      const response = await call(app, 'GET', `${DAYS}?trip_id=${trip.id}${query}`, { token: viewer.access });
      assert.equal(response.status, 200, response.text);
      return response;
    };
    const titles = async () => (await list()).body.results[0].items.map((i: { title: string }) => i.title);
    const before = await list();
    assert.equal((await list()).text, before.text, 'unchanged rows: the same answer');

    const edited = await call(app, 'PATCH', `${DAYS}items/${first.id}/`, {
      token: owner.access,
      body: { title: 'Museum at 10' },
    });
    assert.equal(edited.status, 200, edited.text);
    assert.deepEqual(await titles(), ['Museum at 10', 'Lunch']);

    await db
      .update(itineraryItems)
      .set({ title: 'Changed underneath' })
      .where(eq(itineraryItems.id, first.id));
    assert.deepEqual(await titles(), ['Changed underneath', 'Lunch']);

    const removed = await call(app, 'DELETE', `${DAYS}items/${first.id}/`, { token: owner.access });
    assert.equal(removed.status, 204, removed.text);
    assert.deepEqual(await titles(), ['Lunch']);

    // A full page (page_size 1) keeps its rows while a later day is added: only the count moves.
    assert.equal((await list('&page_size=1')).body.count, 1);
    await dayOk(owner, trip.id, '2030-06-05');
    const full = await list('&page_size=1');
    assert.equal(full.body.results[0].id, day.id);
    assert.equal(full.body.count, 2);
    assert.notEqual(full.body.next, null);

    // Access is checked on every read, kept answer or not.
    await db.delete(tripMembers).where(eq(tripMembers.userId, viewer.id));
    assertEnvelope(await call(app, 'GET', `${DAYS}?trip_id=${trip.id}`, { token: viewer.access }), 404);
  });
});

describe('GET itineraries/{id}/ (a kept answer)', () => {
  it('a repeated read answers the day as it is now: its fields, item edits and moves; access every time', async () => {
    const { owner, trip } = await ownerWithTrip();
    const viewer = await createUser(app);
    const stranger = await createUser(app);
    await addMember(trip.id, viewer, 'viewer');
    const day = await dayOk(owner, trip.id, '2030-06-03', { title: 'Arrival' });
    const other = await dayOk(owner, trip.id, '2030-06-04');
    const first = await itemOk(owner, day.id, { title: 'Check in' });
    await itemOk(owner, day.id, { title: 'Dinner' });
    const read = async () => {
      const response = await call(app, 'GET', `${DAYS}${day.id}/`, { token: viewer.access });
      assert.equal(response.status, 200, response.text);
      return response;
    };
    const titles = async () => (await read()).body.items.map((i: { title: string }) => i.title);
    const before = await read();
    assert.equal((await read()).text, before.text, 'unchanged rows: the same answer');
    assert.equal(before.headers.etag, '"1"');

    const renamed = await call(app, 'PATCH', `${DAYS}${day.id}/`, {
      token: owner.access,
      body: { title: 'Arrival day' },
    });
    assert.equal(renamed.status, 200, renamed.text);
    const after = await read();
    assert.equal(after.body.title, 'Arrival day');
    assert.equal(after.headers.etag, '"2"', 'the ETag is the kept answer’s version');

    await db
      .update(itineraryItems)
      .set({ title: 'Changed underneath' })
      .where(eq(itineraryItems.id, first.id));
    assert.deepEqual(await titles(), ['Changed underneath', 'Dinner']);

    const moved = await call(app, 'PATCH', `${DAYS}items/${first.id}/`, {
      token: owner.access,
      body: { itinerary: other.id },
    });
    assert.equal(moved.status, 200, moved.text);
    assert.deepEqual(await titles(), ['Dinner']);
    assert.equal((await read()).body.item_count, 1);

    // The kept text is shared by members, never by strangers: access is checked on every read.
    assertEnvelope(await call(app, 'GET', `${DAYS}${day.id}/`, { token: stranger.access }), 404);
    await db.delete(tripMembers).where(eq(tripMembers.userId, viewer.id));
    assertEnvelope(await call(app, 'GET', `${DAYS}${day.id}/`, { token: viewer.access }), 404);
    await db.delete(itineraries).where(eq(itineraries.id, day.id));
    assertEnvelope(await call(app, 'GET', `${DAYS}${day.id}/`, { token: owner.access }), 404);
  });
});

describe('itineraries/{id}/', () => {
  it('GET returns the day with its items in order and an ETag', async () => {
    const { owner, trip } = await ownerWithTrip();
    const day = await dayOk(owner, trip.id, '2030-06-02');
    await itemOk(owner, day.id, { title: 'First' });
    await itemOk(owner, day.id, { title: 'Second' });
    const response = await call(app, 'GET', `${DAYS}${day.id}/`, { token: owner.access });
    assert.equal(response.status, 200, response.text);
    assert.equal(response.headers.etag, '"1"');
    assert.equal(response.body.item_count, 2);
    assert.deepEqual(
      response.body.items.map((i: any) => i.title),
      ['First', 'Second'],
    );
    const noSlash = await call(app, 'GET', `${DAYS}${day.id}`, { token: owner.access });
    assert.equal(noSlash.status, 200);
    assertEnvelope(await call(app, 'GET', `${DAYS}${randomUUID()}/`, { token: owner.access }), 404);
    assertEnvelope(await call(app, 'GET', `${DAYS}not-a-uuid/`, { token: owner.access }), 404);
  });

  it('PATCH updates fields, bumps the version and records the changed fields', async () => {
    const { owner, trip } = await ownerWithTrip();
    const day = await dayOk(owner, trip.id, '2030-06-02', { title: 'Old' });
    const response = await call(app, 'PATCH', `${DAYS}${day.id}/`, {
      token: owner.access,
      body: { title: 'New', notes: 'Pack light', trip: trip.id, id: 'ignored', item_count: 99 },
    });
    assert.equal(response.status, 200, response.text);
    assert.equal(response.body.title, 'New');
    assert.equal(response.body.notes, 'Pack light');
    assert.equal(response.body.version, 2);
    assert.equal(response.body.id, day.id);
    assert.equal(response.headers.etag, '"2"');
    const update = (await changesOf(day.id)).at(-1)!;
    assert.equal(update.op, 'update');
    assert.equal(update.entity, 'itinerary');
    assert.equal(update.tripId, trip.id);
    assert.equal(update.version, 2);
    assert.deepEqual([...update.fields].sort(), ['notes', 'title']);
    // Nothing changed: no new version, no change row.
    const same = await call(app, 'PATCH', `${DAYS}${day.id}/`, {
      token: owner.access,
      body: { title: 'New' },
    });
    assert.equal(same.body.version, 2);
    assert.equal((await changesOf(day.id)).length, 2);
  });

  it('PATCH re-checks a new date: inside the trip, free, and not another trip', async () => {
    const { owner, trip } = await ownerWithTrip();
    const day = await dayOk(owner, trip.id, '2030-06-02');
    await dayOk(owner, trip.id, '2030-06-03');
    const patch = (body: unknown) => call(app, 'PATCH', `${DAYS}${day.id}/`, { token: owner.access, body });
    assertFieldError(await patch({ date: '2030-06-11' }), 'date');
    assertFieldError(await patch({ date: '2030-05-01' }), 'date');
    assert.match(assertFieldError(await patch({ date: '2030-06-03' }), 'date')[0]!, /already/);
    assertFieldError(await patch({ trip: randomUUID() }), 'trip');
    const [row] = await db.select().from(itineraries).where(eq(itineraries.id, day.id));
    assert.equal(row!.date, '2030-06-02');
    assert.equal(row!.version, 1);
    const moved = await patch({ date: '2030-06-05' });
    assert.equal(moved.status, 200, moved.text);
    assert.equal(moved.body.date, '2030-06-05');
    assert.deepEqual((await changesOf(day.id)).at(-1)!.fields, ['date']);
  });

  it('two days moved to the same date at once: one succeeds, the other is a 400', async () => {
    const { owner, trip } = await ownerWithTrip();
    const a = await dayOk(owner, trip.id, '2030-06-02');
    const b = await dayOk(owner, trip.id, '2030-06-03');
    const responses = await Promise.all(
      [a, b].map((d) =>
        call(app, 'PATCH', `${DAYS}${d.id}/`, { token: owner.access, body: { date: '2030-06-08' } }),
      ),
    );
    assert.deepEqual(
      responses.map((r) => r.status).sort(),
      [200, 400],
      responses.map((r) => r.text).join('\n'),
    );
    assertFieldError(
      responses.find((r) => r.status === 400)!,
      'date',
    );
    assert.deepEqual(
      (await dayRows(trip.id)).map((d) => d.date),
      responses[0]!.status === 200 ? ['2030-06-03', '2030-06-08'] : ['2030-06-02', '2030-06-08'],
    );
  });

  it('PUT needs the date and replaces the fields sent', async () => {
    const { owner, trip } = await ownerWithTrip();
    const day = await dayOk(owner, trip.id, '2030-06-02');
    assertFieldError(
      await call(app, 'PUT', `${DAYS}${day.id}/`, { token: owner.access, body: { title: 'x' } }),
      'date',
    );
    const put = await call(app, 'PUT', `${DAYS}${day.id}/`, {
      token: owner.access,
      body: { date: '2030-06-04', title: 'Sintra', notes: 'Train' },
    });
    assert.equal(put.status, 200, put.text);
    assert.equal(put.body.date, '2030-06-04');
    assert.equal(put.body.title, 'Sintra');
    assert.equal(put.body.version, 2);
  });

  it('If-Match: a stale version is a 412 with the current day; the current one passes', async () => {
    const { owner, trip } = await ownerWithTrip();
    const day = await dayOk(owner, trip.id, '2030-06-02');
    await itemOk(owner, day.id, { title: 'Museum' });
    await call(app, 'PATCH', `${DAYS}${day.id}/`, { token: owner.access, body: { title: 'v2' } });
    const stale = await call(app, 'PATCH', `${DAYS}${day.id}/`, {
      token: owner.access,
      body: { title: 'mine' },
      headers: { 'if-match': '"1"' },
    });
    const error = assertEnvelope(stale, 412, 'precondition_failed');
    assert.equal(error.details.current.id, day.id);
    assert.equal(error.details.current.version, 2);
    assert.equal(error.details.current.title, 'v2');
    assert.equal(error.details.current.items[0].title, 'Museum');
    const staleDelete = await call(app, 'DELETE', `${DAYS}${day.id}/`, {
      token: owner.access,
      headers: { 'if-match': '"1"' },
    });
    assertEnvelope(staleDelete, 412);
    assert.equal((await dayRows(trip.id)).length, 1);
    const fresh = await call(app, 'PATCH', `${DAYS}${day.id}/`, {
      token: owner.access,
      body: { title: 'mine' },
      headers: { 'if-match': '"2"' },
    });
    assert.equal(fresh.status, 200, fresh.text);
    assert.equal(fresh.body.version, 3);
  });

  it('DELETE removes the day and its items, with tombstones for both', async () => {
    const { owner, trip } = await ownerWithTrip();
    const day = await dayOk(owner, trip.id, '2030-06-02');
    const a = await itemOk(owner, day.id);
    const b = await itemOk(owner, day.id);
    const response = await call(app, 'DELETE', `${DAYS}${day.id}/`, {
      token: owner.access,
      headers: { 'if-match': '"1"' },
    });
    assert.equal(response.status, 204, response.text);
    assert.equal((await dayRows(trip.id)).length, 0);
    assert.equal((await itemRows(day.id)).length, 0);
    const dayChange = (await changesOf(day.id)).at(-1)!;
    assert.deepEqual(
      [dayChange.entity, dayChange.op, dayChange.version, dayChange.tripId],
      ['itinerary', 'delete', 2, trip.id],
    );
    for (const item of [a, b]) {
      const tomb = (await changesOf(item.id)).at(-1)!;
      assert.deepEqual([tomb.entity, tomb.op, tomb.version, tomb.tripId], ['item', 'delete', 2, trip.id]);
    }
    assertEnvelope(await call(app, 'GET', `${DAYS}${day.id}/`, { token: owner.access }), 404);
    assertEnvelope(await call(app, 'DELETE', `${DAYS}${day.id}/`, { token: owner.access }), 404);
  });
});

describe('roles', () => {
  it('an editor may write days and items', async () => {
    const { trip } = await ownerWithTrip();
    const editor = await createUser(app);
    await addMember(trip.id, editor, 'editor');
    const day = await dayOk(editor, trip.id, '2030-06-02');
    const item = await itemOk(editor, day.id);
    const patch = await call(app, 'PATCH', `${API}/itinerary-items/${item.id}/`, {
      token: editor.access,
      body: { title: 'Edited' },
    });
    assert.equal(patch.status, 200, patch.text);
    assert.equal((await call(app, 'DELETE', `${DAYS}${day.id}/`, { token: editor.access })).status, 204);
    assert.equal((await dayRows(trip.id)).length, 0);
  });

  it('a viewer may read everything but gets 403 on every write', async () => {
    const { owner, trip } = await ownerWithTrip();
    const day = await dayOk(owner, trip.id, '2030-06-02');
    const item = await itemOk(owner, day.id);
    const viewer = await createUser(app);
    await addMember(trip.id, viewer, 'viewer');
    const as = (method: string, url: string, body?: unknown) =>
      call(app, method as 'GET', url, { token: viewer.access, body });

    assert.equal((await as('GET', `${DAYS}?trip_id=${trip.id}`)).status, 200);
    assert.equal((await as('GET', `${DAYS}${day.id}/`)).status, 200);
    assert.equal((await as('GET', `${DAYS}${day.id}/items/`)).status, 200);
    assert.equal((await as('GET', `${DAYS}items/${item.id}/`)).status, 200);
    assert.equal((await as('GET', `${API}/itinerary-items/${item.id}/`)).status, 200);

    assertEnvelope(await as('POST', DAYS, { trip: trip.id, date: '2030-06-03' }), 403, 'permission_denied');
    assertEnvelope(await as('PATCH', `${DAYS}${day.id}/`, { title: 'x' }), 403);
    assertEnvelope(await as('PUT', `${DAYS}${day.id}/`, { date: '2030-06-02' }), 403);
    assertEnvelope(await as('DELETE', `${DAYS}${day.id}/`), 403);
    assertEnvelope(await as('POST', `${DAYS}${day.id}/items/`, { title: 'x' }), 403);
    assertEnvelope(await as('PATCH', `${DAYS}items/${item.id}/`, { title: 'x' }), 403);
    assertEnvelope(await as('PUT', `${API}/itinerary-items/${item.id}/`, { title: 'x' }), 403);
    assertEnvelope(await as('DELETE', `${DAYS}items/${item.id}/`), 403);
    assertEnvelope(await as('POST', `${DAYS}${day.id}/items/reorder/`, { item_ids: [item.id] }), 403);

    assert.equal((await dayRows(trip.id)).length, 1);
    const [row] = await itemRows(day.id);
    assert.equal(row!.title, 'Visit');
    assert.equal(row!.version, 1);
  });

  it('a stranger gets 404 for everything inside the trip', async () => {
    const { owner, trip } = await ownerWithTrip();
    const day = await dayOk(owner, trip.id, '2030-06-02');
    const item = await itemOk(owner, day.id);
    const stranger = await createUser(app);
    const as = (method: string, url: string, body?: unknown) =>
      call(app, method as 'GET', url, { token: stranger.access, body });
    const attempts: [string, string, unknown?][] = [
      ['POST', DAYS, { trip: trip.id, date: '2030-06-03' }],
      ['GET', `${DAYS}${day.id}/`],
      ['PATCH', `${DAYS}${day.id}/`, { title: 'x' }],
      ['PUT', `${DAYS}${day.id}/`, { date: '2030-06-02' }],
      ['DELETE', `${DAYS}${day.id}/`],
      ['GET', `${DAYS}${day.id}/items/`],
      ['POST', `${DAYS}${day.id}/items/`, { title: 'x' }],
      ['GET', `${DAYS}items/${item.id}/`],
      ['PATCH', `${API}/itinerary-items/${item.id}/`, { title: 'x' }],
      ['DELETE', `${DAYS}items/${item.id}/`],
      ['POST', `${DAYS}${day.id}/items/reorder/`, { item_ids: [item.id] }],
    ];
    for (const [method, url, body] of attempts) {
      assertEnvelope(await as(method, url, body), 404, 'not_found');
    }
    assert.equal((await dayRows(trip.id)).length, 1);
    assert.equal((await itemRows(day.id)).length, 1);
  });
});

// ---- items --------------------------------------------------------------------------------------

describe('itineraries/{id}/items/', () => {
  it('POST appends at the end of the day with the full object and an insert change', async () => {
    const { owner, trip } = await ownerWithTrip();
    const day = await dayOk(owner, trip.id, '2030-06-02');
    const response = await call(app, 'POST', `${DAYS}${day.id}/items/`, {
      token: owner.access,
      body: {
        title: 'Tram 28',
        description: 'Go early',
        start_time: '09:30',
        end_time: '10:15:30',
        location: 'Martim Moniz',
      },
    });
    assert.equal(response.status, 201, response.text);
    const item = response.body;
    assert.match(item.id, UUID);
    assert.deepEqual(
      { ...item, id: undefined, created_at: undefined, updated_at: undefined },
      {
        id: undefined,
        itinerary: day.id,
        trip: trip.id,
        title: 'Tram 28',
        description: 'Go early',
        start_time: '09:30:00',
        end_time: '10:15:30',
        location: 'Martim Moniz',
        order: 0,
        version: 1,
        created_at: undefined,
        updated_at: undefined,
      },
    );
    assert.match(item.created_at, ISO);
    assert.equal(response.headers.etag, '"1"');
    const second = await itemOk(owner, day.id, { title: 'Lunch' });
    assert.equal(second.order, 1);
    assert.equal(second.start_time, null);
    assert.equal(second.end_time, null);
    const [change] = await changesOf(item.id);
    assert.deepEqual(
      [change!.tripId, change!.entity, change!.op, change!.version, change!.actorId],
      [trip.id, 'item', 'insert', 1, owner.id],
    );
  });

  it('validates every field and writes nothing on a 400', async () => {
    const { owner, trip } = await ownerWithTrip();
    const day = await dayOk(owner, trip.id, '2030-06-02');
    const post = (body: unknown) =>
      call(app, 'POST', `${DAYS}${day.id}/items/`, { token: owner.access, body });
    assertFieldError(await post({}), 'title');
    assertFieldError(await post({ title: '' }), 'title');
    assertFieldError(await post({ title: '   ' }), 'title');
    assertFieldError(await post({ title: 'x'.repeat(201) }), 'title');
    assertFieldError(await post({ title: 'ok', location: 'x'.repeat(301) }), 'location');
    assertFieldError(await post({ title: 'ok', start_time: '9am' }), 'start_time');
    assertFieldError(await post({ title: 'ok', start_time: '24:00' }), 'start_time');
    assertFieldError(await post({ title: 'ok', end_time: '10:61' }), 'end_time');
    const backwards = await post({ title: 'ok', start_time: '10:00', end_time: '09:59' });
    assert.match(assertFieldError(backwards, 'end_time')[0]!, /start/);
    assertFieldError(await post({ title: 'ok', id: 'not-a-uuid' }), 'id');
    assert.equal((await itemRows(day.id)).length, 0);
    // Exactly 200 / 300 characters, and end equal to start, are fine.
    const edge = await post({
      title: 'x'.repeat(200),
      location: 'y'.repeat(300),
      start_time: '10:00',
      end_time: '10:00',
    });
    assert.equal(edge.status, 201, edge.text);
  });

  it('404 for an unknown day', async () => {
    const { owner } = await ownerWithTrip();
    assertEnvelope(
      await call(app, 'POST', `${DAYS}${randomUUID()}/items/`, { token: owner.access, body: { title: 'x' } }),
      404,
    );
  });

  it('GET lists the items in order, in the page envelope', async () => {
    const { owner, trip } = await ownerWithTrip();
    const day = await dayOk(owner, trip.id, '2030-06-02');
    for (const title of ['a', 'b', 'c']) await itemOk(owner, day.id, { title });
    const list = await call(app, 'GET', `${DAYS}${day.id}/items/`, { token: owner.access });
    assert.equal(list.status, 200, list.text);
    assert.equal(list.body.count, 3);
    assert.deepEqual(
      list.body.results.map((i: any) => [i.title, i.order]),
      [
        ['a', 0],
        ['b', 1],
        ['c', 2],
      ],
    );
    const page = await call(app, 'GET', `${DAYS}${day.id}/items/?page_size=2&page=2`, {
      token: owner.access,
    });
    assert.deepEqual(
      page.body.results.map((i: any) => i.title),
      ['c'],
    );
  });

  it('10 concurrent creates in one day get orders 0..9 exactly', async () => {
    const { owner, trip } = await ownerWithTrip();
    const day = await dayOk(owner, trip.id, '2030-06-02');
    const responses = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        call(app, 'POST', `${DAYS}${day.id}/items/`, { token: owner.access, body: { title: `item ${i}` } }),
      ),
    );
    for (const r of responses) assert.equal(r.status, 201, r.text);
    assert.deepEqual(
      responses.map((r) => r.body.order).sort((a, b) => a - b),
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    );
    const rows = await itemRows(day.id);
    assert.deepEqual(
      rows.map((r) => r.position),
      [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    );
  });

  it('a retried create with the same client id or Idempotency-Key returns the first item, one row', async () => {
    const { owner, trip } = await ownerWithTrip();
    const day = await dayOk(owner, trip.id, '2030-06-02');
    const id = randomUUID();
    const url = `${DAYS}${day.id}/items/`;
    const first = await call(app, 'POST', url, { token: owner.access, body: { id, title: 'Offline' } });
    assert.equal(first.status, 201, first.text);
    assert.equal(first.body.id, id);
    const retry = await call(app, 'POST', url, { token: owner.access, body: { id, title: 'Offline' } });
    assert.equal(retry.status, 201, retry.text);
    assert.deepEqual(retry.body, first.body);
    assert.equal(retry.headers['idempotent-replayed'], 'true');

    const headers = { 'idempotency-key': `item-${randomUUID()}` };
    const keyed = await call(app, 'POST', url, { token: owner.access, body: { title: 'Keyed' }, headers });
    assert.equal(keyed.status, 201, keyed.text);
    const again = await call(app, 'POST', url, { token: owner.access, body: { title: 'Keyed' }, headers });
    assert.equal(again.status, 201);
    assert.deepEqual(again.body, keyed.body);
    assert.equal(again.headers['idempotent-replayed'], 'true');

    assert.deepEqual(await orderOf(day.id), [
      ['Offline', 0],
      ['Keyed', 1],
    ]);
    assert.equal((await changesOf(id)).length, 1);

    // Someone else's item id is a 409.
    const other = await ownerWithTrip();
    const otherDay = await dayOk(other.owner, other.trip.id, '2030-06-02');
    const clash = await call(app, 'POST', `${DAYS}${otherDay.id}/items/`, {
      token: other.owner.access,
      body: { id, title: 'Mine?' },
    });
    assertEnvelope(clash, 409, 'conflict');
    assert.equal((await itemRows(otherDay.id)).length, 0);
  });
  it('every way of creating answers the item exactly as it is stored, in one order', async () => {
    // No id and no key: the insert goes out with COMMIT; a client id or a key: a statement of its own.
    const { owner, trip } = await ownerWithTrip();
    const day = await dayOk(owner, trip.id, '2030-06-02');
    const url = `${DAYS}${day.id}/items/`;
    const bodies = [
      { title: 'Plain', start_time: '07:05', end_time: '23:59:59' },
      { id: randomUUID(), title: 'With id', start_time: '08:00' },
      { title: 'Keyed', location: 'ü"\\\'; --' },
      { title: 'Plain again', description: "it's" },
    ];
    const created = [];
    for (const [i, body] of bodies.entries()) {
      const headers = i === 2 ? { 'idempotency-key': `item-${randomUUID()}` } : undefined;
      const response = await call(app, 'POST', url, { token: owner.access, body, headers });
      assert.equal(response.status, 201, response.text);
      assert.equal(response.headers.etag, '"1"');
      created.push(response.body);
    }
    assert.deepEqual(
      created.map((item) => item.order),
      [0, 1, 2, 3],
    );
    assert.equal(created[0].start_time, '07:05:00');
    assert.equal(created[2].location, 'ü"\\\'; --');
    for (const item of created) {
      const read = await call(app, 'GET', `${DAYS}items/${item.id}/`, { token: owner.access });
      assert.deepEqual(read.body, item, 'the answer is the stored row, timestamps included');
      const log = await changesOf(item.id);
      assert.deepEqual(
        log.map((c) => [c.op, c.version]),
        [['insert', 1]],
      );
    }
  });
});

describe('itineraries/items/{item_id}/ and itinerary-items/{item_id}/', () => {
  it('GET works under both paths with an ETag', async () => {
    const { owner, trip } = await ownerWithTrip();
    const day = await dayOk(owner, trip.id, '2030-06-02');
    const item = await itemOk(owner, day.id);
    for (const url of [`${DAYS}items/${item.id}/`, `${API}/itinerary-items/${item.id}`]) {
      const response = await call(app, 'GET', url, { token: owner.access });
      assert.equal(response.status, 200, response.text);
      assert.deepEqual(response.body, item);
      assert.equal(response.headers.etag, '"1"');
    }
    assertEnvelope(await call(app, 'GET', `${DAYS}items/${randomUUID()}/`, { token: owner.access }), 404);
  });

  it('PATCH updates fields and records them; times are re-checked against the stored ones', async () => {
    const { owner, trip } = await ownerWithTrip();
    const day = await dayOk(owner, trip.id, '2030-06-02');
    const item = await itemOk(owner, day.id, { start_time: '10:00', end_time: '11:00' });
    const url = `${API}/itinerary-items/${item.id}/`;
    const patch = (body: unknown) => call(app, 'PATCH', url, { token: owner.access, body });

    assertFieldError(await patch({ end_time: '09:00' }), 'end_time');
    assertFieldError(await patch({ start_time: '11:30' }), 'end_time');
    assertFieldError(await patch({ title: '' }), 'title');
    assertFieldError(await patch({ location: 'z'.repeat(301) }), 'location');
    const [untouched] = await itemRows(day.id);
    assert.equal(untouched!.version, 1);
    assert.equal(untouched!.endTime, '11:00:00');

    const ok = await patch({ title: 'Castle', end_time: '12:00', location: 'Alfama', order: 7 });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.body.title, 'Castle');
    assert.equal(ok.body.end_time, '12:00:00');
    assert.equal(ok.body.order, 0, 'order is not writable here');
    assert.equal(ok.body.version, 2);
    assert.equal(ok.headers.etag, '"2"');
    const change = (await changesOf(item.id)).at(-1)!;
    assert.deepEqual([change.op, change.version, change.entity], ['update', 2, 'item']);
    assert.deepEqual([...change.fields].sort(), ['end_time', 'location', 'title']);

    const cleared = await patch({ start_time: null, end_time: null });
    assert.equal(cleared.body.start_time, null);
    assert.equal(cleared.body.end_time, null);
  });

  it('PUT needs the title', async () => {
    const { owner, trip } = await ownerWithTrip();
    const day = await dayOk(owner, trip.id, '2030-06-02');
    const item = await itemOk(owner, day.id);
    const url = `${DAYS}items/${item.id}/`;
    assertFieldError(await call(app, 'PUT', url, { token: owner.access, body: { location: 'x' } }), 'title');
    const put = await call(app, 'PUT', url, { token: owner.access, body: { title: 'Put', location: 'x' } });
    assert.equal(put.status, 200, put.text);
    assert.equal(put.body.title, 'Put');
  });

  it('If-Match: stale is a 412 with the current item on PATCH and DELETE', async () => {
    const { owner, trip } = await ownerWithTrip();
    const day = await dayOk(owner, trip.id, '2030-06-02');
    const item = await itemOk(owner, day.id);
    const url = `${DAYS}items/${item.id}/`;
    await call(app, 'PATCH', url, { token: owner.access, body: { title: 'v2' } });
    const stale = await call(app, 'PATCH', url, {
      token: owner.access,
      body: { title: 'mine' },
      headers: { 'if-match': 'W/"1"' },
    });
    const error = assertEnvelope(stale, 412, 'precondition_failed');
    assert.equal(error.details.current.id, item.id);
    assert.equal(error.details.current.title, 'v2');
    assert.equal(error.details.current.version, 2);
    assertEnvelope(
      await call(app, 'DELETE', url, { token: owner.access, headers: { 'if-match': '"1"' } }),
      412,
    );
    assertEnvelope(
      await call(app, 'PATCH', url, {
        token: owner.access,
        body: { title: 'x' },
        headers: { 'if-match': 'junk' },
      }),
      400,
    );
    assert.equal((await itemRows(day.id))[0]!.title, 'v2');
    const fresh = await call(app, 'DELETE', url, { token: owner.access, headers: { 'if-match': '"2"' } });
    assert.equal(fresh.status, 204);
  });

  it('DELETE closes the gap: orders stay 0..n-1, shifted items get order changes', async () => {
    const { owner, trip } = await ownerWithTrip();
    const day = await dayOk(owner, trip.id, '2030-06-02');
    const a = await itemOk(owner, day.id, { title: 'a' });
    const b = await itemOk(owner, day.id, { title: 'b' });
    const c = await itemOk(owner, day.id, { title: 'c' });
    const response = await call(app, 'DELETE', `${API}/itinerary-items/${a.id}/`, { token: owner.access });
    assert.equal(response.status, 204, response.text);
    assert.deepEqual(await orderOf(day.id), [
      ['b', 0],
      ['c', 1],
    ]);
    const tomb = (await changesOf(a.id)).at(-1)!;
    assert.deepEqual([tomb.tripId, tomb.entity, tomb.op, tomb.version], [trip.id, 'item', 'delete', 2]);
    for (const shifted of [b, c]) {
      const change = (await changesOf(shifted.id)).at(-1)!;
      assert.deepEqual([change.op, change.version, change.fields], ['update', 2, ['order']]);
    }
    const day2 = await call(app, 'GET', `${DAYS}${day.id}/`, { token: owner.access });
    assert.equal(day2.body.item_count, 2);
    // Deleting the last item shifts nobody.
    await call(app, 'DELETE', `${DAYS}items/${c.id}/`, { token: owner.access });
    assert.deepEqual(await orderOf(day.id), [['b', 0]]);
    assert.equal((await changesOf(b.id)).length, 2);
  });

  it('moving an item to another day of the trip puts it last there and keeps both days gap-free', async () => {
    const { owner, trip } = await ownerWithTrip();
    const from = await dayOk(owner, trip.id, '2030-06-02');
    const to = await dayOk(owner, trip.id, '2030-06-03');
    const a = await itemOk(owner, from.id, { title: 'a' });
    const b = await itemOk(owner, from.id, { title: 'b' });
    const c = await itemOk(owner, from.id, { title: 'c' });
    await itemOk(owner, to.id, { title: 'x' });
    const moved = await call(app, 'PATCH', `${DAYS}items/${a.id}/`, {
      token: owner.access,
      body: { itinerary: to.id },
    });
    assert.equal(moved.status, 200, moved.text);
    assert.equal(moved.body.itinerary, to.id);
    assert.equal(moved.body.order, 1);
    assert.equal(moved.body.version, 2);
    assert.deepEqual(await orderOf(from.id), [
      ['b', 0],
      ['c', 1],
    ]);
    assert.deepEqual(await orderOf(to.id), [
      ['x', 0],
      ['a', 1],
    ]);
    const moveChange = (await changesOf(a.id)).at(-1)!;
    assert.deepEqual([...moveChange.fields].sort(), ['itinerary', 'order']);
    assert.deepEqual((await changesOf(b.id)).at(-1)!.fields, ['order']);
    assert.deepEqual((await changesOf(c.id)).at(-1)!.fields, ['order']);
    // And back, through PUT on the alias path.
    const back = await call(app, 'PUT', `${API}/itinerary-items/${a.id}/`, {
      token: owner.access,
      body: { title: 'a', itinerary: from.id },
    });
    assert.equal(back.status, 200, back.text);
    assert.equal(back.body.order, 2);
    assertGapFree(await itemRows(from.id));
    assertGapFree(await itemRows(to.id));
    assert.deepEqual(await orderOf(to.id), [['x', 0]]);
  });

  it('refuses a day of another trip (or no day) as itinerary, writing nothing', async () => {
    const { owner, trip } = await ownerWithTrip();
    const day = await dayOk(owner, trip.id, '2030-06-02');
    const item = await itemOk(owner, day.id);
    const elsewhere = await newTrip(owner);
    const foreignDay = await dayOk(owner, elsewhere.id, '2030-06-02');
    const url = `${DAYS}items/${item.id}/`;
    const patch = (body: unknown) => call(app, 'PATCH', url, { token: owner.access, body });
    assertFieldError(await patch({ itinerary: foreignDay.id, title: 'moved?' }), 'itinerary');
    assertFieldError(await patch({ itinerary: randomUUID() }), 'itinerary');
    assertFieldError(await patch({ itinerary: 'nope' }), 'itinerary');
    const [row] = await itemRows(day.id);
    assert.equal(row!.version, 1);
    assert.equal(row!.title, 'Visit');
    assert.equal((await itemRows(foreignDay.id)).length, 0);
    // Naming its own day is not a move.
    const same = await patch({ itinerary: day.id });
    assert.equal(same.status, 200);
    assert.equal(same.body.version, 1);
  });
});

describe('POST itineraries/{id}/items/reorder/', () => {
  async function dayWithItems(count: number) {
    const { owner, trip } = await ownerWithTrip();
    const day = await dayOk(owner, trip.id, '2030-06-02');
    const items = [];
    for (let i = 0; i < count; i++) items.push(await itemOk(owner, day.id, { title: `i${i}` }));
    const reorder = (itemIds: unknown) =>
      call(app, 'POST', `${DAYS}${day.id}/items/reorder/`, {
        token: owner.access,
        body: { item_ids: itemIds },
      });
    return { owner, trip, day, items, reorder };
  }

  it('puts the items in the given order: 200 {detail, items}, order = index, changes for moved items', async () => {
    const { trip, day, items, reorder } = await dayWithItems(4);
    const [i0, i1, i2, i3] = items;
    const response = await reorder([i2.id, i0.id, i1.id, i3.id]);
    assert.equal(response.status, 200, response.text);
    assert.equal(typeof response.body.detail, 'string');
    assert.deepEqual(
      response.body.items.map((i: any) => [i.id, i.order]),
      [
        [i2.id, 0],
        [i0.id, 1],
        [i1.id, 2],
        [i3.id, 3],
      ],
    );
    assert.deepEqual(await orderOf(day.id), [
      ['i2', 0],
      ['i0', 1],
      ['i1', 2],
      ['i3', 3],
    ]);
    for (const moved of [i0, i1, i2]) {
      const change = (await changesOf(moved.id)).at(-1)!;
      assert.deepEqual(
        [change.tripId, change.entity, change.op, change.version, change.fields],
        [trip.id, 'item', 'update', 2, ['order']],
      );
    }
    assert.equal((await changesOf(i3.id)).length, 1, 'unmoved item has no change');
    assert.equal(response.body.items[0].version, 2);
    assert.equal(response.body.items[3].version, 1);
  });

  it('refuses missing, unknown, duplicate and malformed ids, naming the problem, changing nothing', async () => {
    const { owner, day, items, reorder } = await dayWithItems(3);
    const [a, b, c] = items.map((i) => i.id);
    const before = await orderOf(day.id);

    assert.match(assertFieldError(await reorder([b, a]), 'item_ids').join(' '), new RegExp(`Missing.*${c}`));
    const stranger = randomUUID();
    assert.match(
      assertFieldError(await reorder([c, b, a, stranger]), 'item_ids').join(' '),
      new RegExp(`Unknown.*${stranger}`),
    );
    assert.match(
      assertFieldError(await reorder([c, b, a, a]), 'item_ids').join(' '),
      new RegExp(`Duplicate.*${a}`),
    );
    assert.match(assertFieldError(await reorder([c, b, 'junk']), 'item_ids').join(' '), /Unknown.*junk/);
    assertFieldError(await reorder([]), 'item_ids');
    assertFieldError(await reorder('a,b'), 'item_ids');
    assertFieldError(
      await call(app, 'POST', `${DAYS}${day.id}/items/reorder/`, { token: owner.access, body: {} }),
      'item_ids',
    );
    assert.deepEqual(await orderOf(day.id), before);
    for (const id of [a, b, c]) assert.equal((await changesOf(id)).length, 1);
  });

  it('an item of another day is unknown to this day', async () => {
    const { owner, trip, day, items, reorder } = await dayWithItems(1);
    const otherDay = await dayOk(owner, trip.id, '2030-06-03');
    const foreign = await itemOk(owner, otherDay.id);
    assert.match(
      assertFieldError(await reorder([items[0].id, foreign.id]), 'item_ids').join(' '),
      new RegExp(`Unknown.*${foreign.id}`),
    );
    assert.deepEqual(await orderOf(day.id), [['i0', 0]]);
  });

  it('an empty day reorders to an empty list', async () => {
    const { reorder } = await dayWithItems(0);
    const response = await reorder([]);
    assert.equal(response.status, 200, response.text);
    assert.deepEqual(response.body.items, []);
  });
});

describe('change log', () => {
  it('records create, update, reorder and delete of days and items with trip, entity, op and version', async () => {
    const { owner, trip } = await ownerWithTrip();
    const day = await dayOk(owner, trip.id, '2030-06-02');
    const a = await itemOk(owner, day.id, { title: 'a' });
    const b = await itemOk(owner, day.id, { title: 'b' });
    await call(app, 'PATCH', `${DAYS}${day.id}/`, { token: owner.access, body: { title: 'Day one' } });
    await call(app, 'PATCH', `${DAYS}items/${a.id}/`, { token: owner.access, body: { title: 'A' } });
    await call(app, 'POST', `${DAYS}${day.id}/items/reorder/`, {
      token: owner.access,
      body: { item_ids: [b.id, a.id] },
    });
    await call(app, 'DELETE', `${DAYS}${day.id}/`, { token: owner.access });
    const rows = await db
      .select()
      .from(changes)
      .where(and(eq(changes.tripId, trip.id), inArray(changes.entity, ['itinerary', 'item'])))
      .orderBy(asc(changes.seq));
    const summary = rows.map((r) => [
      r.entity,
      r.entityId === day.id ? 'day' : r.entityId === a.id ? 'a' : 'b',
      r.op,
      r.version,
    ]);
    assert.deepEqual(summary, [
      ['itinerary', 'day', 'insert', 1],
      ['item', 'a', 'insert', 1],
      ['item', 'b', 'insert', 1],
      ['itinerary', 'day', 'update', 2],
      ['item', 'a', 'update', 2],
      ['item', 'b', 'update', 2],
      ['item', 'a', 'update', 3],
      ['item', 'b', 'delete', 3],
      ['item', 'a', 'delete', 4],
      ['itinerary', 'day', 'delete', 3],
    ]);
    for (const r of rows) assert.equal(r.actorId, owner.id);
  });
});

describe('OpenAPI', () => {
  it('documents every itinerary path', async () => {
    const doc = (await call(app, 'GET', '/api/schema/')).body;
    for (const path of [
      '/api/v1/itineraries/',
      '/api/v1/itineraries/{id}/',
      '/api/v1/itineraries/{id}/items/',
      '/api/v1/itineraries/{id}/items/reorder/',
      '/api/v1/itineraries/items/{item_id}/',
      '/api/v1/itinerary-items/{item_id}/',
    ]) {
      assert.ok(doc.paths[path], `${path} documented`);
    }
    assert.ok(doc.paths['/api/v1/itineraries/{id}/'].patch.responses['412']);
  });
});
