import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { call } from './helpers/app.ts';
import { makeTrip, startRealtimeApp, tripWithMembers } from './helpers/realtime.ts';

const rt = await startRealtimeApp({ CORS_ALLOWED_ORIGINS: 'https://app.example.test' });
const { app } = rt;

describe('error frames keep the socket open', () => {
  it('answers bad JSON, non-objects, unknown types and invalid fields with error frames', async () => {
    const { trip, owner } = await tripWithMembers(app);
    const client = await rt.join(trip.id, owner);
    const cases: [unknown, string][] = [
      ['{not json', 'invalid_json'],
      ['[1,2]', 'invalid_frame'],
      [{ content: 'no type' }, 'unknown_type'],
      [{ type: 'dance' }, 'unknown_type'],
      [{ type: 'chat_message' }, 'validation_error'],
      [{ type: 'typing', is_typing: 'yes' }, 'validation_error'],
      [{ type: 'edit_message', message_id: 'nope', content: 'x' }, 'validation_error'],
      ['{"type":"chat_message","content":"x","__proto__":{"admin":true}}', 'invalid_json'],
    ];
    for (const [frame, code] of cases) {
      client.send(frame);
      const error = await client.next('error');
      assert.equal(error.code, code, JSON.stringify(frame));
      assert.equal(typeof error.message, 'string');
    }
    client.ws.send(Buffer.from('binary'), { binary: true });
    assert.equal((await client.next('error')).code, 'invalid_frame');
    client.send({ type: 'ping' });
    await client.next('pong');
    assert.equal(client.closeInfo, null);
  });

  it('applies the REST content rules: empty, blank and over-long content; system type', async () => {
    const { trip, owner } = await tripWithMembers(app);
    const client = await rt.join(trip.id, owner);
    for (const content of ['', '    ', 'z'.repeat(10_001)]) {
      client.send({ type: 'chat_message', content, client_id: `len-${content.length}` });
      const error = await client.next('error');
      assert.equal(error.code, 'validation_error');
      assert.ok(error.details.content);
      assert.equal(error.client_id, `len-${content.length}`, 'the client can tell which post failed');
    }
    client.send({ type: 'chat_message', content: 'fake', message_type: 'system' });
    assert.deepEqual((await client.next('error')).details.message_type, [
      'Only the server writes system messages.',
    ]);
    client.send({ type: 'chat_message', content: 'z'.repeat(10_000), client_id: 'max' });
    await client.next((f) => f.type === 'chat_message' && f.message.client_id === 'max');
  });

  it('refuses a reply to another trip’s message', async () => {
    const { trip, owner } = await tripWithMembers(app);
    const other = await makeTrip(app, owner, 'Other');
    const foreign = await call(app, 'POST', `/api/v1/trips/${other.id}/messages/`, {
      token: owner.access,
      body: { content: 'Elsewhere' },
    });
    const client = await rt.join(trip.id, owner);
    client.send({ type: 'chat_message', content: 'Re', reply_to: foreign.body.id });
    const error = await client.next('error');
    assert.equal(error.code, 'validation_error');
    assert.deepEqual(error.details.reply_to, ['No such message in this chat room.']);
    client.send({ type: 'chat_message', content: 'Local first', client_id: 'l1' });
    const local = await client.next((f) => f.type === 'chat_message' && f.message.client_id === 'l1');
    client.send({
      type: 'chat_message',
      content: 'Local reply',
      reply_to: local.message.id,
      client_id: 'l2',
    });
    const reply = await client.next((f) => f.type === 'chat_message' && f.message.client_id === 'l2');
    assert.equal(reply.message.reply_to.id, local.message.id);
  });
});

describe('viewer rules (policy: viewers may read and post chat, not moderate)', () => {
  it('lets a viewer post, edit and delete their own messages, not delete others’', async () => {
    const { trip, owner, viewer } = await tripWithMembers(app);
    const o = await rt.join(trip.id, owner);
    const v = await rt.join(trip.id, viewer);
    v.send({ type: 'chat_message', content: 'Viewer says hi', client_id: 'v1' });
    const posted = await o.next((f) => f.type === 'chat_message' && f.message.client_id === 'v1');
    v.send({ type: 'typing', is_typing: true });
    await o.next('typing');
    v.send({ type: 'edit_message', message_id: posted.message.id, content: 'Viewer says hello' });
    await o.next('message_edited');
    o.send({ type: 'chat_message', content: 'Owner message', client_id: 'o1' });
    const ownerMessage = await v.next((f) => f.type === 'chat_message' && f.message.client_id === 'o1');
    v.send({ type: 'delete_message', message_id: ownerMessage.message.id });
    assert.equal((await v.next('error')).code, 'permission_denied');
    v.send({ type: 'delete_message', message_id: posted.message.id });
    assert.equal((await o.next('message_deleted')).message_id, posted.message.id);
  });
});
