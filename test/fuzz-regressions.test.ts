/**
 * Bugs the fuzzer (fuzz/, `npm run fuzz`) found, each as the minimized request that used to fail.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, it } from 'node:test';
import type { ErrorObject } from 'ajv';
import { eq } from 'drizzle-orm';
import { MAX_REPORTED_PROBLEMS, detailsFromAjv } from '../src/http/validation.ts';
import { trips, users } from '../src/db/schema/index.ts';
import { buildTestApp, call } from './helpers/app.ts';
import { assertEnvelope, assertFieldError } from './helpers/assertions.ts';
import { createUser, uniqueEmail, type TestUser } from './helpers/factories.ts';

const { app } = await buildTestApp();
const db = app.ctx.db;
const NUL_PROBLEM = 'Null characters are not allowed.';

const tripsOf = async (userId: string) =>
  (await db.select().from(trips).where(eq(trips.creatorId, userId))).length;

describe('router errors are in the envelope (were Fastify’s own JSON, without a request id)', () => {
  it('bad percent-encoding in the path: 400 bad_request', async () => {
    for (const path of ['/api/v1/polls/%/', '/api/v1/trips/%E0%A4%A/', '/api/v1/chat/messages/%C0%AF/']) {
      const response = await call(app, 'DELETE', path);
      const error = assertEnvelope(response, 400, 'bad_request');
      assert.equal(error.message, 'Malformed URL.');
      assert.ok(!response.text.includes('FST_ERR'), response.text);
    }
  });

  it('a path parameter over the router’s length cap: 404 not_found, like a malformed id', async () => {
    const user = await createUser(app);
    const response = await call(app, 'GET', `/api/v1/trips/${'a'.repeat(300)}/`, { token: user.access });
    assertEnvelope(response, 404, 'not_found');
    assertEnvelope(await call(app, 'GET', `/api/v1/invitations/${'a'.repeat(300)}/`), 404, 'not_found');
  });
});

describe('a WebSocket upgrade the router refuses (socket used to leak and stall shutdown)', () => {
  it('gets the envelope and the server closes the connection', async () => {
    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = new URL(address);
    const socket = net.connect(Number(port), '127.0.0.1');
    let received = '';
    socket.on('data', (chunk) => (received += String(chunk)));
    const ended = new Promise<boolean>((resolve) => {
      socket.on('close', () => resolve(true));
      setTimeout(() => resolve(false), 5000).unref();
    });
    socket.write(
      `GET /ws/chat/${'a'.repeat(300)}/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
        'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
    );
    assert.equal(await ended, true, `server kept the socket open after: ${received}`);
    assert.match(received, /^HTTP\/1\.1 404/);
    assert.match(received, /"error":\{"code":404,"type":"not_found"/);
  });
});

describe('NUL characters are a field error (PostgreSQL refused them: 500 "invalid byte sequence")', () => {
  it('in a JSON string field: 400 naming the field, nothing written', async () => {
    const user = await createUser(app);
    const response = await call(app, 'POST', '/api/v1/trips/', {
      token: user.access,
      payload: '{"title":"ok","description":"\\u0000"}',
      headers: { 'content-type': 'application/json' },
    });
    assert.deepEqual(assertFieldError(response, 'description'), [NUL_PROBLEM]);
    assert.equal(await tripsOf(user.id), 0);
  });

  it('in a nested free-form value and in a key it is refused too, unknown fields are just dropped', async () => {
    const user = await createUser(app);
    const dropped = await call(app, 'POST', '/api/v1/trips/', {
      token: user.access,
      payload: '{"title":"ok","unknown\\u0000":"\\u0000"}',
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(dropped.status, 201, dropped.text);
    const nested = await call(app, 'POST', '/api/v1/sync/', {
      token: user.access,
      payload: JSON.stringify({
        client_id: 'fuzz',
        mutations: [
          {
            mutation_id: 'm1',
            entity: 'trip',
            op: 'create',
            id: crypto.randomUUID(),
            fields: { title: 'a\u0000' },
          },
        ],
      }),
      headers: { 'content-type': 'application/json' },
    });
    assert.deepEqual(assertFieldError(nested, 'mutations.0.fields.title'), [NUL_PROBLEM]);
  });

  it('in a query parameter: 400', async () => {
    const user = await createUser(app);
    const response = await call(app, 'GET', '/api/v1/trips/?search=a%00b', { token: user.access });
    assert.deepEqual(assertFieldError(response, 'search'), [NUL_PROBLEM]);
  });

  it('in a multipart text field: 400, the profile unchanged', async () => {
    const user = await createUser(app, { first_name: 'Ada' });
    const boundary = 'fuzzBoundary';
    const response = await call(app, 'PATCH', '/api/v1/users/me/', {
      token: user.access,
      payload: `--${boundary}\r\nContent-Disposition: form-data; name="first_name"\r\n\r\nA\u0000da\r\n--${boundary}--\r\n`,
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
    });
    assert.deepEqual(assertFieldError(response, 'first_name'), [NUL_PROBLEM]);
    const [row] = await db.select().from(users).where(eq(users.id, user.id));
    assert.equal(row!.firstName, 'Ada');
  });
});

describe('unpaired UTF-16 surrogates (the embedded driver failed the insert: 500 "invalid byte sequence")', () => {
  it('are a field error; a proper pair (an emoji) is fine', async () => {
    const user = await createUser(app);
    const lone = await call(app, 'POST', '/api/v1/trips/', {
      token: user.access,
      payload: '{"title":"ok","description":"\\udfff\\udfff\\udfff"}',
      headers: { 'content-type': 'application/json' },
    });
    assert.deepEqual(assertFieldError(lone, 'description'), ['Invalid Unicode: unpaired surrogate.']);
    assert.equal(await tripsOf(user.id), 0);
    const pair = await call(app, 'POST', '/api/v1/trips/', {
      token: user.access,
      payload: '{"title":"\\ud83d\\ude00 trip"}',
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(pair.status, 201, pair.text);
    assert.equal(pair.body.title, '\u{1F600} trip');
  });
});

describe('a broken multipart body is the client’s error (was a 500 from the form parser)', () => {
  for (const [label, payload] of [
    ['binary garbage', Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 7919) % 256))],
    ['no final boundary', '--B\r\nContent-Disposition: form-data; name="bio"\r\n\r\nabc'],
  ] as const) {
    it(`${label}: 400 malformed_multipart, the profile unchanged`, async () => {
      const user = await createUser(app, { first_name: 'Ada' });
      const response = await call(app, 'PUT', '/api/v1/users/me/', {
        token: user.access,
        payload,
        headers: { 'content-type': 'multipart/form-data; boundary=B' },
      });
      assertEnvelope(response, 400, 'malformed_multipart');
      const [row] = await db.select().from(users).where(eq(users.id, user.id));
      assert.equal(row!.firstName, 'Ada');
    });
  }
});

describe('a Host header that cannot form a URL (list pages and links were a 500 "Invalid URL")', () => {
  it('is a 400 invalid_host wherever an absolute link is built', async () => {
    const user = await createUser(app);
    for (const host of ['localhost:99999', 'exa mple.test', 'a:b:c']) {
      const list = await call(app, 'GET', '/api/v1/trips/', { token: user.access, headers: { host } });
      assertEnvelope(list, 400, 'invalid_host');
      assertEnvelope(
        await call(app, 'GET', '/api/v1/users/me/', { token: user.access, headers: { host } }),
        400,
        'invalid_host',
      );
    }
    const fine = await call(app, 'GET', '/api/v1/trips/', {
      token: user.access,
      headers: { host: 'api.example.test:8443' },
    });
    assert.equal(fine.status, 200, fine.text);
  });
});

/** Sends raw bytes on a fresh connection; resolves with everything the server wrote before closing. */
async function rawExchange(bytes: string): Promise<{ text: string; closed: boolean }> {
  const address = app.server.listening
    ? `http://127.0.0.1:${(app.server.address() as net.AddressInfo).port}`
    : await app.listen({ port: 0, host: '127.0.0.1' });
  const socket = net.connect(Number(new URL(address).port), '127.0.0.1');
  let text = '';
  socket.on('data', (chunk) => (text += String(chunk)));
  socket.on('error', () => undefined);
  const closed = new Promise<boolean>((resolve) => {
    socket.on('close', () => resolve(true));
    setTimeout(() => resolve(false), 5000).unref();
  });
  socket.write(bytes);
  const result = { closed: await closed, text };
  socket.destroy();
  return result;
}

describe('requests the HTTP parser refuses (were Fastify’s own JSON, and kept alive so the next request on the socket was reset)', () => {
  it('a request line over the header size cap: 431 in the envelope, then the connection closes', async () => {
    const { text, closed } = await rawExchange(
      `GET /api/v1/trips/?search=${'%CC%81'.repeat(5000)} HTTP/1.1\r\nHost: localhost\r\n\r\n`,
    );
    assert.equal(closed, true);
    assert.match(text, /^HTTP\/1\.1 431 /);
    assert.match(text, /\r\nConnection: close\r\n/i);
    const requestId = /\r\nX-Request-Id: ([^\r]+)\r\n/i.exec(text)?.[1];
    const body = JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4));
    assert.deepEqual(body, {
      error: {
        code: 431,
        type: 'headers_too_large',
        message: body.error.message,
        details: {},
        request_id: requestId,
      },
    });
  });

  it('bytes that are not HTTP: 400 in the envelope', async () => {
    const { text, closed } = await rawExchange('\u0000\u0001 garbage \r\n\r\n');
    assert.equal(closed, true);
    assert.match(text, /^HTTP\/1\.1 400 /);
    assert.match(text, /"error":\{"code":400,"type":"bad_request"/);
  });
});

describe('routes that declare headers kept only those (Host, Accept-Encoding… were stripped by validation)', () => {
  it('a trip create (Idempotency-Key schema) still builds links from the Host header', async () => {
    const user = await createUser(app);
    const host = 'api.example.test';
    const boundary = 'fuzzBoundary';
    const upload = await call(app, 'PATCH', '/api/v1/users/me/', {
      token: user.access,
      headers: { host, 'content-type': `multipart/form-data; boundary=${boundary}` },
      payload: Buffer.concat([
        Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="avatar"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n`,
        ),
        Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0]),
        Buffer.from(`\r\n--${boundary}--\r\n`),
      ]),
    });
    assert.equal(upload.status, 200, upload.text);
    assert.match(upload.body.profile.avatar, /^http:\/\/api\.example\.test\/media\//);
    const created = await call(app, 'POST', '/api/v1/trips/', {
      token: user.access,
      headers: { host, 'idempotency-key': 'k1' },
      body: { title: 'Links' },
    });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.body.creator.profile.avatar, upload.body.profile.avatar);
  });
});

describe('a body with hundreds of thousands of invalid items (validation details were quadratic: minutes of frozen event loop)', () => {
  it('is a prompt 400 with a bounded list of problems', async () => {
    const user = await createUser(app);
    const trip = (await call(app, 'POST', '/api/v1/trips/', { token: user.access, body: { title: 'Polls' } }))
      .body;
    const options = `[${'{},'.repeat(249_999)}{}]`;
    const started = Date.now();
    const response = await call(app, 'POST', '/api/v1/polls/', {
      token: user.access,
      payload: `{"trip":"${trip.id}","question":"Where?","options":${options}}`,
      headers: { 'content-type': 'application/json' },
    });
    const elapsed = Date.now() - started;
    const error = assertEnvelope(response, 400, 'validation_error');
    const problems = Object.values(error.details as Record<string, string[]>).flat();
    assert.ok(problems.length > 0 && problems.length <= MAX_REPORTED_PROBLEMS, `${problems.length} problems`);
    // Generous for a loaded CI machine; the quadratic version took minutes here.
    assert.ok(elapsed < 15_000, `took ${elapsed} ms`);
  });

  it('detailsFromAjv is linear in the number of errors', () => {
    const errors = Array.from({ length: 300_000 }, (_, i) => ({
      keyword: 'type',
      instancePath: `/options/${i}`,
      schemaPath: '#/properties/options/items/type',
      params: { type: 'string' },
    })) as unknown as ErrorObject[];
    const started = Date.now();
    const details = detailsFromAjv(errors);
    assert.equal(Object.keys(details).length, MAX_REPORTED_PROBLEMS);
    assert.ok(Date.now() - started < 5_000, `took ${Date.now() - started} ms`);
  });
});

describe('a create racing the deletion of its trip (was a 500: foreign-key violation on PostgreSQL)', () => {
  const creates: [
    string,
    (tripId: string, token: string, other: TestUser) => Promise<{ status: number; text: string }>,
  ][] = [
    [
      'poll',
      (tripId, token) =>
        call(app, 'POST', '/api/v1/polls/', {
          token,
          body: { trip: tripId, question: 'Q?', options: ['a', 'b'] },
        }),
    ],
    [
      'invitation',
      (tripId, token) =>
        call(app, 'POST', `/api/v1/trips/${tripId}/invite/`, { token, body: { email: uniqueEmail('race') } }),
    ],
    [
      'collaborator',
      (tripId, token, other) =>
        call(app, 'POST', `/api/v1/trips/${tripId}/collaborators/${other.id}/`, {
          token,
          body: { role: 'viewer' },
        }),
    ],
  ];
  for (const [name, create] of creates) {
    it(`${name}: 201/202 before the delete or 404 after it, never a 500`, async () => {
      const owner = await createUser(app);
      const other = await createUser(app);
      const statuses: number[] = [];
      for (let round = 0; round < 15; round++) {
        const trip = (
          await call(app, 'POST', '/api/v1/trips/', { token: owner.access, body: { title: `Race ${round}` } })
        ).body;
        const [created, deleted] = await Promise.all([
          create(trip.id, owner.access, other),
          call(app, 'DELETE', `/api/v1/trips/${trip.id}/`, { token: owner.access }),
        ]);
        assert.equal(deleted.status, 204, deleted.text);
        assert.ok([201, 202, 404].includes(created.status), `${created.status} ${created.text}`);
        statuses.push(created.status);
      }
      assert.ok(statuses.length === 15);
    });
  }
});
