import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig } from '../src/config/index.ts';
import { openDatabase } from '../src/db/index.ts';

const root = path.resolve(import.meta.dirname, '..');

describe('npm run seed', () => {
  it('creates demo users, trips, days, items and polls, and a second run adds nothing', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'stp-seed-'));
    const run = () =>
      spawnSync(process.execPath, ['--import', 'tsx', 'scripts/seed.ts'], {
        cwd: root,
        env: { PATH: process.env.PATH, DATA_DIR: dataDir, APP_ENV: 'development' },
        encoding: 'utf8',
        timeout: 120_000,
      });
    const first = run();
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stdout, /Created 2 trips/);
    assert.match(first.stdout, /ana@demo\.test/);
    const second = run();
    assert.equal(second.status, 0, second.stderr);
    assert.match(second.stdout, /already present/);

    const database = await openDatabase(loadConfig({ DATA_DIR: dataDir }).database);
    try {
      const count = async (table: string) =>
        Number(
          (await database.withSession((exec) => exec(`select count(*)::int as n from ${table}`))).rows[0]!.n,
        );
      assert.equal(await count('users'), 3);
      assert.equal(await count('trips'), 2);
      assert.equal(await count('trip_members'), 6);
      assert.equal(await count('itineraries'), 9);
      assert.equal(await count('itinerary_items'), 45);
      assert.equal(await count('polls'), 4);
      assert.equal(await count('poll_votes'), 4);
    } finally {
      await database.close();
    }
  });
});
