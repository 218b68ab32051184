import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { and, count, eq } from 'drizzle-orm';
import { changes, syncMutations } from '../src/db/schema/index.ts';
import { buildTestApp, call } from './helpers/app.ts';
import { testDatabase } from './helpers/database.ts';
import { createUser, type TestUser } from './helpers/factories.ts';
import { OfflineClient, SYNC } from './sync-harness.ts';

const { app } = await buildTestApp();
const { db } = await testDatabase();
const API = '/api/v1';

// ---- helpers ------------------------------------------------------------------------------------

async function ok(user: TestUser, method: 'POST' | 'PATCH' | 'DELETE', url: string, body?: unknown) {
  const response = await call(app, method, `${API}${url}`, { token: user.access, body });
  assert.ok(response.status < 300, `${method} ${url}: ${response.status} ${response.text}`);
  return response.body;
}

async function get(user: TestUser, url: string) {
  return call(app, 'GET', `${API}${url}`, { token: user.access });
}

/** An owner and an editor sharing a dated trip with one day, two items and a poll; both devices synced. */
async function team() {
  const [owner, editor] = [await createUser(app), await createUser(app)];
  const trip = await ok(owner, 'POST', '/trips/', {
    title: 'Porto',
    start_date: '2030-05-01',
    end_date: '2030-05-09',
  });
  await ok(owner, 'POST', `/trips/${trip.id}/collaborators/${editor.id}/`, { role: 'editor' });
  const day = await ok(owner, 'POST', '/itineraries/', { trip: trip.id, date: '2030-05-01' });
  const items = [
    await ok(owner, 'POST', `/itineraries/${day.id}/items/`, { title: 'Ribeira' }),
    await ok(owner, 'POST', `/itineraries/${day.id}/items/`, { title: 'Livraria' }),
  ];
  const poll = await ok(owner, 'POST', '/polls/', {
    trip: trip.id,
    question: 'Port?',
    options: ['Tawny', 'Ruby'],
  });
  const a = new OfflineClient(app, owner);
  const b = new OfflineClient(app, editor);
  await a.pull();
  await b.pull();
  return { owner, editor, trip, day, items, poll, a, b };
}

/** The id of the one day a synced client holds. */
async function getDay(_user: TestUser, client: OfflineClient) {
  const [day] = client.all('itinerary');
  assert.ok(day);
  return { day: day.id };
}

async function freshState(user: TestUser) {
  const client = new OfflineClient(app, user);
  await client.pull();
  return client.state();
}

const logCount = async (actorId: string) =>
  Number((await db.select({ n: count() }).from(changes).where(eq(changes.actorId, actorId)))[0]!.n);

// ---- acceptance scenarios -----------------------------------------------------------------------

describe('sync push: offline clients', () => {
  it('two clients edit different fields of one item offline: both apply, both converge', async () => {
    const { items, a, b, owner, editor } = await team();
    a.edit('item', items[0].id, { title: 'Cais da Ribeira' });
    b.edit('item', items[0].id, { location: 'Porto' });
    const [resultA] = await a.push();
    const [resultB] = await b.push();
    assert.equal(resultA.status, 'applied');
    assert.equal(resultA.version, 2);
    assert.equal(resultB.status, 'applied', JSON.stringify(resultB));
    assert.equal(resultB.version, 3);
    assert.equal(resultB.object.title, 'Cais da Ribeira', 'the merged object has both edits');
    await a.pull();
    await b.pull();
    const server = (await get(owner, `/itineraries/items/${items[0].id}/`)).body;
    assert.equal(server.title, 'Cais da Ribeira');
    assert.equal(server.location, 'Porto');
    assert.deepEqual(a.get('item', items[0].id)!.object, server);
    assert.deepEqual(b.get('item', items[0].id)!.object, server);
    assert.deepEqual(a.state(), await freshState(owner));
    assert.deepEqual(b.state(), await freshState(editor));
  });

  it('the same field: one applies, the other is a conflict naming it, and the server keeps the winner', async () => {
    const { items, a, b, editor } = await team();
    a.edit('item', items[1].id, { title: 'Lello' });
    b.edit('item', items[1].id, { title: 'Livraria Lello', description: 'Books' });
    assert.equal((await a.push())[0].status, 'applied');
    const writesBefore = await logCount(editor.id);
    const [loser] = await b.push();
    assert.equal(loser.status, 'conflict');
    assert.deepEqual(loser.conflict, { reason: 'edited', fields: ['title'] });
    assert.equal(loser.object.title, 'Lello', 'the conflict carries the server copy');
    assert.equal(loser.version, 2);
    const server = (await get(editor, `/itineraries/items/${items[1].id}/`)).body;
    assert.equal(server.title, 'Lello');
    assert.equal(server.description, '', 'nothing of the losing mutation was written');
    assert.equal(server.version, 2);
    assert.equal(await logCount(editor.id), writesBefore);
    await a.pull();
    await b.pull();
    assert.deepEqual(b.get('item', items[1].id)!.object, server);
    assert.deepEqual(a.get('item', items[1].id)!.object, server);
  });

  it('a delete racing an edit: the delete wins either way, and an edit of the deleted object says so', async () => {
    const { items, a, b, owner, editor } = await team();
    // Edit first, then the delete: the delete still applies.
    b.edit('item', items[0].id, { title: 'Edited' });
    a.remove('item', items[0].id);
    assert.equal((await b.push())[0].status, 'applied');
    const [deleted] = await a.push();
    assert.equal(deleted.status, 'applied');
    assert.equal(deleted.object, null);
    assert.equal((await get(owner, `/itineraries/items/${items[0].id}/`)).status, 404);
    // Delete first, then the edit: a conflict that names the deletion.
    a.remove('item', items[1].id);
    b.edit('item', items[1].id, { title: 'Too late' });
    assert.equal((await a.push())[0].status, 'applied');
    const [late] = await b.push();
    assert.equal(late.status, 'conflict');
    assert.deepEqual(late.conflict, { reason: 'deleted', fields: ['title'] });
    assert.equal(late.object, null);
    assert.equal((await get(owner, `/itineraries/items/${items[1].id}/`)).status, 404);
    // Deleting again is already done, not an error.
    a.remove('item', items[1].id);
    assert.equal((await a.push())[0].status, 'applied');
    // Creating inside a day deleted meanwhile: a conflict naming the parent.
    const { day } = await getDay(owner, a);
    a.remove('itinerary', day);
    b.create('item', { itinerary: day, title: 'Orphan' });
    assert.equal((await a.push())[0].status, 'applied');
    const [orphan] = await b.push();
    assert.equal(orphan.status, 'conflict');
    assert.deepEqual(orphan.conflict, { reason: 'deleted', fields: ['itinerary'] });
    await a.pull();
    await b.pull();
    assert.deepEqual(a.state(), await freshState(owner));
    assert.deepEqual(b.state(), await freshState(editor));
    assert.equal(b.all('item').length, 0);
  });

  it('replaying a whole batch changes nothing and returns the first results', async () => {
    const { trip, day, items, poll, a, owner } = await team();
    const dayId = a.create('itinerary', { trip: trip.id, date: '2030-05-03', title: 'Douro' });
    a.create('item', { itinerary: dayId, title: 'Boat' });
    a.edit('item', items[0].id, { title: 'Replayed?' });
    a.edit('itinerary', day.id, { notes: 'Rain' });
    a.vote(poll.id, poll.options[0].id);
    a.edit('item', items[1].id, { title: '' }); // rejected
    const batch = [...a.outbox];
    const first = await a.push();
    assert.deepEqual(
      first.map((r) => r.status),
      ['applied', 'applied', 'applied', 'applied', 'applied', 'rejected'],
    );
    const logBefore = await logCount(owner.id);
    const stored = await db
      .select({ n: count() })
      .from(syncMutations)
      .where(eq(syncMutations.userId, owner.id));
    const second = await a.push(batch);
    const third = await a.push(batch);
    for (const again of [second, third]) {
      assert.ok(again.every((r) => r.replayed));
      assert.deepEqual(
        again.map(({ replayed: _r, ...rest }) => rest),
        first.map(({ replayed: _r, ...rest }) => rest),
      );
    }
    assert.equal(await logCount(owner.id), logBefore, 'no new writes');
    assert.deepEqual(
      await db.select({ n: count() }).from(syncMutations).where(eq(syncMutations.userId, owner.id)),
      stored,
    );
    assert.equal((await get(owner, `/polls/${poll.id}/`)).body.total_votes, 1);
    assert.equal((await get(owner, `/itineraries/${dayId}/`)).body.item_count, 1);
  });

  it('a batch creating a day and its items offline applies in one push', async () => {
    const { trip, a, owner, editor, b } = await team();
    const dayId = a.create('itinerary', { trip: trip.id, date: '2030-05-04', title: 'Braga' });
    const itemIds = ['Bom Jesus', 'Sé', 'Lunch'].map((title) =>
      a.create('item', { itinerary: dayId, title }),
    );
    const results = await a.push();
    assert.deepEqual(
      results.map((r) => [r.status, r.id]),
      [dayId, ...itemIds].map((id) => ['applied', id]),
    );
    const day = (await get(owner, `/itineraries/${dayId}/`)).body;
    assert.deepEqual(
      day.items.map((i: any) => [i.id, i.order]),
      itemIds.map((id, index) => [id, index]),
    );
    await b.pull();
    assert.deepEqual(b.state(), await freshState(editor));
    assert.deepEqual(
      b
        .all('item')
        .filter((h) => h.object.itinerary === dayId)
        .map((h) => h.object.title)
        .sort(),
      ['Bom Jesus', 'Lunch', 'Sé'],
    );
  });
});

describe('sync push: rules are the REST rules', () => {
  it('rejections carry the REST endpoint’s error in the envelope shape; nothing is written', async () => {
    const { trip, items, a, owner } = await team();
    const viewer = await createUser(app);
    const stranger = await createUser(app);
    await ok(owner, 'POST', `/trips/${trip.id}/collaborators/${viewer.id}/`, { role: 'viewer' });
    const rest = await call(app, 'PATCH', `${API}/itineraries/items/${items[0].id}/`, {
      token: owner.access,
      body: { title: 'x'.repeat(201), end_time: '25:00' },
    });
    a.edit('item', items[0].id, { title: 'x'.repeat(201), end_time: '25:00' });
    const [invalid] = await a.push();
    assert.equal(invalid.status, 'rejected');
    assert.equal(invalid.error.error.code, 400);
    assert.equal(invalid.error.error.type, 'validation_error');
    assert.deepEqual(invalid.error.error.details, rest.body.error.details);
    assert.equal(typeof invalid.error.error.request_id, 'string');

    for (const [user, code, type] of [
      [viewer, 403, 'permission_denied'],
      [stranger, 404, 'not_found'],
    ] as const) {
      const client = new OfflineClient(app, user);
      const mutation = {
        mutation_id: randomUUID(),
        entity: 'item',
        op: 'update' as const,
        id: items[0].id,
        base_version: 1,
        fields: { title: 'Mine' },
      };
      const [result] = await client.push([mutation]);
      assert.equal(result.status, 'rejected');
      assert.equal(result.error.error.code, code);
      assert.equal(result.error.error.type, type);
      const restError = await call(app, 'PATCH', `${API}/itineraries/items/${items[0].id}/`, {
        token: user.access,
        body: { title: 'Mine' },
      });
      assert.equal(restError.status, code);
      // A replay of the rejection is the same rejection.
      const [again] = await client.push([mutation]);
      assert.deepEqual({ ...again, replayed: false }, result);
      assert.equal(again.replayed, true);
    }
    assert.equal((await get(owner, `/itineraries/items/${items[0].id}/`)).body.version, 1);

    // A create in someone else's trip, a day outside the trip's dates, an update without a base.
    const results = await new OfflineClient(app, stranger).push([
      {
        mutation_id: 'm1',
        entity: 'itinerary',
        op: 'create',
        id: randomUUID(),
        fields: { trip: trip.id, date: '2030-05-02' },
      },
    ]);
    assert.equal(results[0].error.error.code, 404);
    const more = await a.push([
      {
        mutation_id: 'm2',
        entity: 'itinerary',
        op: 'create',
        id: randomUUID(),
        fields: { trip: trip.id, date: '2031-01-01' },
      },
      { mutation_id: 'm3', entity: 'item', op: 'update', id: items[0].id, fields: { title: 'No base' } },
      { mutation_id: 'm4', entity: 'vote', op: 'update', id: randomUUID(), fields: {} },
    ]);
    assert.deepEqual(
      more.map((r) => [r.status, Object.keys(r.error.error.details)]),
      [
        ['rejected', ['date']],
        ['rejected', ['base_version']],
        ['rejected', ['op']],
      ],
    );
  });

  it('field-level merge on trips and days: disjoint fields apply from a stale base; overlaps conflict alone', async () => {
    const { trip, day, a, b, owner } = await team();
    a.edit('trip', trip.id, { description: 'Port wine', status: 'planned' });
    b.edit('trip', trip.id, { title: 'Porto & Douro' });
    b.edit('itinerary', day.id, { title: 'Arrival' });
    assert.equal((await a.push())[0].status, 'applied');
    await ok(owner, 'PATCH', `/itineraries/${day.id}/`, { notes: 'Check in at 3' });
    const [tripResult, dayResult] = await b.push();
    assert.equal(tripResult.status, 'applied');
    assert.equal(tripResult.object.description, 'Port wine');
    assert.equal(tripResult.object.title, 'Porto & Douro');
    assert.equal(dayResult.status, 'applied');
    assert.equal(dayResult.object.notes, 'Check in at 3');
    assert.equal(dayResult.object.title, 'Arrival');
    assert.equal(dayResult.object.items, undefined, 'days travel without their items');

    // Stale base, one overlapping field among others: a conflict naming only that field.
    a.edit('trip', trip.id, { title: 'Mine', visibility: 'shared' });
    await b.pull();
    b.edit('trip', trip.id, { title: 'Theirs' });
    await b.push();
    const [conflict] = await a.push();
    assert.deepEqual(conflict.conflict, { reason: 'edited', fields: ['title'] });
    assert.equal((await get(owner, `/trips/${trip.id}/`)).body.visibility, 'private');
    // Both sides setting the same value is no conflict.
    a.edit('trip', trip.id, { title: 'Theirs' });
    const current = (await get(owner, `/trips/${trip.id}/`)).body.version;
    const [same] = await a.push([{ ...a.outbox.pop()!, base_version: current - 1 }]);
    assert.equal(same.status, 'applied');
  });

  it('two offline edits of one object in one batch do not conflict with each other', async () => {
    const { items, a, owner } = await team();
    a.edit('item', items[0].id, { title: 'First' });
    a.edit('item', items[0].id, { title: 'Second' });
    const results = await a.push();
    assert.deepEqual(
      results.map((r) => r.status),
      ['applied', 'applied'],
    );
    assert.equal((await get(owner, `/itineraries/items/${items[0].id}/`)).body.title, 'Second');
  });

  it('trips, polls and votes: create offline, children in the same batch, edit, close, delete', async () => {
    const owner = await createUser(app);
    const editor = await createUser(app);
    const client = new OfflineClient(app, owner);
    assert.deepEqual(await client.pull(), []);
    const tripId = client.create('trip', { title: 'Offline trip', start_date: '2030-07-01' });
    const pollId = client.create('poll', { trip: tripId, question: 'Where?', options: ['Sea', 'Hills'] });
    client.create('itinerary', { trip: tripId, date: '2030-07-02' });
    const results = await client.push();
    assert.deepEqual(
      results.map((r) => r.status),
      ['applied', 'applied', 'applied'],
    );
    assert.equal(results[0].object.user_role, 'owner');
    const options = results[1].object.options;
    client.vote(pollId, options[1].id);
    client.edit('poll', pollId, { question: 'Where to?' });
    const [voted, edited] = await client.push();
    assert.equal(voted.object_entity, 'poll');
    assert.equal(voted.object.total_votes, 1);
    assert.equal(voted.object.options[1].user_voted, true);
    assert.equal(voted.version, 2, 'the pushed vote answers with the version it gave the poll');
    assert.equal(voted.object.version, 2);
    assert.equal(edited.status, 'applied', 'a vote bumps the version but touches no edited field');
    assert.equal(edited.version, 3);
    assert.equal(edited.object.question, 'Where to?');

    // A retried create with a fresh mutation id returns the same object, no duplicate.
    const [retry] = await client.push([
      {
        mutation_id: randomUUID(),
        entity: 'trip',
        op: 'create',
        id: tripId,
        fields: { title: 'Offline trip' },
      },
    ]);
    assert.equal(retry.status, 'applied');
    assert.equal((await get(owner, '/trips/')).body.count, 1);

    await ok(owner, 'POST', `/trips/${tripId}/collaborators/${editor.id}/`, { role: 'editor' });
    const other = new OfflineClient(app, editor);
    await other.pull();
    other.remove('trip', tripId);
    other.remove('poll', pollId);
    other.vote(pollId, options[0].id, 'create');
    const [tripDelete, pollDelete] = await other.push();
    assert.equal(tripDelete.error.error.code, 403, 'only an owner deletes a trip');
    assert.equal(pollDelete.error.error.code, 403, 'only the creator or an owner deletes a poll');

    client.remove('poll', pollId);
    assert.equal((await client.push())[0].status, 'applied');
    other.vote(pollId, options[0].id);
    const [lateVote] = await other.push();
    assert.equal(lateVote.status, 'conflict');
    assert.deepEqual(lateVote.conflict, { reason: 'deleted', fields: ['option_id'] });
    client.remove('trip', tripId);
    assert.equal((await client.push())[0].status, 'applied');
    const [goneTrip] = await other.push([
      {
        mutation_id: randomUUID(),
        entity: 'trip',
        op: 'update',
        id: tripId,
        base_version: 1,
        fields: { title: 'Gone?' },
      },
    ]);
    assert.equal(goneTrip.status, 'conflict', 'the editor took part in the trip: told it was deleted');
    assert.equal(goneTrip.conflict.reason, 'deleted');
    await client.pull();
    await other.pull();
    assert.equal(client.store.size, 0);
    assert.equal(other.store.size, 0);
  });

  it('a trip created by a push and lost before the next pull becomes a tombstone; the cursor comes back as sent', async () => {
    const owner = await createUser(app);
    const coOwner = await createUser(app);
    const client = new OfflineClient(app, owner);
    await client.pull();
    const sent = client.cursor;
    const tripId = client.create('trip', { title: 'Short-lived' });
    client.create('itinerary', { trip: tripId, date: '2030-01-01' });
    await client.push();
    assert.equal(client.cursor, sent);
    assert.equal(client.all('itinerary').length, 1);
    await ok(owner, 'POST', `/trips/${tripId}/collaborators/${coOwner.id}/`, { role: 'owner' });
    await ok(coOwner, 'DELETE', `/trips/${tripId}/`);
    const received = await client.pull();
    assert.deepEqual(
      received.map((e) => [e.entity, e.op, e.id]),
      [['trip', 'delete', tripId]],
    );
    assert.equal(client.store.size, 0);
    const bad = await call(app, 'POST', SYNC, {
      token: owner.access,
      body: { client_id: 'x', mutations: [], cursor: 'nope' },
    });
    assert.equal(bad.status, 400);
    assert.ok(bad.body.error.details.cursor);
  });

  it('refuses malformed batches as a whole; a reused mutation id for another mutation is rejected', async () => {
    const { a, items, owner } = await team();
    for (const body of [
      {},
      { client_id: '', mutations: [] },
      { client_id: 'x', mutations: [{ mutation_id: 'm', entity: 'chat', op: 'create', id: randomUUID() }] },
      { client_id: 'x', mutations: [{ mutation_id: 'm', entity: 'item', op: 'create', id: 'not-a-uuid' }] },
    ]) {
      const response = await call(app, 'POST', SYNC, { token: owner.access, body });
      assert.equal(response.status, 400, JSON.stringify(body));
      assert.equal(response.body.error.type, 'validation_error');
    }
    const mutation = {
      mutation_id: 'same',
      entity: 'item',
      op: 'update' as const,
      id: items[0].id,
      base_version: 1,
      fields: { title: 'A' },
    };
    assert.equal((await a.push([mutation]))[0].status, 'applied');
    const [reused] = await a.push([{ ...mutation, id: items[1].id }]);
    assert.equal(reused.status, 'rejected');
    assert.equal(reused.error.error.type, 'mutation_id_reused');
    assert.equal((await get(owner, `/itineraries/items/${items[1].id}/`)).body.version, 1);
    const rows = await db
      .select()
      .from(syncMutations)
      .where(and(eq(syncMutations.userId, owner.id), eq(syncMutations.mutationId, 'same')));
    assert.equal(rows.length, 1);
  });
});
