import assert from 'node:assert/strict';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { describe, it } from 'node:test';
import zlib from 'node:zlib';
import { asc, eq } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { changes, users } from '../src/db/schema/index.ts';
import { buildTestApp, call } from './helpers/app.ts';
import { testDatabase } from './helpers/database.ts';
import { createUser, uniqueEmail, type TestUser } from './helpers/factories.ts';
import { assertEnvelope, assertFieldError } from './helpers/assertions.ts';

const { app, config } = await buildTestApp();
const { db } = await testDatabase();

const ME = '/api/v1/users/me/';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const getMe = (token: string) => call(app, 'GET', ME, { token });

/** The change-log rows of a user, oldest first. */
const changesOf = (userId: string) =>
  db.select().from(changes).where(eq(changes.entityId, userId)).orderBy(asc(changes.seq));

async function userRow(userId: string) {
  const [row] = await db.select().from(users).where(eq(users.id, userId));
  assert.ok(row, 'user row exists');
  return row;
}

const uniqueName = (prefix: string) => `${prefix}_${uniqueEmail('n').slice(2, 14)}`;

// ---- a real PNG, built byte by byte --------------------------------------------------------------

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(data: Buffer): number {
  let c = 0xffffffff;
  for (const byte of data) c = (CRC_TABLE[(c ^ byte) & 0xff] ?? 0) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** A valid 1x1 RGB PNG (one red pixel); `comment` adds a tEXt chunk to make it bigger. */
function png(comment = ''): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(1, 0); // width
  ihdr.writeUInt32BE(1, 4); // height
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // colour type: RGB
  ihdr[10] = 0; // compression
  ihdr[11] = 0; // filter
  ihdr[12] = 0; // interlace
  const scanline = Buffer.from([0, 0xff, 0x00, 0x00]); // filter byte + one red pixel
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    ...(comment ? [pngChunk('tEXt', Buffer.from(`Comment\0${comment}`, 'latin1'))] : []),
    pngChunk('IDAT', zlib.deflateSync(scanline)),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A valid PNG of exactly `size` bytes (padded with a tEXt comment). */
function pngOfSize(size: number): Buffer {
  const overhead = png('x').length - 1;
  const result = png('x'.repeat(size - overhead));
  assert.equal(result.length, size);
  return result;
}

// ---- a real HTTP server for multipart ------------------------------------------------------------

async function listening(instance: FastifyInstance): Promise<string> {
  await instance.listen({ port: 0, host: '127.0.0.1' });
  const { port } = instance.server.address() as AddressInfo;
  return `http://127.0.0.1:${port}`;
}

const base = await listening(app);

interface FetchResult {
  status: number;
  headers: Headers;
  body: any;
}

async function sendForm(
  origin: string,
  user: TestUser,
  fields: Record<string, string>,
  file?: { data: Buffer | string; name?: string; type?: string; field?: string },
  method: 'PATCH' | 'PUT' = 'PATCH',
): Promise<FetchResult> {
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  if (file) {
    form.append(
      file.field ?? 'avatar',
      new Blob([file.data], { type: file.type ?? 'image/png' }),
      file.name ?? 'avatar.png',
    );
  }
  const response = await fetch(`${origin}${ME}`, {
    method,
    headers: { authorization: `Bearer ${user.access}` },
    body: form,
  });
  const text = await response.text();
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: response.status, headers: response.headers, body };
}

/** The same checks as assertEnvelope, for a fetch response. */
function assertFetchedEnvelope(response: FetchResult, status: number, type: string) {
  assert.equal(response.status, status, JSON.stringify(response.body));
  const { error } = response.body;
  assert.equal(error.code, status);
  assert.equal(error.type, type);
  assert.equal(typeof error.message, 'string');
  assert.equal(typeof error.details, 'object');
  assert.equal(error.request_id, response.headers.get('x-request-id'));
  return error;
}

async function fetchBytes(url: string): Promise<{ status: number; type: string | null; bytes: Buffer }> {
  const response = await fetch(url);
  return {
    status: response.status,
    type: response.headers.get('content-type'),
    bytes: Buffer.from(await response.arrayBuffer()),
  };
}

// ---- tests ---------------------------------------------------------------------------------------

describe('GET users/me/', () => {
  it('returns the signed-in user with an ETag of its version', async () => {
    const user = await createUser(app, { first_name: 'Grace', last_name: 'Hopper' });
    const response = await getMe(user.access);
    assert.equal(response.status, 200, response.text);
    assert.equal(response.headers.etag, '"1"');
    const body = response.body;
    assert.match(body.id, UUID);
    assert.equal(body.id, user.id);
    assert.equal(body.email, user.email);
    assert.equal(body.username, user.user.username);
    assert.deepEqual(body.profile, { first_name: 'Grace', last_name: 'Hopper', bio: '', avatar: null });
    assert.equal(body.full_name, 'Grace Hopper');
    assert.equal(body.version, 1);
    for (const key of ['date_joined', 'last_login', 'created_at', 'updated_at'])
      assert.match(body[key], /Z$/, key);
    assert.equal('password_hash' in body, false);
    // The same object as registration returned.
    assert.deepEqual(body, user.user);
  });

  it('is 401 without a token, or with a bad one', async () => {
    const none = await call(app, 'GET', ME);
    assertEnvelope(none, 401, 'not_authenticated');
    assert.equal(none.headers.etag, undefined);
    assertEnvelope(await call(app, 'GET', ME, { token: 'nope.nope.nope' }), 401, 'token_not_valid');
  });

  it('is 401 once the account is deactivated, for reads and writes alike', async () => {
    const user = await createUser(app);
    await db.update(users).set({ isActive: false }).where(eq(users.id, user.id));
    assertEnvelope(await getMe(user.access), 401, 'not_authenticated');
    for (const method of ['PATCH', 'PUT'] as const) {
      const response = await call(app, method, ME, { token: user.access, body: { bio: 'still here?' } });
      assertEnvelope(response, 401, 'not_authenticated');
    }
    const row = await userRow(user.id);
    assert.equal(row.bio, '');
    assert.equal(row.version, 1);
  });
});

describe('PATCH and PUT users/me/', () => {
  for (const method of ['PATCH', 'PUT'] as const) {
    it(`${method} updates the profile, bumps the version and logs exactly the changed fields`, async () => {
      const user = await createUser(app, { first_name: 'Old', last_name: 'Name' });
      const response = await call(app, method, ME, {
        token: user.access,
        body: { first_name: 'New', last_name: 'Person', bio: 'Likes trains.' },
      });
      assert.equal(response.status, 200, response.text);
      assert.equal(response.headers.etag, '"2"');
      assert.equal(response.body.version, 2);
      assert.deepEqual(response.body.profile, {
        first_name: 'New',
        last_name: 'Person',
        bio: 'Likes trains.',
        avatar: null,
      });
      assert.equal(response.body.full_name, 'New Person');
      assert.ok(response.body.updated_at >= user.user.updated_at);
      assert.equal(response.body.created_at, user.user.created_at);

      const fresh = await getMe(user.access);
      assert.deepEqual(fresh.body, response.body);
      assert.equal(fresh.headers.etag, '"2"');

      const log = await changesOf(user.id);
      assert.deepEqual(
        log.map((c) => c.op),
        ['insert', 'update'],
      );
      const update = log[1]!;
      assert.equal(update.entity, 'user');
      assert.equal(update.version, 2);
      assert.equal(update.actorId, user.id);
      assert.deepEqual([...update.fields].sort(), ['bio', 'first_name', 'last_name']);
    });
  }

  it('logs only the fields whose value actually changed', async () => {
    const user = await createUser(app, { first_name: 'Same', last_name: 'Keep' });
    const response = await call(app, 'PATCH', ME, {
      token: user.access,
      body: { first_name: 'Same', last_name: 'Keep', bio: 'new bio' },
    });
    assert.equal(response.status, 200, response.text);
    assert.equal(response.body.version, 2);
    const log = await changesOf(user.id);
    assert.deepEqual(log.at(-1)?.fields, ['bio']);
  });

  it('an update that changes nothing bumps nothing and logs nothing', async () => {
    const user = await createUser(app, { first_name: 'Ann', last_name: 'Lee' });
    for (const body of [{}, { first_name: 'Ann' }, { first_name: '  Ann  ', last_name: 'Lee ' }]) {
      const response = await call(app, 'PATCH', ME, { token: user.access, body });
      assert.equal(response.status, 200, response.text);
      assert.equal(response.body.version, 1, `no change for ${JSON.stringify(body)}`);
      assert.equal(response.headers.etag, '"1"');
      assert.equal(response.body.profile.first_name, 'Ann');
      assert.equal(response.body.profile.last_name, 'Lee');
    }
    assert.equal((await userRow(user.id)).version, 1);
    assert.deepEqual(
      (await changesOf(user.id)).map((c) => c.op),
      ['insert'],
    );
  });

  it('trims text fields', async () => {
    const user = await createUser(app);
    const response = await call(app, 'PATCH', ME, {
      token: user.access,
      body: { first_name: '  Zoe ', bio: ' hello  ' },
    });
    assert.equal(response.status, 200, response.text);
    assert.equal(response.body.profile.first_name, 'Zoe');
    assert.equal(response.body.profile.bio, 'hello');
  });

  it('PUT changes the username; it is then the stored one', async () => {
    const user = await createUser(app);
    const username = uniqueName('Renamed');
    const response = await call(app, 'PUT', ME, { token: user.access, body: { username } });
    assert.equal(response.status, 200, response.text);
    assert.equal(response.body.username, username);
    assert.equal(response.body.version, 2);
    assert.equal((await userRow(user.id)).username, username);
    assert.deepEqual((await changesOf(user.id)).at(-1)?.fields, ['username']);
    // A change of case only, of one's own name, is allowed.
    const recased = await call(app, 'PATCH', ME, {
      token: user.access,
      body: { username: username.toUpperCase() },
    });
    assert.equal(recased.status, 200, recased.text);
    assert.equal(recased.body.username, username.toUpperCase());
    assert.equal(recased.body.version, 3);
  });

  it('ignores fields a user may not change (email, id, version)', async () => {
    const user = await createUser(app);
    const response = await call(app, 'PATCH', ME, {
      token: user.access,
      body: { email: uniqueEmail('hijack'), id: crypto.randomUUID(), version: 99, bio: 'ok' },
    });
    assert.equal(response.status, 200, response.text);
    assert.equal(response.body.email, user.email);
    assert.equal(response.body.id, user.id);
    assert.equal(response.body.version, 2);
    assert.equal((await userRow(user.id)).email, user.email);
  });

  it('a bio over 500 characters is a 400 on bio and changes nothing', async () => {
    const user = await createUser(app, { first_name: 'Keep' });
    const response = await call(app, 'PATCH', ME, {
      token: user.access,
      body: { first_name: 'Changed', bio: 'x'.repeat(501) },
    });
    assertFieldError(response, 'bio');
    const row = await userRow(user.id);
    assert.equal(row.version, 1);
    assert.equal(row.bio, '');
    assert.equal(row.firstName, 'Keep');
    assert.equal((await changesOf(user.id)).length, 1);

    // Exactly 500 is fine.
    const ok = await call(app, 'PATCH', ME, { token: user.access, body: { bio: 'y'.repeat(500) } });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.body.profile.bio.length, 500);
  });

  it('wrong types and invalid usernames are field errors', async () => {
    const user = await createUser(app);
    assertFieldError(
      await call(app, 'PATCH', ME, { token: user.access, body: { first_name: null } }),
      'first_name',
    );
    assertFieldError(await call(app, 'PATCH', ME, { token: user.access, body: { bio: 42 } }), 'bio');
    assertFieldError(
      await call(app, 'PATCH', ME, { token: user.access, body: { username: 'two words' } }),
      'username',
    );
    assertFieldError(
      await call(app, 'PATCH', ME, { token: user.access, body: { username: '' } }),
      'username',
    );
    assert.equal((await userRow(user.id)).version, 1);
  });

  it('a username taken by another user, in any case, is a 400 on username', async () => {
    const taken = uniqueName('Owner');
    await createUser(app, { username: taken });
    const user = await createUser(app);
    for (const username of [taken, taken.toLowerCase(), taken.toUpperCase()]) {
      const response = await call(app, 'PATCH', ME, { token: user.access, body: { username, bio: 'x' } });
      assertFieldError(response, 'username');
    }
    const row = await userRow(user.id);
    assert.equal(row.username, user.user.username);
    assert.equal(row.bio, '');
    assert.equal(row.version, 1);
  });

  it('requires authentication', async () => {
    assertEnvelope(await call(app, 'PATCH', ME, { body: { bio: 'x' } }), 401, 'not_authenticated');
    assertEnvelope(await call(app, 'PUT', ME, { body: { bio: 'x' } }), 401, 'not_authenticated');
  });
});

describe('If-Match', () => {
  it('a stale version is 412 with the current object; the matching one is 200', async () => {
    const user = await createUser(app);
    const first = await call(app, 'PATCH', ME, { token: user.access, body: { bio: 'v2' } });
    assert.equal(first.status, 200);
    assert.equal(first.headers.etag, '"2"');

    const stale = await call(app, 'PATCH', ME, {
      token: user.access,
      body: { bio: 'from a stale copy' },
      headers: { 'if-match': '"1"' },
    });
    const error = assertEnvelope(stale, 412, 'precondition_failed');
    const current = await getMe(user.access);
    assert.deepEqual(error.details.current, current.body);
    assert.equal(error.details.current.version, 2);
    assert.equal(error.details.current.profile.bio, 'v2');
    assert.equal((await userRow(user.id)).bio, 'v2');

    const stalePut = await call(app, 'PUT', ME, {
      token: user.access,
      body: { bio: 'from a stale copy' },
      headers: { 'if-match': '"1"' },
    });
    assertEnvelope(stalePut, 412, 'precondition_failed');

    const matching = await call(app, 'PATCH', ME, {
      token: user.access,
      body: { bio: 'v3' },
      headers: { 'if-match': String(current.headers.etag) },
    });
    assert.equal(matching.status, 200, matching.text);
    assert.equal(matching.body.version, 3);
    assert.equal(matching.headers.etag, '"3"');

    const put = await call(app, 'PUT', ME, {
      token: user.access,
      body: { bio: 'v4' },
      headers: { 'if-match': 'W/"3"' },
    });
    assert.equal(put.status, 200, put.text);
    assert.equal(put.body.version, 4);
  });

  it('a malformed If-Match is a 400, not ignored', async () => {
    const user = await createUser(app);
    const response = await call(app, 'PATCH', ME, {
      token: user.access,
      body: { bio: 'x' },
      headers: { 'if-match': 'banana' },
    });
    assertEnvelope(response, 400);
    assert.equal((await userRow(user.id)).version, 1);
  });
});

describe('avatar upload (multipart over a real socket)', () => {
  it('the test PNG is a well-formed PNG', () => {
    const image = png();
    assert.deepEqual([...image.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    assert.equal(image.subarray(12, 16).toString('latin1'), 'IHDR');
    // Every chunk's CRC is right.
    let offset = 8;
    const types: string[] = [];
    while (offset < image.length) {
      const length = image.readUInt32BE(offset);
      const body = image.subarray(offset + 4, offset + 8 + length);
      assert.equal(image.readUInt32BE(offset + 8 + length), crc32(body));
      types.push(body.subarray(0, 4).toString('latin1'));
      offset += 12 + length;
    }
    assert.deepEqual(types, ['IHDR', 'IDAT', 'IEND']);
    assert.equal(pngOfSize(2048).length, 2048);
  });

  it('stores a real PNG, serves it back at an absolute URL, and applies text fields too', async () => {
    const user = await createUser(app);
    const image = png();
    const response = await sendForm(base, user, { first_name: 'Pixel', bio: 'from a form' }, { data: image });
    assert.equal(response.status, 200, JSON.stringify(response.body));
    const avatar = response.body.profile.avatar as string;
    assert.equal(typeof avatar, 'string');
    assert.ok(avatar.startsWith(`${base}/media/`), `absolute URL on this server: ${avatar}`);
    assert.match(avatar, /\.png$/);
    assert.ok(avatar.includes(user.id), 'stored under the user');
    assert.equal(response.body.profile.first_name, 'Pixel');
    assert.equal(response.body.profile.bio, 'from a form');
    assert.equal(response.body.version, 2);
    assert.equal(response.headers.get('etag'), '"2"');
    assert.deepEqual([...(await changesOf(user.id)).at(-1)!.fields].sort(), ['avatar', 'bio', 'first_name']);

    const served = await fetchBytes(avatar);
    assert.equal(served.status, 200);
    assert.equal(served.type, 'image/png');
    assert.ok(served.bytes.equals(image), 'the same bytes come back');

    // GET shows the same absolute URL.
    const me = await fetch(`${base}${ME}`, { headers: { authorization: `Bearer ${user.access}` } });
    assert.equal(((await me.json()) as any).profile.avatar, avatar);
  });

  it('a new avatar replaces the old one, whose file is removed', async () => {
    const user = await createUser(app);
    const first = await sendForm(base, user, {}, { data: png() });
    assert.equal(first.status, 200, JSON.stringify(first.body));
    const second = await sendForm(base, user, {}, { data: png('second'), name: 'other.png' }, 'PUT');
    assert.equal(second.status, 200, JSON.stringify(second.body));
    assert.notEqual(second.body.profile.avatar, first.body.profile.avatar);
    assert.equal((await fetchBytes(first.body.profile.avatar)).status, 404);
    const served = await fetchBytes(second.body.profile.avatar);
    assert.equal(served.status, 200);
    assert.ok(served.bytes.equals(png('second')));
  });

  it('a text file named avatar.png with type image/png is a 400 on avatar, nothing stored', async () => {
    const user = await createUser(app);
    const response = await sendForm(
      base,
      user,
      { first_name: 'Sneaky' },
      { data: '<html><script>alert(1)</script></html>', name: 'avatar.png', type: 'image/png' },
    );
    const error = assertFetchedEnvelope(response, 400, 'validation_error');
    assert.ok(Array.isArray(error.details.avatar) && error.details.avatar.length > 0);
    const row = await userRow(user.id);
    assert.equal(row.avatarKey, null);
    assert.equal(row.firstName, '');
    assert.equal(row.version, 1);
    assert.equal(fs.existsSync(path.join(config.media.dir, 'avatars', user.id)), false);
  });

  it('a file in another field is refused', async () => {
    const user = await createUser(app);
    const response = await sendForm(base, user, {}, { data: png(), field: 'photo' });
    const error = assertFetchedEnvelope(response, 400, 'validation_error');
    assert.ok(error.details.photo);
    assert.equal((await userRow(user.id)).version, 1);
  });

  it('multipart text fields are validated like JSON', async () => {
    const user = await createUser(app);
    const response = await sendForm(base, user, { bio: 'z'.repeat(501) }, { data: png() });
    const error = assertFetchedEnvelope(response, 400, 'validation_error');
    assert.ok(error.details.bio);
    const row = await userRow(user.id);
    assert.equal(row.avatarKey, null);
    assert.equal(row.version, 1);
    assert.equal(fs.existsSync(path.join(config.media.dir, 'avatars', user.id)), false);
  });

  it('an empty file field without a name (a browser form with no file chosen) is no file', async () => {
    const user = await createUser(app);
    const response = await sendForm(
      base,
      user,
      { first_name: 'NoPic' },
      { data: Buffer.alloc(0), name: '', type: 'application/octet-stream' },
    );
    assert.equal(response.status, 200, JSON.stringify(response.body));
    assert.equal(response.body.profile.first_name, 'NoPic');
    assert.equal(response.body.profile.avatar, null);
  });

  it('an empty file with a name is a 400 on avatar', async () => {
    const user = await createUser(app);
    const response = await sendForm(base, user, {}, { data: Buffer.alloc(0), name: 'avatar.png' });
    const error = assertFetchedEnvelope(response, 400, 'validation_error');
    assert.ok(error.details.avatar);
  });

  it('a stale If-Match on an upload is a 412 and stores no file', async () => {
    const user = await createUser(app);
    const form = new FormData();
    form.append('avatar', new Blob([png()], { type: 'image/png' }), 'avatar.png');
    const response = await fetch(`${base}${ME}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${user.access}`, 'if-match': '"7"' },
      body: form,
    });
    assert.equal(response.status, 412);
    const body = (await response.json()) as any;
    assert.equal(body.error.type, 'precondition_failed');
    assert.equal(body.error.details.current.id, user.id);
    assert.equal(body.error.details.current.version, 1);
    assert.equal((await userRow(user.id)).avatarKey, null);
    assert.equal(fs.existsSync(path.join(config.media.dir, 'avatars', user.id)), false);
  });

  it('multipart text fields alone (no file) update the profile', async () => {
    const user = await createUser(app);
    const response = await sendForm(base, user, { last_name: 'Formly' });
    assert.equal(response.status, 200, JSON.stringify(response.body));
    assert.equal(response.body.profile.last_name, 'Formly');
    assert.equal(response.body.profile.avatar, null);
  });

  it('JSON {"avatar": null} removes it, and the old URL then 404s', async () => {
    const user = await createUser(app);
    const uploaded = await sendForm(base, user, {}, { data: png() });
    assert.equal(uploaded.status, 200, JSON.stringify(uploaded.body));
    const url = uploaded.body.profile.avatar as string;
    assert.equal((await fetchBytes(url)).status, 200);

    const removed = await call(app, 'PATCH', ME, { token: user.access, body: { avatar: null } });
    assert.equal(removed.status, 200, removed.text);
    assert.equal(removed.body.profile.avatar, null);
    assert.equal(removed.body.version, 3);
    assert.deepEqual((await changesOf(user.id)).at(-1)?.fields, ['avatar']);
    assert.equal((await userRow(user.id)).avatarKey, null);
    assert.equal((await fetchBytes(url)).status, 404);

    // Removing again changes nothing.
    const again = await call(app, 'PATCH', ME, { token: user.access, body: { avatar: null } });
    assert.equal(again.status, 200);
    assert.equal(again.body.version, 3);
  });

  it('a JSON avatar that is not null is refused', async () => {
    const user = await createUser(app);
    const response = await call(app, 'PATCH', ME, {
      token: user.access,
      body: { avatar: 'http://evil.example/x.png' },
    });
    assertFieldError(response, 'avatar');
  });

  describe('with AVATAR_MAX_BYTES=2048', async () => {
    const capped = await buildTestApp({ AVATAR_MAX_BYTES: '2048' });
    const cappedBase = await listening(capped.app);

    it('accepts a PNG of exactly the cap', async () => {
      const user = await createUser(capped.app);
      const image = pngOfSize(2048);
      const response = await sendForm(cappedBase, user, {}, { data: image });
      assert.equal(response.status, 200, JSON.stringify(response.body));
      const served = await fetchBytes(response.body.profile.avatar);
      assert.ok(served.bytes.equals(image));
    });

    it('a PNG over the cap is a 413 in the envelope and the user is unchanged', async () => {
      const user = await createUser(capped.app);
      for (const size of [2049, 8192]) {
        const response = await sendForm(
          cappedBase,
          user,
          { first_name: 'TooBig' },
          { data: pngOfSize(size) },
        );
        const error = assertFetchedEnvelope(response, 413, 'payload_too_large');
        assert.ok(error.details.avatar, 'names the avatar field');
      }
      const row = await userRow(user.id);
      assert.equal(row.avatarKey, null);
      assert.equal(row.firstName, '');
      assert.equal(row.version, 1);
      assert.deepEqual(
        (await changesOf(user.id)).map((c) => c.op),
        ['insert'],
      );
      assert.equal(fs.existsSync(path.join(capped.config.media.dir, 'avatars', user.id)), false);
    });
  });
});
