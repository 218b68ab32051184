import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { START, readChanges } from '../src/modules/changes/read-changes.ts';
import { buildTestApp, call } from './helpers/app.ts';
import { countQueries, testDatabase } from './helpers/database.ts';
import { createUser, type TestUser } from './helpers/factories.ts';
import { OfflineClient, SYNC, settle } from './sync-harness.ts';

const { app } = await buildTestApp();
const { db } = await testDatabase();
const API = '/api/v1';

// ---- helpers ------------------------------------------------------------------------------------

async function ok(user: TestUser, method: 'POST' | 'PATCH' | 'DELETE', url: string, body?: unknown) {
  const response = await call(app, method, `${API}${url}`, { token: user.access, body });
  assert.ok(response.status < 300, `${method} ${url}: ${response.status} ${response.text}`);
  return response.body;
}

const get = async (user: TestUser, url: string) => {
  const response = await call(app, 'GET', `${API}${url}`, { token: user.access });
  assert.equal(response.status, 200, response.text);
  return response.body;
};

/** A trip with two days, three items and a poll, owned by a fresh user. */
async function plannedTrip(owner?: TestUser) {
  owner ??= await createUser(app);
  const trip = await ok(owner, 'POST', '/trips/', {
    title: 'Lisbon',
    start_date: '2030-06-01',
    end_date: '2030-06-10',
  });
  const day1 = await ok(owner, 'POST', '/itineraries/', { trip: trip.id, date: '2030-06-01' });
  const day2 = await ok(owner, 'POST', '/itineraries/', { trip: trip.id, date: '2030-06-02' });
  const items = [
    await ok(owner, 'POST', `/itineraries/${day1.id}/items/`, { title: 'Tram 28' }),
    await ok(owner, 'POST', `/itineraries/${day1.id}/items/`, { title: 'Alfama' }),
    await ok(owner, 'POST', `/itineraries/${day2.id}/items/`, { title: 'Belém' }),
  ];
  const poll = await ok(owner, 'POST', '/polls/', {
    trip: trip.id,
    question: 'Dinner?',
    options: ['Fish', 'Meat'],
  });
  return { owner, trip, days: [day1, day2], items, poll };
}

async function addMember(tripId: string, by: TestUser, user: TestUser, role = 'editor') {
  await ok(by, 'POST', `/trips/${tripId}/collaborators/${user.id}/`, { role });
}

/** A brand-new device of `user`: its full snapshot is the server state as that user sees it. */
async function freshState(user: TestUser) {
  const client = new OfflineClient(app, user);
  await client.pull();
  return client.state();
}

const withoutItems = (day: any) => {
  const { items: _items, item_count: _count, ...rest } = day;
  return rest;
};

// ---- tests --------------------------------------------------------------------------------------

describe('sync feed: snapshot', () => {
  it('without a cursor sends every object of the caller’s trips, paged, as the REST API presents them', async () => {
    const { owner, trip, days, items, poll } = await plannedTrip();
    const other = await plannedTrip(); // someone else's trip never shows
    const client = new OfflineClient(app, owner);
    const received = await client.pull(2);
    assert.ok(client.pages >= 5, `paged: ${client.pages} pages`);
    assert.equal(received.length, new Set(received.map((e) => `${e.entity}:${e.id}`)).size, 'no duplicates');
    assert.ok(received.every((e) => e.op === 'upsert' && e.trip === trip.id));
    assert.ok(!client.store.has(`trip:${other.trip.id}`));

    assert.deepEqual(client.get('trip', trip.id)!.object, await get(owner, `/trips/${trip.id}/`));
    for (const day of days)
      assert.deepEqual(
        client.get('itinerary', day.id)!.object,
        withoutItems(await get(owner, `/itineraries/${day.id}/`)),
      );
    for (const item of items)
      assert.deepEqual(
        client.get('item', item.id)!.object,
        await get(owner, `/itineraries/items/${item.id}/`),
      );
    assert.deepEqual(client.get('poll', poll.id)!.object, await get(owner, `/polls/${poll.id}/`));
    const [collaborator] = client.all('collaborator');
    assert.deepEqual(collaborator!.object, (await get(owner, `/trips/${trip.id}/`)).collaborators[0]);
    assert.equal(client.store.size, 1 + 1 + 2 + 3 + 1);
    // Versions ride along with every object.
    assert.ok([...client.store.values()].every((h) => h.version === h.object.version));

    // Nothing new: the next pull is empty and ends at once.
    assert.deepEqual(await client.pull(), []);
  });

  it('a snapshot with writes committed between its pages still ends exactly at the server state', async () => {
    const { owner, trip, days, items } = await plannedTrip();
    const client = new OfflineClient(app, owner);
    // Read one page of the snapshot by hand, then change things before reading on.
    await settle();
    const first = await call(app, 'GET', `${SYNC}?limit=1`, { token: owner.access });
    assert.equal(first.body.has_more, true);
    for (const entry of first.body.changes) client.apply(entry);
    client.cursor = first.body.cursor;
    await ok(owner, 'PATCH', `/trips/${trip.id}/`, { title: 'Lisboa' });
    await ok(owner, 'DELETE', `/itineraries/items/${items[0].id}/`);
    const added = await ok(owner, 'POST', `/itineraries/${days[1].id}/items/`, { title: 'LX Factory' });
    await ok(owner, 'PATCH', `/itineraries/items/${items[2].id}/`, { location: 'Belém' });
    await client.pull(1);
    assert.deepEqual(client.state(), await freshState(owner));
    assert.equal(client.get('trip', trip.id)!.object.title, 'Lisboa');
    assert.ok(client.get('item', added.id));
    assert.equal(client.get('item', items[0].id), undefined);
  });
});

describe('sync feed: changes since a cursor', () => {
  it('sends upserts with the current object, collapses repeated edits, and tombstones deletes', async () => {
    const { owner, trip, days, items, poll } = await plannedTrip();
    const client = new OfflineClient(app, owner);
    await client.pull();
    await ok(owner, 'PATCH', `/itineraries/items/${items[1].id}/`, { title: 'One' });
    await ok(owner, 'PATCH', `/itineraries/items/${items[1].id}/`, { title: 'Two' });
    await ok(owner, 'PATCH', `/itineraries/items/${items[1].id}/`, { description: 'Three' });
    await ok(owner, 'DELETE', `/itineraries/${days[1].id}/`); // the day and its item
    const received = await client.pull();
    const edited = received.filter((e) => e.id === items[1].id);
    assert.equal(edited.length, 1, 'three edits in one page collapse into one upsert');
    assert.equal(edited[0].object.title, 'Two');
    assert.equal(edited[0].object.description, 'Three');
    assert.equal(edited[0].version, 4);
    const tombstones = received.filter((e) => e.op === 'delete');
    assert.deepEqual(
      tombstones.map((e) => [e.entity, e.id, e.object]).sort(),
      [
        ['item', items[2].id, null],
        ['itinerary', days[1].id, null],
      ].sort(),
    );
    assert.ok(tombstones.every((e) => e.trip === trip.id && Number.isInteger(e.version)));

    // A vote changes the poll (counts); who voted is never sent.
    await ok(owner, 'POST', `/polls/${poll.id}/vote/`, { option_id: poll.options[0].id });
    const afterVote = await client.pull();
    assert.deepEqual(
      afterVote.map((e) => e.entity),
      ['poll'],
    );
    assert.equal(afterVote[0].object.total_votes, 1);
    assert.equal(afterVote[0].object.user_has_voted, true);
    assert.deepEqual(client.state(), await freshState(owner));
  });

  it('pages through many changes with has_more, in order, and converges', async () => {
    const { owner, days } = await plannedTrip();
    const client = new OfflineClient(app, owner);
    await client.pull();
    for (let i = 0; i < 12; i++)
      await ok(owner, 'POST', `/itineraries/${days[0].id}/items/`, { title: `Stop ${i}` });
    const pagesBefore = client.pages;
    const received = await client.pull(5);
    assert.equal(client.pages - pagesBefore, 3);
    assert.deepEqual(
      received.map((e) => e.object.title),
      Array.from({ length: 12 }, (_, i) => `Stop ${i}`),
    );
    assert.deepEqual(client.state(), await freshState(owner));
  });

  it('reads only what clients hold: chat messages between changes never fill a page', async () => {
    const { owner, days } = await plannedTrip();
    const client = new OfflineClient(app, owner);
    await client.pull();
    // Forty chat messages in the log (as the chat module records them), then three item creates.
    await db.execute(sql`
      insert into changes (trip_id, entity, entity_id, op, version)
      select ${days[0].trip}::uuid, 'message', gen_random_uuid(), 'insert', 1 from generate_series(1, 40)`);
    for (let i = 0; i < 3; i++)
      await ok(owner, 'POST', `/itineraries/${days[0].id}/items/`, { title: `After chat ${i}` });
    await settle();
    const pagesBefore = client.pages;
    const received = await client.pull(3);
    assert.equal(client.pages - pagesBefore, 1, 'one page of three: the messages take no room');
    assert.deepEqual(
      received.map((e) => e.object.title),
      ['After chat 0', 'After chat 1', 'After chat 2'],
    );
    assert.deepEqual(client.state(), await freshState(owner));
  });

  it('a member of many trips (the log read in global order) gets every change, in order', async () => {
    const owner = await createUser(app);
    const tripIds: string[] = [];
    // More trips than FEW_TRIPS (16): the statement takes its other plan.
    for (let t = 0; t < 18; t++) tripIds.push((await ok(owner, 'POST', '/trips/', { title: `T${t}` })).id);
    const client = new OfflineClient(app, owner);
    await client.pull();
    for (const round of [1, 2])
      for (const tripId of tripIds) {
        await ok(owner, 'PATCH', `/trips/${tripId}/`, { description: `round ${round}` });
        await db.execute(sql`
          insert into changes (trip_id, entity, entity_id, op, version)
          values (${tripId}::uuid, 'message', gen_random_uuid(), 'insert', 1)`);
      }
    await settle();
    const pagesBefore = client.pages;
    const received = await client.pull(7);
    // 36 trip edits, 7 a page (a page collapses repeats of one trip, so at most 6 pages).
    assert.ok(client.pages - pagesBefore <= 6, `${client.pages - pagesBefore} pages`);
    assert.deepEqual(new Set(received.map((e) => e.id)), new Set(tripIds));
    for (const tripId of tripIds) assert.equal(client.get('trip', tripId)!.object.description, 'round 2');
    assert.deepEqual(client.state(), await freshState(owner));
  });

  it('a collaborator change re-sends the trip (its members and the caller’s role)', async () => {
    const { owner, trip } = await plannedTrip();
    const editor = await createUser(app);
    await addMember(trip.id, owner, editor, 'editor');
    const client = new OfflineClient(app, editor);
    await client.pull();
    assert.equal(client.get('trip', trip.id)!.object.user_role, 'editor');
    await ok(owner, 'PATCH', `/trips/${trip.id}/collaborators/${editor.id}/`, { role: 'viewer' });
    const received = await client.pull();
    assert.deepEqual(received.map((e) => e.entity).sort(), ['collaborator', 'trip']);
    assert.equal(client.get('trip', trip.id)!.object.user_role, 'viewer');
    assert.deepEqual(client.state(), await freshState(editor));
  });
});

describe('sync feed: access', () => {
  it('gaining access sends the whole trip; losing it sends one trip tombstone and nothing after', async () => {
    const { owner, trip, items } = await plannedTrip();
    const friend = await createUser(app);
    const client = new OfflineClient(app, friend);
    assert.deepEqual(await client.pull(), []);

    await addMember(trip.id, owner, friend, 'viewer');
    const gained = await client.pull(3);
    assert.deepEqual([...new Set(gained.map((e) => e.entity))].sort(), [
      'collaborator',
      'item',
      'itinerary',
      'poll',
      'trip',
    ]);
    assert.deepEqual(client.state(), await freshState(friend));

    await ok(owner, 'PATCH', `/itineraries/items/${items[0].id}/`, { title: 'Seen' });
    assert.equal((await client.pull())[0].object.title, 'Seen');

    await ok(owner, 'DELETE', `/trips/${trip.id}/collaborators/${friend.id}/`);
    await ok(owner, 'PATCH', `/itineraries/items/${items[0].id}/`, { title: 'Not seen' });
    const lost = await client.pull();
    assert.deepEqual(lost, [
      { entity: 'trip', op: 'delete', id: trip.id, trip: trip.id, version: null, object: null },
    ]);
    assert.equal(client.store.size, 0, 'the trip tombstone drops everything in it');
    assert.deepEqual(await client.pull(), []);
  });

  it('a deleted trip becomes a tombstone for every member; leaving does too', async () => {
    const { owner, trip } = await plannedTrip();
    const second = await plannedTrip(owner);
    const editor = await createUser(app);
    await addMember(trip.id, owner, editor);
    await addMember(second.trip.id, owner, editor);
    const ownerClient = new OfflineClient(app, owner);
    const editorClient = new OfflineClient(app, editor);
    await ownerClient.pull();
    await editorClient.pull();
    await ok(owner, 'DELETE', `/trips/${trip.id}/`);
    await ok(editor, 'DELETE', `/trips/${second.trip.id}/collaborators/${editor.id}/`);
    for (const client of [ownerClient, editorClient]) {
      const received = await client.pull();
      assert.ok(received.some((e) => e.entity === 'trip' && e.op === 'delete' && e.id === trip.id));
      assert.ok(![...client.store.values()].some((h) => h.trip === trip.id));
    }
    assert.equal(editorClient.store.size, 0);
    assert.deepEqual(ownerClient.state(), await freshState(owner));
  });
});

describe('sync feed: requests', () => {
  it('refuses a cursor it did not issue and a bad limit with field errors; needs a token', async () => {
    const user = await createUser(app);
    for (const cursor of ['abc', '1.2', 'AQAA', '!!!']) {
      const response = await call(app, 'GET', `${SYNC}?cursor=${encodeURIComponent(cursor)}`, {
        token: user.access,
      });
      assert.equal(response.status, 400, cursor);
      assert.equal(response.body.error.type, 'validation_error');
      assert.ok(response.body.error.details.cursor?.length, response.text);
    }
    for (const limit of ['0', '1001', 'x']) {
      const response = await call(app, 'GET', `${SYNC}?limit=${limit}`, { token: user.access });
      assert.equal(response.status, 400, limit);
      assert.ok(response.body.error.details.limit, response.text);
    }
    assert.equal((await call(app, 'GET', SYNC)).status, 401);
    assert.equal((await call(app, 'GET', '/api/v1/sync')).status, 401, 'works without the trailing slash');
  });

  it('the log cursor orders transactions as numbers: txid 9 before 10, none skipped', async () => {
    // A text sort (the select list's `txid::text`) would put '10' first and then skip 9 for good.
    const trip = randomUUID();
    const [nine, ten] = [randomUUID(), randomUUID()];
    await db.execute(sql`
      insert into changes (txid, trip_id, entity, entity_id, op, version)
      values ('10'::xid8, ${trip}, 'item', ${ten}, 'insert', 1), ('9'::xid8, ${trip}, 'item', ${nine}, 'insert', 1)`);
    const first = await readChanges(db, { after: START, tripIds: [trip], limit: 1 });
    const second = await readChanges(db, { after: first[0]!.cursor, tripIds: [trip], limit: 1 });
    assert.deepEqual(
      [...first, ...second].map((c) => c.entityId),
      [nine, ten],
    );
  });

  it('a page costs the same number of SQL statements whatever it holds', async () => {
    const small = await plannedTrip();
    const large = await plannedTrip();
    for (let i = 0; i < 30; i++)
      await ok(large.owner, 'POST', `/itineraries/${large.days[i % 2].id}/items/`, { title: `x${i}` });
    const a = new OfflineClient(app, small.owner);
    const b = new OfflineClient(app, large.owner);
    const snapshotA = await countQueries(() =>
      call(app, 'GET', `${SYNC}?limit=1000`, { token: small.owner.access }),
    );
    const snapshotB = await countQueries(() =>
      call(app, 'GET', `${SYNC}?limit=1000`, { token: large.owner.access }),
    );
    assert.equal(snapshotA.count, snapshotB.count, 'snapshot pages');
    await a.pull();
    await b.pull();
    for (const { owner, items, days, poll } of [small, large]) {
      await ok(owner, 'PATCH', `/itineraries/items/${items[0].id}/`, { title: 'changed' });
      await ok(owner, 'PATCH', `/itineraries/${days[0].id}/`, { notes: 'changed' });
      await ok(owner, 'POST', `/polls/${poll.id}/vote/`, { option_id: poll.options[1].id });
      await ok(owner, 'PATCH', `/trips/${days[0].trip}/`, { description: 'changed' });
    }
    for (let i = 0; i < 20; i++)
      await ok(large.owner, 'PATCH', `/itineraries/items/${large.items[1].id}/`, { title: `t${i}` });
    await settle();
    const pageA = await countQueries(() =>
      call(app, 'GET', `${SYNC}?cursor=${a.cursor}`, { token: small.owner.access }),
    );
    const pageB = await countQueries(() =>
      call(app, 'GET', `${SYNC}?cursor=${b.cursor}`, { token: large.owner.access }),
    );
    // 4 changes against 24 (twenty edits of one item collapse into one upsert).
    assert.equal(pageA.result.body.changes.length, 4);
    assert.equal(pageB.result.body.changes.length, 5);
    assert.equal(pageA.count, pageB.count, 'change pages');
  });
});
