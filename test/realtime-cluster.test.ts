import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { after, describe, it } from 'node:test';
import { services, testDataDir } from './helpers/env.ts';
import { GOOD_PASSWORD, uniqueEmail } from './helpers/factories.ts';
import { WsClient } from './helpers/ws-client.ts';

const root = path.resolve(import.meta.dirname, '..');
const skip = !services.databaseUrl || !services.redisUrl ? 'needs DATABASE_URL and REDIS_URL' : false;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Instance {
  child: ChildProcess;
  http: string;
  ws: string;
}

const children: ChildProcess[] = [];
const clients: WsClient[] = [];
after(async () => {
  for (const client of clients) client.close();
  for (const child of children)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

/** Starts a server process sharing this run's PostgreSQL database and Redis (one key prefix). */
async function startInstance(prefix: string): Promise<Instance> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/helpers/cluster-server.ts'], {
    cwd: root,
    env: {
      ...process.env,
      APP_ENV: 'test',
      DATA_DIR: testDataDir,
      DATABASE_URL: services.databaseUrl!,
      DB_SSLMODE: 'disable',
      DB_POOL_SIZE: '5',
      REDIS_URL: services.redisUrl!,
      REDIS_KEY_PREFIX: prefix,
      LOG_LEVEL: 'silent',
      WS_HEARTBEAT_SECONDS: '1',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
  const { port } = JSON.parse(line) as { port: number };
  return { child, http: `http://127.0.0.1:${port}`, ws: `ws://127.0.0.1:${port}` };
}

async function api(instance: Instance, method: string, url: string, token?: string, body?: unknown) {
  const response = await fetch(`${instance.http}/api/v1${url}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

async function register(instance: Instance, firstName: string) {
  const email = uniqueEmail(firstName.toLowerCase());
  const response = await api(instance, 'POST', '/auth/register/', undefined, {
    email,
    password: GOOD_PASSWORD,
    password_confirm: GOOD_PASSWORD,
    first_name: firstName,
  });
  assert.equal(response.status, 201, JSON.stringify(response.body));
  return { id: response.body.user.id as string, token: response.body.tokens.access as string };
}

async function connect(instance: Instance, tripId: string, token: string, since?: string): Promise<WsClient> {
  const query = `token=${token}${since ? `&since=${since}` : ''}`;
  const client = await WsClient.connect(`${instance.ws}/ws/chat/${tripId}/?${query}`);
  clients.push(client);
  await client.next('message_history');
  await client.next('presence');
  return client;
}

/** The cursor of the last change-log frame a client received. */
const lastCursor = (client: WsClient): string =>
  client.frames.filter((f) => f.cursor && f.type !== 'message_history').at(-1).cursor;

describe('three instances sharing PostgreSQL and Redis', { skip }, () => {
  it('fans out, disconnects removed members everywhere, and loses nothing when an instance dies', async () => {
    const prefix = `stp-test:cluster:${randomUUID()}:`;
    const [a, b, c] = await Promise.all([
      startInstance(prefix),
      startInstance(prefix),
      startInstance(prefix),
    ]);
    const owner = await register(a, 'Olga');
    const editor = await register(b, 'Eddie');
    const viewer = await register(c, 'Vera');
    const trip = (await api(a, 'POST', '/trips/', owner.token, { title: 'Cluster trip' })).body;
    for (const [user, role] of [
      [editor, 'editor'],
      [viewer, 'viewer'],
    ] as const)
      assert.equal(
        (await api(a, 'POST', `/trips/${trip.id}/collaborators/${user.id}/`, owner.token, { role })).status,
        201,
      );
    await sleep(300); // let the join announcements settle before anyone connects

    // One client per instance for the owner and the viewer; the editor on all three.
    const ownerSockets = [
      await connect(a, trip.id, owner.token),
      await connect(b, trip.id, owner.token),
      await connect(c, trip.id, owner.token),
    ];
    const editorSockets = [
      await connect(a, trip.id, editor.token),
      await connect(b, trip.id, editor.token),
      await connect(c, trip.id, editor.token),
    ];
    const viewerOnC = await connect(c, trip.id, viewer.token);
    const everyone = [...ownerSockets, ...editorSockets, viewerOnC];

    // 1. A chat message sent on A reaches every client on every instance within 1 s.
    let sent = Date.now();
    ownerSockets[0]!.send({ type: 'chat_message', content: 'Hello cluster', client_id: 'hello-1' });
    for (const client of everyone) {
      await client.next((f) => f.type === 'chat_message' && f.message.client_id === 'hello-1', 1000);
    }
    const chatLatency = Date.now() - sent;
    assert.ok(chatLatency < 1000, `chat fan-out took ${chatLatency} ms`);

    // 2. An itinerary change made through B's REST API reaches every client within 1 s.
    sent = Date.now();
    const day = await api(b, 'POST', '/itineraries/', editor.token, { trip: trip.id, date: '2031-01-02' });
    assert.equal(day.status, 201);
    for (const client of everyone) {
      const event = await client.next((f) => f.type === 'trip_event' && f.event === 'itinerary.insert', 1000);
      assert.equal(event.data.id, day.body.id);
    }
    assert.ok(Date.now() - sent < 1000, `itinerary fan-out took ${Date.now() - sent} ms`);

    // 3. Removing the editor on A closes their sockets on all three instances at once.
    sent = Date.now();
    assert.equal(
      (await api(a, 'DELETE', `/trips/${trip.id}/collaborators/${editor.id}/`, owner.token)).status,
      204,
    );
    for (const socket of editorSockets) assert.equal((await socket.closed).code, 4003);
    assert.ok(Date.now() - sent < 1000, `removal took ${Date.now() - sent} ms`);

    // 4. Messages flow on A while C is killed; C's clients resume on B with `since`.
    const posted: string[] = [];
    let sending = true;
    const sender = (async () => {
      for (let i = 0; sending; i++) {
        const response = await api(a, 'POST', `/trips/${trip.id}/messages/`, owner.token, {
          content: `tick ${i}`,
        });
        assert.equal(response.status, 201);
        posted.push(response.body.id);
        await sleep(15);
      }
    })();
    await sleep(250);
    const survivors = [ownerSockets[2]!, viewerOnC];
    c.child.kill('SIGKILL');
    for (const socket of survivors) assert.equal((await socket.closed).code, 1006);
    await sleep(300); // messages sent now are missed by C's clients
    const resumed = await Promise.all(
      survivors.map((socket, i) =>
        connect(b, trip.id, i === 0 ? owner.token : viewer.token, lastCursor(socket)),
      ),
    );
    await sleep(250);
    sending = false;
    await sender;
    for (const [i, socket] of resumed.entries()) {
      const last = posted.at(-1)!;
      await socket.next((f) => f.type === 'chat_message' && f.message.id === last, 2000);
      const before = survivors[i]!.all('chat_message').map((f) => f.message.id);
      const after = socket.all('chat_message').map((f) => f.message.id);
      const received = [...before, ...after].filter((id) => posted.includes(id));
      assert.equal(new Set(received).size, received.length, 'no message delivered twice');
      assert.deepEqual(received, posted, 'every message, in order, none lost');
      assert.ok(after.length > 0 && before.length > 0);
    }
  });
});
