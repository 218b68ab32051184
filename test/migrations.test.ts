import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { migrate, openDatabase } from '../src/db/index.ts';
import { testDatabase } from './helpers/database.ts';

const root = path.resolve(import.meta.dirname, '..');

/** A throwaway migrations folder in drizzle-kit's layout. */
function migrationsDir(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stp-mig-'));
  fs.mkdirSync(path.join(dir, 'meta'));
  const entries = Object.keys(files).map((tag, idx) => ({ idx, tag }));
  fs.writeFileSync(path.join(dir, 'meta/_journal.json'), JSON.stringify({ entries }));
  for (const [tag, sql] of Object.entries(files)) fs.writeFileSync(path.join(dir, `${tag}.sql`), sql);
  return dir;
}

describe('migrations', () => {
  it('the shipped migrations are applied and re-running applies nothing', async () => {
    const database = await testDatabase();
    const result = await migrate(database);
    assert.deepEqual(result.applied, []);
    assert.ok(result.alreadyApplied >= 1);
  });

  it('a failing migration is rolled back whole and reported, earlier ones stay', async () => {
    const database = await openDatabase({ kind: 'pglite', dataDir: null });
    try {
      const dir = migrationsDir({
        '0000_good': 'create table good_one (id int);',
        '0001_bad': 'create table half_done (id int);\n--> statement-breakpoint\nthis is not sql;',
      });
      await assert.rejects(migrate(database, dir), /migration 0001_bad failed/);
      const tables = await database.withSession((exec) =>
        exec(
          `select table_name from information_schema.tables where table_name in ('good_one', 'half_done')`,
        ),
      );
      assert.deepEqual(
        tables.rows.map((r) => r.table_name),
        ['good_one'],
      );
      const recorded = await database.withSession((exec) => exec('select tag from schema_migrations'));
      assert.deepEqual(
        recorded.rows.map((r) => r.tag),
        ['0000_good'],
      );
    } finally {
      await database.close();
    }
  });

  it('refuses a migration edited after it was applied', async () => {
    const database = await openDatabase({ kind: 'pglite', dataDir: null });
    try {
      const dir = migrationsDir({ '0000_a': 'create table a_table (id int);' });
      await migrate(database, dir);
      fs.writeFileSync(path.join(dir, '0000_a.sql'), 'create table a_table (id bigint);');
      await assert.rejects(migrate(database, dir), /edited after it was applied/);
    } finally {
      await database.close();
    }
  });

  it('`npm run migrate` exits non-zero when it cannot migrate', () => {
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'migrate'], {
      cwd: root,
      env: { PATH: process.env.PATH, DATABASE_URL: 'postgresql://nobody@127.0.0.1:1/none' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(result.status, 1, result.stdout + result.stderr);
    assert.match(result.stderr, /error:/);
  });

  it('`npm run migrate` migrates an embedded database and exits 0', () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'stp-migrate-cli-'));
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'migrate'], {
      cwd: root,
      env: { PATH: process.env.PATH, DATA_DIR: dataDir },
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(result.status, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /applied \d+ migration/);
  });
});
