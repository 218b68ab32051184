import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { and, eq } from 'drizzle-orm';
import { changes, chatMessages } from '../src/db/schema/index.ts';
import { buildTestApp, call } from './helpers/app.ts';
import { countQueries, testDatabase } from './helpers/database.ts';
import { createUser } from './helpers/factories.ts';
import { makeTrip, tripWithMembers } from './helpers/realtime.ts';
import { roomOfTrip } from '../src/modules/chat/queries.ts';
import { AppError } from '../src/http/errors.ts';

const { app } = await buildTestApp();
const { db } = await testDatabase();

const post = (tripId: string, token: string, body: unknown, headers?: Record<string, string>) =>
  call(app, 'POST', `/api/v1/trips/${tripId}/messages/`, { token, body, headers });
const messageChanges = (id: string) =>
  db
    .select()
    .from(changes)
    .where(and(eq(changes.entity, 'message'), eq(changes.entityId, id)));

describe('posting messages over REST', () => {
  it('posts a trimmed message, logs the change, and returns the full object', async () => {
    const { trip, owner } = await tripWithMembers(app);
    const response = await post(trip.id, owner.access, { content: '  Hello team  ', client_id: 'm-1' });
    assert.equal(response.status, 201, response.text);
    const message = response.body;
    assert.equal(message.content, 'Hello team');
    assert.equal(message.client_id, 'm-1');
    assert.equal(message.trip_id, trip.id);
    assert.equal(message.chat_room, message.chat_room_id);
    assert.equal(message.message_type, 'text');
    assert.deepEqual(Object.keys(message.sender).sort(), ['email', 'full_name', 'id', 'username']);
    assert.equal(message.sender.id, owner.id);
    assert.equal(message.is_edited, false);
    assert.equal(message.version, 1);
    assert.equal(response.headers.etag, '"1"');
    const logged = await messageChanges(message.id);
    assert.equal(logged.length, 1);
    assert.equal(logged[0]!.op, 'insert');
    assert.equal(logged[0]!.tripId, trip.id);
  });

  it('applies the content rules: blank, whitespace-only and over 10000 characters are 400s, nothing written', async () => {
    const { trip, owner } = await tripWithMembers(app);
    for (const content of ['', '   \n\t ', 'x'.repeat(10_001)]) {
      const response = await post(trip.id, owner.access, { content, client_id: `bad-${content.length}` });
      assert.equal(response.status, 400, content.slice(0, 10));
      assert.equal(response.body.error.type, 'validation_error');
      assert.ok(response.body.error.details.content);
    }
    const rows = await db.select().from(chatMessages).where(eq(chatMessages.senderId, owner.id));
    assert.equal(rows.length, 0);
    // Exactly 10000 characters (counted as code points, so emoji count once) is fine.
    const max = await post(trip.id, owner.access, { content: '🙂'.repeat(10_000) });
    assert.equal(max.status, 201);
    const padded = await post(trip.id, owner.access, { content: `  ${'y'.repeat(10_000)}  ` });
    assert.equal(padded.status, 201);
  });

  it('refuses system messages from clients and unknown message types', async () => {
    const { trip, owner } = await tripWithMembers(app);
    const system = await post(trip.id, owner.access, { content: 'I am the server', message_type: 'system' });
    assert.equal(system.status, 400);
    assert.deepEqual(system.body.error.details.message_type, ['Only the server writes system messages.']);
    const odd = await post(trip.id, owner.access, { content: 'x', message_type: 'video' });
    assert.equal(odd.status, 400);
    const file = await post(trip.id, owner.access, {
      content: 'https://example.test/a.pdf',
      message_type: 'file',
    });
    assert.equal(file.status, 201);
    assert.equal(file.body.message_type, 'file');
  });

  it('accepts replies in the same room only, with a 100-character preview', async () => {
    const { trip, owner, editor } = await tripWithMembers(app);
    const long = 'a'.repeat(150);
    const first = await post(trip.id, owner.access, { content: long });
    const reply = await post(trip.id, editor.access, { content: 'Agreed', reply_to: first.body.id });
    assert.equal(reply.status, 201);
    assert.deepEqual(reply.body.reply_to, {
      id: first.body.id,
      content: 'a'.repeat(100),
      sender_email: owner.email,
    });

    const other = await makeTrip(app, owner, 'Elsewhere');
    const foreign = await post(other.id, owner.access, { content: 'In another trip' });
    const cross = await post(trip.id, owner.access, {
      content: 'Cross-trip reply',
      reply_to: foreign.body.id,
    });
    assert.equal(cross.status, 400);
    assert.deepEqual(cross.body.error.details.reply_to, ['No such message in this chat room.']);
    const missing = await post(trip.id, owner.access, { content: 'Ghost', reply_to: randomUUID() });
    assert.equal(missing.status, 400);
  });

  it('lets viewers post (the policy grants them chat.post); non-members get 404', async () => {
    const { trip, viewer } = await tripWithMembers(app);
    assert.equal((await post(trip.id, viewer.access, { content: 'Viewer here' })).status, 201);
    const stranger = await createUser(app);
    assert.equal((await post(trip.id, stranger.access, { content: 'Let me in' })).status, 404);
    assert.equal((await post(randomUUID(), stranger.access, { content: 'Nowhere' })).status, 404);
    assert.equal((await post(trip.id, '', { content: 'anon' })).status, 401);
  });

  it('does not duplicate a retried post (same client_id, id or Idempotency-Key)', async () => {
    const { trip, owner, editor } = await tripWithMembers(app);
    const first = await post(trip.id, owner.access, { content: 'Once', client_id: 'retry-1' });
    const again = await post(trip.id, owner.access, { content: 'Once', client_id: 'retry-1' });
    assert.equal(again.status, 201);
    assert.equal(again.headers['idempotent-replayed'], 'true');
    assert.equal(again.body.id, first.body.id);
    // Another sender may use the same client_id: ids are per sender.
    const theirs = await post(trip.id, editor.access, { content: 'Mine', client_id: 'retry-1' });
    assert.notEqual(theirs.body.id, first.body.id);

    const id = randomUUID();
    assert.equal((await post(trip.id, owner.access, { id, content: 'With id' })).status, 201);
    const sameId = await post(trip.id, owner.access, { id, content: 'With id' });
    assert.equal(sameId.body.id, id);
    const stolen = await post(trip.id, editor.access, { id, content: 'Not yours' });
    assert.equal(stolen.status, 409);

    const key = randomUUID();
    const keyed = await post(trip.id, owner.access, { content: 'Keyed' }, { 'idempotency-key': key });
    const replay = await post(trip.id, owner.access, { content: 'Keyed' }, { 'idempotency-key': key });
    assert.equal(replay.body.id, keyed.body.id);
    const rows = await db.select().from(chatMessages).where(eq(chatMessages.tripId, trip.id));
    assert.equal(rows.filter((r) => r.content === 'Once').length, 1);
    assert.equal(rows.filter((r) => r.content === 'Keyed').length, 1);
  });

  it('posts through the chat/messages/ alias naming the room', async () => {
    const { trip, owner } = await tripWithMembers(app);
    const rooms = await call(app, 'GET', '/api/v1/chat/rooms/', { token: owner.access });
    const room = rooms.body.results.find((r: any) => r.trip === trip.id);
    const response = await call(app, 'POST', '/api/v1/chat/messages/', {
      token: owner.access,
      body: { chat_room: room.id, content: 'Via alias' },
    });
    assert.equal(response.status, 201, response.text);
    assert.equal(response.body.chat_room, room.id);
    const stranger = await createUser(app);
    const denied = await call(app, 'POST', '/api/v1/chat/messages/', {
      token: stranger.access,
      body: { chat_room: room.id, content: 'Hi' },
    });
    assert.equal(denied.status, 404);
  });
});

describe('the one-statement post', () => {
  it('answers a plain post exactly as the general path answers a reply, in two statements', async () => {
    const { trip, owner } = await tripWithMembers(app);
    const plain = await countQueries(() =>
      post(trip.id, owner.access, { content: 'plain', client_id: 'd-1' }),
    );
    assert.equal(plain.result.status, 201, plain.result.text);
    // The insert (authorized in the statement) and the log with COMMIT; a reply is read first.
    assert.equal(plain.count, 2, plain.statements.join('\n'));
    const reply = await countQueries(() =>
      post(trip.id, owner.access, { content: 'reply', reply_to: plain.result.body.id }),
    );
    assert.equal(reply.result.status, 201, reply.result.text);
    assert.ok(reply.count > 2, `${reply.count} statements`);
    const [a, b] = [plain.result.body, reply.result.body];
    assert.deepEqual(Object.keys(a).sort(), Object.keys(b).sort());
    assert.deepEqual(a.sender, b.sender);
    assert.equal(a.chat_room_id, b.chat_room_id);
    assert.equal(typeof a.created_at, 'string');
    assert.ok(Math.abs(Date.parse(a.created_at) - Date.now()) < 60_000, a.created_at);
    // What it answered is what is stored, as any reader of the room sees it.
    const [stored] = await db.select().from(chatMessages).where(eq(chatMessages.id, a.id));
    assert.equal(stored!.content, 'plain');
    assert.equal(stored!.clientId, 'd-1');
    assert.equal(stored!.createdAt.toISOString(), new Date(a.created_at).toISOString());
    assert.equal((await messageChanges(a.id)).length, 1);
  });

  it('leaves the unusual cases to the general path: strangers 404, retried client_id, blank content', async () => {
    const { trip, owner } = await tripWithMembers(app);
    const stranger = await createUser(app);
    const denied = await post(trip.id, stranger.access, { content: 'hi' });
    assert.equal(denied.status, 404, denied.text);
    const first = await post(trip.id, owner.access, { content: 'once', client_id: 'd-2' });
    const again = await post(trip.id, owner.access, { content: 'once', client_id: 'd-2' });
    assert.equal(first.status, 201);
    assert.equal(again.body.id, first.body.id, 'the retry returns the stored message');
    assert.equal((await messageChanges(first.body.id)).length, 1, 'logged once');
    const blank = await post(trip.id, stranger.access, { content: '   ' });
    assert.equal(blank.status, 404, 'membership is checked before content, as before');
  });
});

describe('a trip deleted while a post is under way', () => {
  it('is a 404, not a foreign-key 500, when its room is looked up after the delete', async () => {
    const owner = await createUser(app);
    const trip = await makeTrip(app, owner);
    assert.equal(
      (await call(app, 'DELETE', `/api/v1/trips/${trip.id}/`, { token: owner.access })).status,
      204,
    );
    // The post passed its membership check just before the delete; the room went with the trip.
    await assert.rejects(roomOfTrip(db, trip.id), (error: unknown) => {
      assert.ok(error instanceof AppError);
      assert.equal(error.statusCode, 404);
      return true;
    });
  });
});
