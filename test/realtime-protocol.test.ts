import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { call } from './helpers/app.ts';
import { createUser } from './helpers/factories.ts';
import { makeTrip, startRealtimeApp, tripWithMembers } from './helpers/realtime.ts';

const rt = await startRealtimeApp({ CORS_ALLOWED_ORIGINS: 'https://app.example.test' });
const { app } = rt;

describe('connecting', () => {
  it('sends history (newest 50, oldest first) and then presence', async () => {
    const owner = await createUser(app, { first_name: 'Olga' });
    const trip = await makeTrip(app, owner);
    for (let i = 0; i < 53; i++)
      await call(app, 'POST', `/api/v1/trips/${trip.id}/messages/`, {
        token: owner.access,
        body: { content: `m${i}` },
      });
    const client = await rt.connect(trip.id, owner);
    const history = await client.next('message_history');
    assert.equal(client.frames[0].type, 'message_history', 'history comes first');
    assert.equal(history.messages.length, 50);
    assert.equal(history.messages[0].content, 'm3');
    assert.equal(history.messages[49].content, 'm52');
    assert.equal(history.has_more, true);
    assert.match(history.cursor, /^\d+\.\d+$/);
    const presence = await client.next('presence');
    assert.deepEqual(
      presence.users.map((u: any) => u.id),
      [owner.id],
    );
    assert.deepEqual(Object.keys(presence.users[0]).sort(), ['email', 'full_name', 'id', 'username']);
  });

  it('accepts the token in the Authorization header and the /ws/trips/ alias', async () => {
    const { trip, editor } = await tripWithMembers(app);
    const client = await rt.connect(trip.id, editor, {
      path: '/ws/trips/',
      headers: { authorization: `Bearer ${editor.access}` },
    });
    await client.next('message_history');
    client.send({ type: 'ping' });
    await client.next('pong');
  });

  it('answers a plain GET (no upgrade) with 426 in the error envelope', async () => {
    const response = await call(app, 'GET', `/ws/chat/${randomUUID()}/`);
    assert.equal(response.status, 426);
    assert.equal(response.body.error.type, 'upgrade_required');
  });

  it('closes with 4001 for a missing, malformed or forged token', async () => {
    const { trip, owner } = await tripWithMembers(app);
    for (const query of ['', 'token=', 'token=not-a-jwt', `token=${owner.access.slice(0, -3)}abc`]) {
      const client = await rt.connect(trip.id, null, { query });
      const closed = await client.closed;
      assert.equal(closed.code, 4001, query);
      assert.equal(client.frames.length, 0);
    }
  });

  it('closes with 4003 for non-members, unknown trips and malformed trip ids', async () => {
    const { trip } = await tripWithMembers(app);
    const stranger = await createUser(app);
    for (const tripId of [trip.id, randomUUID(), 'not-a-uuid']) {
      const client = await rt.connect(tripId, stranger);
      assert.equal((await client.closed).code, 4003, tripId);
    }
  });

  it('needs no Origin, accepts allowed and same origins, refuses others with 4003', async () => {
    const { trip, owner } = await tripWithMembers(app);
    const port = new URL(rt.wsBase).port;
    for (const origin of ['https://app.example.test', `http://127.0.0.1:${port}`]) {
      const ok = await rt.connect(trip.id, owner, { query: `token=${owner.access}`, headers: { origin } });
      await ok.next('message_history');
    }
    const evil = await rt.connect(trip.id, owner, {
      query: `token=${owner.access}`,
      headers: { origin: 'https://evil.test' },
    });
    assert.equal((await evil.closed).code, 4003);
  });
});

describe('chat frames', () => {
  it('broadcasts chat_message to everyone, sender included, echoing client_id', async () => {
    const { trip, owner, editor } = await tripWithMembers(app);
    const a = await rt.join(trip.id, owner);
    const b = await rt.join(trip.id, editor);
    a.send({ type: 'chat_message', content: '  Hello  ', client_id: 'c-42' });
    const mine = await a.next((f) => f.type === 'chat_message' && f.message.client_id === 'c-42');
    const theirs = await b.next((f) => f.type === 'chat_message' && f.message.client_id === 'c-42');
    assert.equal(mine.message.content, 'Hello');
    assert.equal(mine.message.sender.id, owner.id);
    assert.deepEqual(theirs, mine);
    assert.match(mine.cursor, /^\d+\.\d+$/);
    // A retried frame with the same client_id is answered to the sender only, not stored twice.
    a.send({ type: 'chat_message', content: 'Hello', client_id: 'c-42' });
    const echo = await a.next((f) => f.type === 'chat_message' && f.message.client_id === 'c-42');
    assert.equal(echo.message.id, mine.message.id);
    assert.ok(await b.none((f) => f.type === 'chat_message'));
  });

  it('broadcasts REST posts exactly like socket posts', async () => {
    const { trip, owner, viewer } = await tripWithMembers(app);
    const socket = await rt.join(trip.id, viewer);
    const posted = await call(app, 'POST', `/api/v1/trips/${trip.id}/messages/`, {
      token: owner.access,
      body: { content: 'From REST', client_id: 'r-1' },
    });
    const frame = await socket.next('chat_message');
    assert.deepEqual(frame.message, posted.body);
  });

  it('edits and deletes: broadcast to all; editing someone else’s message is an error frame', async () => {
    const { trip, owner, editor } = await tripWithMembers(app);
    const a = await rt.join(trip.id, owner);
    const b = await rt.join(trip.id, editor);
    b.send({ type: 'chat_message', content: 'Typo', client_id: 'e-1' });
    const { message } = await b.next((f) => f.type === 'chat_message' && f.message.client_id === 'e-1');
    b.send({ type: 'edit_message', message_id: message.id, content: 'Fixed' });
    const edited = await a.next('message_edited');
    assert.equal(edited.message.content, 'Fixed');
    assert.equal(edited.message.is_edited, true);
    assert.equal((await b.next('message_edited')).message.content, 'Fixed');

    a.send({ type: 'edit_message', message_id: message.id, content: 'Hijacked' });
    const denied = await a.next('error');
    assert.equal(denied.code, 'permission_denied');
    a.send({ type: 'ping' });
    await a.next('pong'); // the socket stays open

    // The owner may delete anyone's message; both see message_deleted.
    a.send({ type: 'delete_message', message_id: message.id });
    assert.equal((await b.next('message_deleted')).message_id, message.id);
    assert.equal((await a.next('message_deleted')).message_id, message.id);
    a.send({ type: 'edit_message', message_id: randomUUID(), content: 'x' });
    assert.equal((await a.next('error')).code, 'not_found');
  });

  it('answers an unchanged edit and a repeated delete to the sender only', async () => {
    const { trip, owner, editor } = await tripWithMembers(app);
    const a = await rt.join(trip.id, owner);
    const b = await rt.join(trip.id, editor);
    a.send({ type: 'chat_message', content: 'Same', client_id: 'same-1' });
    const { message } = await b.next((f) => f.type === 'chat_message' && f.message.client_id === 'same-1');
    a.send({ type: 'edit_message', message_id: message.id, content: ' Same ' });
    const unchanged = await a.next('message_edited');
    assert.equal(unchanged.message.is_edited, false);
    assert.equal(unchanged.cursor, undefined, 'nothing was written, so nothing to resume from');
    a.send({ type: 'delete_message', message_id: message.id });
    await b.next('message_deleted');
    await a.next('message_deleted');
    a.send({ type: 'delete_message', message_id: message.id });
    assert.equal((await a.next('message_deleted')).message_id, message.id);
    assert.ok(await b.none((f) => f.type === 'message_edited' || f.type === 'message_deleted'));
  });

  it('sends typing to the other users only', async () => {
    const { trip, owner, editor } = await tripWithMembers(app);
    const a = await rt.join(trip.id, owner);
    const a2 = await rt.join(trip.id, owner);
    const b = await rt.join(trip.id, editor);
    a.send({ type: 'typing', is_typing: true });
    const seen = await b.next('typing');
    assert.deepEqual(seen, { type: 'typing', user_id: owner.id, user_email: owner.email, is_typing: true });
    assert.ok(await a.none((f) => f.type === 'typing'));
    assert.ok(await a2.none((f) => f.type === 'typing', 50), 'the sender’s other sockets are the same user');
  });

  it('pages history on request', async () => {
    const owner = await createUser(app);
    const trip = await makeTrip(app, owner);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++)
      ids.push(
        (
          await call(app, 'POST', `/api/v1/trips/${trip.id}/messages/`, {
            token: owner.access,
            body: { content: `h${i}` },
          })
        ).body.id,
      );
    const client = await rt.join(trip.id, owner);
    client.send({ type: 'history', before: ids[3], limit: 2 });
    const page = await client.next('message_history');
    assert.deepEqual(
      page.messages.map((m: any) => m.content),
      ['h1', 'h2'],
    );
    assert.equal(page.has_more, true);
    assert.equal(page.before, ids[3]);
    client.send({ type: 'history', before: randomUUID() });
    const error = await client.next('error');
    assert.equal(error.code, 'validation_error');
    assert.ok(error.details.before);
  });

  it('updates presence when members come and go (bursts coalesced into one broadcast)', async () => {
    const { trip, owner, editor } = await tripWithMembers(app);
    const ids = (frame: any) => frame.users.map((u: any) => u.id).sort();
    const a = await rt.join(trip.id, owner);
    const b = await rt.join(trip.id, editor);
    const both = [owner.id, editor.id].sort();
    await a.next((f) => f.type === 'presence' && ids(f).length === 2);
    assert.deepEqual(ids(await b.next((f) => f.type === 'presence' && ids(f).length === 2)), both);
    b.close();
    assert.deepEqual(ids(await a.next((f) => f.type === 'presence' && ids(f).length === 1)), [owner.id]);
    // Five sockets opened at once make one announcement, not five.
    const before = a.all('presence').length;
    await Promise.all(Array.from({ length: 5 }, () => rt.join(trip.id, editor)));
    await a.next((f) => f.type === 'presence' && ids(f).length === 2);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.ok(a.all('presence').length - before <= 2, `${a.all('presence').length - before} broadcasts`);
  });
});
