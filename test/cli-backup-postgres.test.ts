import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { backup } from '../src/cli/backup.ts';
import { restore } from '../src/cli/restore.ts';
import { assertIdentical, fingerprints, seedThroughApi, type Env } from './helpers/backup.ts';
import { services } from './helpers/env.ts';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'stp-backup-pg-'));
after(() => fs.rmSync(work, { recursive: true, force: true }));

describe(
  'backup and restore on PostgreSQL',
  { skip: services.databaseUrl ? false : 'DATABASE_URL is not set' },
  () => {
    // Two databases of their own beside the run's: the source and the empty restore target.
    const names = [`stp_bk_a_${process.pid}_${Date.now()}`, `stp_bk_b_${process.pid}_${Date.now()}`];
    const urlOf = (name: string) => {
      const url = new URL(services.databaseUrl!);
      url.pathname = `/${name}`;
      return url.toString();
    };
    const sql = async (text: string, database?: string) => {
      const client = new pg.Client({ connectionString: database ? urlOf(database) : services.databaseUrl! });
      await client.connect();
      try {
        await client.query(text);
      } finally {
        await client.end();
      }
    };
    const envOf = (name: string): Env => ({
      APP_ENV: 'test',
      DATABASE_URL: urlOf(name),
      DB_SSLMODE: 'disable',
      DATA_DIR: work,
      LOG_LEVEL: 'silent',
    });
    after(async () => {
      for (const name of names) await sql(`drop database if exists ${name} with (force)`);
    });

    it('round-trips through pg_dump/pg_restore into an empty database; --clean sets newer tables aside', async () => {
      for (const name of names) await sql(`create database ${name}`);
      const [envA, envB] = names.map(envOf) as [Env, Env];
      await seedThroughApi(envA);
      const original = await fingerprints(envA);
      const file = path.join(work, 'pg.dump');
      assert.match(await backup(envA, file), /pg_dump custom format/);
      assert.equal(fs.readFileSync(file).subarray(0, 5).toString(), 'PGDMP');
      assert.match(await restore(envB, file), /all migrations applied/);
      assertIdentical(await fingerprints(envB), original);

      // A second restore would duplicate rows: refused unless --clean, which gives the same data again
      // without the table a newer release added (the rollback case), keeping the old schema aside.
      await assert.rejects(restore(envB, file), /already has \d+ table\(s\)/);
      await sql('create table drill (id int)', names[1]);
      const message = await restore(envB, file, { clean: true });
      assertIdentical(await fingerprints(envB), original);
      const aside = /kept in schema (public_before_restore_\w+)/.exec(message)?.[1];
      assert.ok(aside, message);
      await sql(`select 1 from ${aside}.drill, ${aside}.users limit 1`, names[1]);

      const pglite = path.join(work, 'fake.tar.gz');
      fs.writeFileSync(pglite, Buffer.from([0x1f, 0x8b, 0x08, 0x00]));
      await assert.rejects(
        restore(envB, pglite),
        /is a pglite backup but the configured database is postgres/,
      );
    });
  },
);
