import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { and, eq } from 'drizzle-orm';
import { changes, chatMessages, tripMembers, users } from '../src/db/schema/index.ts';
import { buildTestApp, call } from './helpers/app.ts';
import { assertEnvelope } from './helpers/assertions.ts';
import { countQueries, testDatabase } from './helpers/database.ts';
import { createUser } from './helpers/factories.ts';
import { addMember, makeTrip, tripWithMembers } from './helpers/realtime.ts';

const { app } = await buildTestApp();
const { db } = await testDatabase();

const post = (tripId: string, token: string, body: unknown, headers?: Record<string, string>) =>
  call(app, 'POST', `/api/v1/trips/${tripId}/messages/`, { token, body, headers });
const messageChanges = (id: string) =>
  db
    .select()
    .from(changes)
    .where(and(eq(changes.entity, 'message'), eq(changes.entityId, id)));

describe('reading messages', () => {
  it('pages newest first with before/after cursors and a limit', async () => {
    const owner = await createUser(app);
    const trip = await makeTrip(app, owner);
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push((await post(trip.id, owner.access, { content: `m${i}` })).body.id);
    const url = `/api/v1/trips/${trip.id}/messages/`;
    const first = await call(app, 'GET', `${url}?limit=3`, { token: owner.access });
    assert.equal(first.status, 200);
    assert.deepEqual(
      first.body.results.map((m: any) => m.content),
      ['m6', 'm5', 'm4'],
    );
    assert.equal(first.body.has_more, true);
    assert.equal(first.body.previous, null);
    const older = await call(
      app,
      'GET',
      new URL(first.body.next).pathname + new URL(first.body.next).search,
      {
        token: owner.access,
      },
    );
    assert.deepEqual(
      older.body.results.map((m: any) => m.content),
      ['m3', 'm2', 'm1'],
    );
    const after = await call(app, 'GET', `${url}?after=${ids[1]}&limit=2`, { token: owner.access });
    assert.deepEqual(
      after.body.results.map((m: any) => m.content),
      ['m3', 'm2'],
    );
    assert.equal(after.body.has_more, true);
    assert.ok(after.body.previous.includes(`after=${ids[3]}`));
    assert.ok(after.body.next.includes(`before=${ids[2]}`));
    const last = await call(app, 'GET', `${url}?before=${ids[1]}`, { token: owner.access });
    assert.deepEqual(
      last.body.results.map((m: any) => m.content),
      ['m0'],
    );
    assert.equal(last.body.has_more, false);
    assert.equal(last.body.next, null);

    const both = await call(app, 'GET', `${url}?before=${ids[1]}&after=${ids[0]}`, { token: owner.access });
    assert.equal(both.status, 400);
    const foreign = await call(app, 'GET', `${url}?before=${randomUUID()}`, { token: owner.access });
    assert.equal(foreign.status, 400);
    assert.equal((await call(app, 'GET', `${url}?limit=101`, { token: owner.access })).status, 400);
  });

  it('reads the same page through the room path; non-members get 404', async () => {
    const owner = await createUser(app);
    const trip = await makeTrip(app, owner);
    await post(trip.id, owner.access, { content: 'Room path' });
    const rooms = await call(app, 'GET', '/api/v1/chat/rooms/', { token: owner.access });
    const room = rooms.body.results.find((r: any) => r.trip === trip.id);
    const page = await call(app, 'GET', `/api/v1/chat/rooms/${room.id}/messages/`, { token: owner.access });
    assert.equal(page.body.results[0].content, 'Room path');
    const stranger = await createUser(app);
    assert.equal(
      (await call(app, 'GET', `/api/v1/chat/rooms/${room.id}/messages/`, { token: stranger.access })).status,
      404,
    );
    assert.equal(
      (await call(app, 'GET', `/api/v1/trips/${trip.id}/messages/`, { token: stranger.access })).status,
      404,
    );
  });

  it('lists the caller’s rooms with counts and the last message, in a fixed number of queries', async () => {
    const owner = await createUser(app);
    const quiet = await makeTrip(app, owner, 'Quiet trip');
    const busy = await makeTrip(app, owner, 'Busy trip');
    await post(busy.id, owner.access, { content: 'one' });
    const second = await post(busy.id, owner.access, { content: 'two' });
    await call(app, 'DELETE', `/api/v1/chat/messages/${second.body.id}/`, { token: owner.access });
    const rooms = await call(app, 'GET', '/api/v1/chat/rooms/', { token: owner.access });
    assert.equal(rooms.status, 200);
    assert.equal(rooms.body.count, 2);
    const [first, next] = rooms.body.results;
    assert.equal(first.trip, busy.id, 'most recently active first');
    assert.equal(first.trip_title, 'Busy trip');
    assert.equal(first.message_count, 1, 'deleted messages are not counted');
    assert.equal(first.last_message.content, 'one');
    assert.equal(next.trip, quiet.id);
    assert.equal(next.message_count, 0);
    assert.equal(next.last_message, null);

    // Posts are published live in the background: let that finish so only the list is counted.
    const listQueries = async () => {
      await new Promise((resolve) => setTimeout(resolve, 300));
      return (await countQueries(() => call(app, 'GET', '/api/v1/chat/rooms/', { token: owner.access })))
        .count;
    };
    const few = await listQueries();
    for (let i = 0; i < 3; i++)
      await post((await makeTrip(app, owner)).id, owner.access, { content: `t${i}` });
    assert.equal(await listQueries(), few);
  });
});

describe('the newest page (a kept answer)', () => {
  it('a repeated read answers the messages as they are now: posts, edits, senders, replies; access every time', async () => {
    // The newest page is kept serialized and checked against a fingerprint of its rows on every
    // read (chat/newest-page.ts): each change below must show in the very next read.
    const { trip, owner, editor, viewer } = await tripWithMembers(app);
    const url = `/api/v1/trips/${trip.id}/messages/?limit=3`;
    const read = async (path = url, token = viewer.access) => {
      const response = await call(app, 'GET', path, { token });
      assert.equal(response.status, 200, response.text);
      return response;
    };
    const contents = async () => (await read()).body.results.map((m: { content: string }) => m.content);
    const first = await post(trip.id, owner.access, { content: 'Where do we meet?' });
    const reply = await post(trip.id, editor.access, { content: 'At the station', reply_to: first.body.id });
    const before = await read();
    assert.equal((await read()).text, before.text, 'unchanged rows: the same answer');
    assert.equal((await countQueries(() => read())).count, 1, 'served kept: one statement');
    assert.equal(before.body.results[0].reply_to.content, 'Where do we meet?');

    await post(trip.id, viewer.access, { content: 'See you there' });
    assert.deepEqual(await contents(), ['See you there', 'At the station', 'Where do we meet?']);
    assert.equal((await read()).body.has_more, true, 'the two join messages are older');

    // The replied-to message and a sender change underneath, not through the page's own rows.
    await db
      .update(chatMessages)
      .set({ content: 'Where shall we meet?' })
      .where(eq(chatMessages.id, first.body.id));
    assert.equal((await read()).body.results[1].reply_to.content, 'Where shall we meet?');
    await db.update(users).set({ firstName: 'Edwina' }).where(eq(users.id, editor.id));
    const renamed = (await read()).body.results[1];
    assert.equal(renamed.id, reply.body.id);
    assert.match(renamed.sender.full_name, /^Edwina/);
    const quoted = await post(trip.id, owner.access, { content: 'Fine', reply_to: reply.body.id });
    await db
      .update(users)
      .set({ email: `x-${editor.email}` })
      .where(eq(users.id, editor.id));
    const withQuote = (await read()).body.results[0];
    assert.equal(withQuote.id, quoted.body.id);
    assert.equal(
      withQuote.reply_to.sender_email,
      `x-${editor.email}`,
      "a quoted message's sender counts too",
    );

    const deleted = await call(app, 'DELETE', `/api/v1/chat/messages/${quoted.body.id}/`, {
      token: owner.access,
    });
    assert.equal(deleted.status, 204, deleted.text);
    const tombstone = (await read()).body.results[0];
    assert.equal(tombstone.is_deleted, true);
    assert.equal(tombstone.content, '');

    // Another limit is another page; the room path answers the same messages.
    assert.equal((await read(url.replace('limit=3', 'limit=100'))).body.has_more, false);
    const room = (await call(app, 'GET', '/api/v1/chat/rooms/', { token: viewer.access })).body.results.find(
      (r: { trip: string }) => r.trip === trip.id,
    );
    const byRoom = await read(`/api/v1/chat/rooms/${room.id}/messages/?limit=3`);
    assert.deepEqual(byRoom.body.results, (await read()).body.results);
    assert.ok(byRoom.body.next.startsWith('http://') && byRoom.body.next.includes(`/chat/rooms/${room.id}/`));

    // Access is checked on every read, kept answer or not.
    const stranger = await createUser(app);
    assert.equal((await call(app, 'GET', url, { token: stranger.access })).status, 404);
    await db.delete(tripMembers).where(eq(tripMembers.userId, viewer.id));
    for (const path of [url, `/api/v1/chat/rooms/${room.id}/messages/?limit=3`])
      assertEnvelope(await call(app, 'GET', path, { token: viewer.access }), 404);
  });
});

describe('editing and deleting', () => {
  it('lets the sender edit; unchanged content is not an edit; others get 403, strangers 404', async () => {
    const { trip, owner, editor } = await tripWithMembers(app);
    const message = (await post(trip.id, editor.access, { content: 'Draft' })).body;
    const url = `/api/v1/chat/messages/${message.id}/`;
    const same = await call(app, 'PATCH', url, { token: editor.access, body: { content: ' Draft ' } });
    assert.equal(same.status, 200);
    assert.equal(same.body.is_edited, false);
    assert.equal(same.body.version, 1);
    const edited = await call(app, 'PATCH', url, { token: editor.access, body: { content: 'Final' } });
    assert.equal(edited.body.content, 'Final');
    assert.equal(edited.body.is_edited, true);
    assert.equal(edited.body.version, 2);
    assert.equal((await messageChanges(message.id)).length, 2);

    const byOwner = await call(app, 'PATCH', url, { token: owner.access, body: { content: 'Hijack' } });
    assert.equal(byOwner.status, 403);
    const stranger = await createUser(app);
    assert.equal(
      (await call(app, 'PATCH', url, { token: stranger.access, body: { content: 'x' } })).status,
      404,
    );
    const blank = await call(app, 'PATCH', url, { token: editor.access, body: { content: '  ' } });
    assert.equal(blank.status, 400);
    const stale = await call(app, 'PATCH', url, {
      token: editor.access,
      body: { content: 'Late' },
      headers: { 'if-match': '"1"' },
    });
    assert.equal(stale.status, 412);
    assert.equal(stale.body.error.details.current.content, 'Final');
  });

  it('lets the sender or the owner delete, leaving a tombstone; editors cannot delete others’ messages', async () => {
    const { trip, owner, editor, viewer } = await tripWithMembers(app);
    const byViewer = (await post(trip.id, viewer.access, { content: 'Viewer message' })).body;
    const url = `/api/v1/chat/messages/${byViewer.id}/`;
    assert.equal((await call(app, 'DELETE', url, { token: editor.access })).status, 403);
    assert.equal((await call(app, 'DELETE', url, { token: owner.access })).status, 204);
    assert.equal((await call(app, 'DELETE', url, { token: owner.access })).status, 204, 'idempotent');
    const read = await call(app, 'GET', url, { token: viewer.access });
    assert.equal(read.body.is_deleted, true);
    assert.equal(read.body.content, '');
    const logged = await messageChanges(byViewer.id);
    assert.equal(logged.length, 2, 'one insert and one delete, the repeat logged nothing');
    assert.deepEqual(logged[1]!.fields, ['content', 'is_deleted']);
    const edit = await call(app, 'PATCH', url, { token: viewer.access, body: { content: 'Back' } });
    assert.equal(edit.status, 400);
    assert.equal(edit.body.error.type, 'message_deleted');

    const own = (await post(trip.id, viewer.access, { content: 'Mine to delete' })).body;
    assert.equal(
      (await call(app, 'DELETE', `/api/v1/chat/messages/${own.id}/`, { token: viewer.access })).status,
      204,
    );
  });
});

describe('system messages', () => {
  it('announces a new member in the chat, written by the server with no sender', async () => {
    const owner = await createUser(app);
    const ana = await createUser(app, { first_name: 'Ana', last_name: 'Silva' });
    const trip = await makeTrip(app, owner);
    await addMember(app, trip.id, owner, ana, 'viewer');
    // Read-your-writes: the add's response waited for the announcement, so no polling is needed.
    const page = await call(app, 'GET', `/api/v1/trips/${trip.id}/messages/`, { token: ana.access });
    const announced = page.body.results.filter((m: any) => m.message_type === 'system');
    assert.equal(announced.length, 1, 'the owner, added with the new trip, is not announced');
    const announcement = announced[0];
    assert.equal(announcement.content, 'Ana Silva joined the trip');
    assert.equal(announcement.sender, null);
    assert.equal((await messageChanges(announcement.id)).length, 1);
  });
});
