import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { text } from 'node:stream/consumers';
import { describe, it } from 'node:test';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../src/config/index.ts';
import { mediaKeyOf } from '../src/http/media-route.ts';
import { LocalMediaStorage, type MediaStorage } from '../src/platform/media-storage.ts';
import { S3MediaStorage } from '../src/platform/s3-media-storage.ts';
import { buildTestApp } from './helpers/app.ts';
import { closeAtEnd } from './helpers/database.ts';
import { createUser } from './helpers/factories.ts';
import { startS3, type FakeS3 } from './helpers/s3.ts';

/** A real 1x1 GIF (the classic transparent pixel). */
const GIF = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');

const s3 = await startS3();

function s3Storage(server: FakeS3, bucket = server.bucket): S3MediaStorage {
  const config = loadConfig({ ...server.env, S3_BUCKET: bucket });
  const storage = new S3MediaStorage(config.media.s3!);
  closeAtEnd(async () => storage.close());
  return storage;
}

/** The one contract both stores keep. */
function storageContract(name: string, make: () => MediaStorage) {
  describe(`media storage contract: ${name}`, () => {
    it('stores, reads back with its type, and deletes', async () => {
      const storage = make();
      await storage.check();
      const key = `avatars/${randomUUID()}/${randomUUID()}.gif`;
      assert.equal(await storage.get(key), null, 'nothing there yet');
      await storage.put(key, GIF, 'image/gif');
      const stored = await storage.get(key);
      assert.ok(stored);
      assert.equal(stored.contentType, 'image/gif');
      assert.equal(stored.size, GIF.length);
      assert.ok(stored.etag?.startsWith('"'), 'a quoted validator');
      const chunks: Buffer[] = [];
      for await (const chunk of stored.body) chunks.push(Buffer.from(chunk));
      assert.deepEqual(Buffer.concat(chunks), GIF);
      await storage.delete(key);
      assert.equal(await storage.get(key), null);
    });

    it('overwrites a key whole, and deleting a missing key is not an error', async () => {
      const storage = make();
      const key = `avatars/${randomUUID()}.png`;
      await storage.put(key, Buffer.from('first version'), 'image/png');
      await storage.put(key, Buffer.from('second'), 'image/png');
      const stored = await storage.get(key);
      assert.equal(await text(stored!.body), 'second');
      await storage.delete(key);
      await storage.delete(key);
      await storage.delete(`avatars/${randomUUID()}/never-there.png`);
    });

    it('maps keys to /media/ paths with each segment encoded', () => {
      assert.equal(make().publicPath('avatars/u 1/a.png'), '/media/avatars/u%201/a.png');
    });
  });
}

const localRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'stp-media-'));
storageContract('local directory', () => new LocalMediaStorage(localRoot));
storageContract('S3 (s3rver)', () => s3Storage(s3));

describe('media storage edges', () => {
  it('local storage never reads or writes outside its root', async () => {
    const storage = new LocalMediaStorage(localRoot);
    await assert.rejects(storage.put('../escape.png', GIF, 'image/png'), /invalid media key/);
    await assert.rejects(storage.get('../../etc/passwd'), /invalid media key/);
  });

  it('S3 check() fails for a bucket that does not exist (what check --deploy reports)', async () => {
    await assert.rejects(s3Storage(s3, 'no-such-bucket').check());
  });

  it('the /media/ route accepts only keys shaped like ours', () => {
    assert.equal(mediaKeyOf('avatars/abc/def.png'), 'avatars/abc/def.png');
    for (const bad of [
      '',
      '../x.png',
      'avatars/../../x',
      'avatars//x.png',
      '.hidden',
      'a/%2e%2e/b',
      '%ZZ',
      'x'.repeat(600),
    ]) {
      assert.equal(mediaKeyOf(bad), null, bad);
    }
  });
});

function multipart(field: string, filename: string, type: string, data: Buffer) {
  const boundary = `----stp${randomUUID()}`;
  const payload = Buffer.concat([
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${filename}"\r\n` +
        `Content-Type: ${type}\r\n\r\n`,
    ),
    data,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return { payload, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

async function uploadAvatar(app: FastifyInstance, token: string, data: Buffer) {
  const form = multipart('avatar', 'me.gif', 'image/gif', data);
  const response = await app.inject({
    method: 'PATCH',
    url: '/api/v1/users/me/',
    headers: { ...form.headers, authorization: `Bearer ${token}` },
    payload: form.payload,
  });
  assert.equal(response.statusCode, 200, response.body);
  // The URL as a later read presents it (what clients store and embed).
  const me = await app.inject({ url: '/api/v1/users/me/', headers: { authorization: `Bearer ${token}` } });
  return me.json().profile.avatar as string;
}

describe('avatars end to end on S3', () => {
  it('upload goes to the bucket (not the local directory), is served at /media/, and a replacement deletes the old object', async () => {
    const { app, config } = await buildTestApp(s3.env);
    assert.ok(config.media.s3, 'S3 selected by S3_BUCKET');
    const user = await createUser(app);
    const url = await uploadAvatar(app, user.access, GIF);
    const { pathname } = new URL(url);
    assert.match(pathname, new RegExp(`^/media/avatars/${user.id}/[0-9a-f-]+\\.gif$`));
    const key = decodeURIComponent(pathname.slice('/media/'.length));

    const client = new S3Client({
      endpoint: s3.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    });
    closeAtEnd(async () => client.destroy());
    const object = await client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key }));
    assert.equal(object.ContentType, 'image/gif');
    assert.deepEqual(Buffer.from(await object.Body!.transformToByteArray()), GIF);
    assert.ok(!fs.existsSync(path.join(config.media.dir, key)), 'nothing written locally');

    const served = await app.inject({ url: pathname });
    assert.equal(served.statusCode, 200);
    assert.equal(served.headers['content-type'], 'image/gif');
    assert.deepEqual(served.rawPayload, GIF);
    assert.equal(served.headers['cache-control'], 'public, max-age=31536000, immutable');
    assert.equal(served.headers['cross-origin-resource-policy'], 'cross-origin', 'embeddable by web clients');
    assert.equal(served.headers['x-content-type-options'], 'nosniff');
    const etag = String(served.headers.etag);
    const again = await app.inject({ url: pathname, headers: { 'if-none-match': etag } });
    assert.equal(again.statusCode, 304);

    const replacement = await uploadAvatar(app, user.access, Buffer.concat([GIF, Buffer.from([0])]));
    assert.notEqual(replacement, url);
    await assert.rejects(
      client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: key })),
      /NoSuchKey|not exist/i,
    );
    assert.equal((await app.inject({ url: pathname })).statusCode, 404);
    assert.equal((await app.inject({ url: new URL(replacement).pathname })).statusCode, 200);
  });

  it('serves local uploads through the same route', async () => {
    const { app, config } = await buildTestApp();
    assert.equal(config.media.s3, null, 'local by default');
    const user = await createUser(app);
    const { pathname } = new URL(await uploadAvatar(app, user.access, GIF));
    assert.ok(fs.existsSync(path.join(config.media.dir, decodeURIComponent(pathname.slice(7)))));
    const served = await app.inject({ url: pathname });
    assert.equal(served.statusCode, 200);
    assert.equal(served.headers['content-type'], 'image/gif');
    assert.deepEqual(served.rawPayload, GIF);
    assert.equal(served.headers['cache-control'], 'public, max-age=31536000, immutable');
    assert.equal((await app.inject({ url: '/media/..%2F..%2Fetc%2Fpasswd' })).statusCode, 404);
  });
});
