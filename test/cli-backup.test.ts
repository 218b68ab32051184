import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { backup } from '../src/cli/backup.ts';
import { restore } from '../src/cli/restore.ts';
import { loadConfig } from '../src/config/index.ts';
import { openDatabase } from '../src/db/index.ts';
import { assertIdentical, fingerprints, seedThroughApi, type Env } from './helpers/backup.ts';

// PGlite is the embedded database whatever the run targets: each DATA_DIR here is its own.
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'stp-backup-'));
after(() => fs.rmSync(work, { recursive: true, force: true }));

describe('backup and restore on PGlite', () => {
  const envA: Env = { APP_ENV: 'test', DATA_DIR: path.join(work, 'a'), LOG_LEVEL: 'silent' };
  const envB: Env = { APP_ENV: 'test', DATA_DIR: path.join(work, 'b'), LOG_LEVEL: 'silent' };
  const file = path.join(work, 'pglite.tar.gz');
  let original: Awaited<ReturnType<typeof seedThroughApi>>;

  it('round-trips: a restore into an empty DATA_DIR has the same tables, row counts and checksums', async () => {
    original = await seedThroughApi(envA);
    assert.match(await backup(envA, file), /PGlite data directory \(\d+ tables, \d+ rows\)/);
    assert.match(await restore(envB, file), /all migrations applied/);
    assertIdentical(await fingerprints(envB), original);
  });

  it('refuses to overwrite, to restore over data, to mix kinds, and to copy a database in use', async () => {
    await assert.rejects(backup(envA, file), /exists \(pass --force/);
    await assert.rejects(
      restore(envB, file),
      /is not empty: restore into an empty DATA_DIR, or pass --clean/,
    );
    const fake = path.join(work, 'fake.dump');
    fs.writeFileSync(fake, 'PGDMP and then nothing');
    await assert.rejects(restore(envB, fake), /is a postgres backup but the configured database is pglite/);
    const database = await openDatabase(loadConfig(envA).database);
    try {
      await assert.rejects(
        backup(envA, file, { force: true }),
        /in use \(postmaster\.pid\): stop the server first/,
      );
    } finally {
      await database.close();
    }
  });

  it('--clean replaces the data directory and keeps the previous one aside', async () => {
    const message = await restore(envB, file, { clean: true });
    const aside = /moved to (\S+)$/.exec(message)?.[1];
    assert.ok(aside && fs.existsSync(path.join(aside, 'PG_VERSION')), message);
    assertIdentical(await fingerprints(envB), original);
  });
});
