import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createAccessTokens } from '../src/modules/auth/access-tokens.ts';
import { call } from './helpers/app.ts';
import { createUser } from './helpers/factories.ts';
import { makeTrip, startRealtimeApp } from './helpers/realtime.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it holds (the server side of a socket changes asynchronously). */
async function eventually(check: () => boolean, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await sleep(20);
  }
}

describe('limits', () => {
  it('closes with 1009 on a frame over WS_MAX_FRAME_BYTES', async () => {
    const rt = await startRealtimeApp({ WS_MAX_FRAME_BYTES: '1024' });
    const owner = await createUser(rt.app);
    const trip = await makeTrip(rt.app, owner);
    const client = await rt.join(trip.id, owner);
    client.send({ type: 'chat_message', content: 'x'.repeat(900) });
    await client.next('chat_message');
    client.send({ type: 'chat_message', content: 'x'.repeat(2000) });
    assert.equal((await client.closed).code, 1009);
  });

  it('answers frames over WS_MESSAGES_PER_10S with rate_limited, and closes 4029 at twice the limit', async () => {
    const rt = await startRealtimeApp({ WS_MESSAGES_PER_10S: '5' });
    const owner = await createUser(rt.app);
    const trip = await makeTrip(rt.app, owner);
    const client = await rt.join(trip.id, owner);
    for (let i = 0; i < 10; i++) client.send({ type: 'ping' });
    for (let i = 0; i < 5; i++) await client.next('pong');
    for (let i = 0; i < 5; i++) assert.equal((await client.next('error')).code, 'rate_limited');
    assert.equal(client.all('pong').length, 5);
    client.send({ type: 'ping' });
    const closed = await client.closed;
    assert.equal(closed.code, 4029);
    assert.equal(closed.reason, 'rate limit exceeded');
  });

  it('refuses a socket over WS_MAX_SOCKETS_PER_USER with 4029', async () => {
    const rt = await startRealtimeApp({ WS_MAX_SOCKETS_PER_USER: '2' });
    const owner = await createUser(rt.app);
    const trip = await makeTrip(rt.app, owner);
    const other = await makeTrip(rt.app, owner, 'Other');
    const first = await rt.join(trip.id, owner);
    await rt.join(other.id, owner);
    const third = await rt.connect(trip.id, owner);
    const closed = await third.closed;
    assert.deepEqual(closed, { code: 4029, reason: 'too many connections' });
    first.close();
    await first.closed;
    await eventually(() => rt.app.realtime.conns.size === 1);
    await sleep(100); // the presence entry is removed just after the close
    await rt.join(trip.id, owner);
  });

  it('drops a peer that stops answering pings, and keeps one that answers', async () => {
    const rt = await startRealtimeApp({ WS_HEARTBEAT_SECONDS: '1' });
    const owner = await createUser(rt.app);
    const trip = await makeTrip(rt.app, owner);
    const healthy = await rt.join(trip.id, owner);
    const dead = await rt.join(trip.id, owner);
    dead.ws.pause(); // stops reading: pings go unanswered, as with a vanished peer
    await eventually(() => rt.app.realtime.conns.size === 1, 4000);
    dead.ws.resume();
    assert.equal((await dead.closed).code, 1006);
    await sleep(1200);
    assert.equal(healthy.closeInfo, null);
    healthy.send({ type: 'ping' });
    await healthy.next('pong');
  });

  it('closes a slow consumer with 4008 once its send buffer passes WS_MAX_BUFFERED_BYTES', async () => {
    const rt = await startRealtimeApp({ WS_MAX_BUFFERED_BYTES: '16384' });
    const owner = await createUser(rt.app);
    const trip = await makeTrip(rt.app, owner);
    for (let i = 0; i < 60; i++)
      await call(rt.app, 'POST', `/api/v1/trips/${trip.id}/messages/`, {
        token: owner.access,
        body: { content: `${i} ${'w'.repeat(9990)}` },
      });
    const client = await rt.join(trip.id, owner);
    client.ws.pause();
    for (let i = 0; i < 50; i++) client.send({ type: 'history', limit: 100 });
    await eventually(() => [...rt.app.realtime.conns].some((conn) => conn.closing));
    client.ws.resume();
    const closed = await client.closed;
    assert.deepEqual(closed, { code: 4008, reason: 'slow consumer: send buffer full' });
  });

  it('closes with 4001 when the token expires while connected', async () => {
    const rt = await startRealtimeApp();
    const owner = await createUser(rt.app);
    const trip = await makeTrip(rt.app, owner);
    // Two seconds: expiry is counted in whole seconds from the current one, so a one-second
    // token signed late in a second could already be expired when the socket connects.
    const shortLived = await createAccessTokens(rt.config.secretKey, 2).sign(owner.id);
    const client = await rt.connect(trip.id, null, { query: `token=${shortLived}` });
    await client.next('message_history');
    const closed = await client.closed;
    assert.deepEqual(closed, { code: 4001, reason: 'token expired' });
  });

  it('closes sockets with 1001 when the app shuts down', async () => {
    const rt = await startRealtimeApp();
    const owner = await createUser(rt.app);
    const trip = await makeTrip(rt.app, owner);
    const client = await rt.join(trip.id, owner);
    await rt.app.close();
    assert.deepEqual(await client.closed, { code: 1001, reason: 'server shutting down' });
  });
});
