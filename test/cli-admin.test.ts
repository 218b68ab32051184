import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { and, eq } from 'drizzle-orm';
import { ensureAdmin } from '../src/cli/create-admin.ts';
import { migrate, openDatabase } from '../src/db/index.ts';
import { changes, users } from '../src/db/schema/index.ts';
import { buildTestApp, call } from './helpers/app.ts';
import { testDatabase } from './helpers/database.ts';
import { services, testConfig } from './helpers/env.ts';
import { GOOD_PASSWORD, createUser, uniqueEmail } from './helpers/factories.ts';

const { app, config } = await buildTestApp();
const database = await testDatabase();
const { db } = database;
const admin = (email: string, password: string | null) => ensureAdmin(database, config, { email, password });

describe('create-admin', () => {
  it('creates an active staff user who can log in, recording the change; a second run changes nothing', async () => {
    const email = uniqueEmail('admin');
    assert.match(await admin(email.toUpperCase(), GOOD_PASSWORD), /^created staff user/);
    const [row] = await db.select().from(users).where(eq(users.email, email));
    assert.ok(row);
    assert.equal(row.isStaff, true);
    assert.equal(row.isActive, true);
    const login = await call(app, 'POST', '/api/v1/auth/login/', {
      body: { email, password: GOOD_PASSWORD },
    });
    assert.equal(login.status, 200, login.text);
    const logged = await db
      .select()
      .from(changes)
      .where(and(eq(changes.entity, 'user'), eq(changes.entityId, row.id)));
    assert.deepEqual(
      logged.map((c) => [c.op, c.fields]),
      [['insert', ['email', 'username', 'is_staff']]],
    );
    assert.match(await admin(email, null), /already staff; nothing changed/);
  });

  it('refuses a password the registration policy refuses, and a bad email, writing nothing', async () => {
    const email = uniqueEmail('weak');
    await assert.rejects(admin(email, 'password'), /too common/);
    await assert.rejects(admin(email, '12345678901'), /entirely numeric/);
    await assert.rejects(admin(email, email), /too similar to the email/);
    await assert.rejects(admin(email, 'Sh0rt!'), /too short/);
    await assert.rejects(admin(email, null), /a password is required/);
    await assert.rejects(admin('not-an-email', GOOD_PASSWORD), /not an email address/);
    assert.equal((await db.select().from(users).where(eq(users.email, email))).length, 0);
  });

  it('promotes an existing account without touching its password', async () => {
    const user = await createUser(app);
    assert.match(
      await admin(user.email, 'Another-Password-99'),
      /to staff \(its password was left unchanged\)/,
    );
    const [row] = await db.select().from(users).where(eq(users.id, user.id));
    assert.equal(row?.isStaff, true);
    assert.equal(row?.version, user.user.version + 1);
    const login = await call(app, 'POST', '/api/v1/auth/login/', {
      body: { email: user.email, password: GOOD_PASSWORD },
    });
    assert.equal(login.status, 200, 'the old password still works');
  });
});

describe('create-admin as a command', () => {
  // The command opens the database itself: PGlite in a DATA_DIR of its own, or the run's PostgreSQL.
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'stp-admin-'));
  after(() => fs.rmSync(dataDir, { recursive: true, force: true }));
  const env = {
    PATH: process.env.PATH,
    APP_ENV: 'test',
    DATA_DIR: dataDir,
    DATABASE_URL: services.databaseUrl ?? undefined,
    DB_SSLMODE: services.databaseUrl ? 'disable' : undefined,
  };
  const cli = (args: string[], extra: Record<string, string> = {}, input?: string) =>
    spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'create-admin', ...args], {
      cwd: path.resolve(import.meta.dirname, '..'),
      env: { ...env, ...extra } as NodeJS.ProcessEnv,
      encoding: 'utf8',
      input,
      timeout: 60_000,
    });

  it('reads ADMIN_EMAIL/ADMIN_PASSWORD or flags and stdin; exit codes 0, 1 (refused) and 2 (usage)', async () => {
    if (!services.databaseUrl) {
      const pglite = await openDatabase(testConfig({ DATA_DIR: dataDir, DATABASE_URL: undefined }).database);
      await migrate(pglite);
      await pglite.close();
    }
    const email = uniqueEmail('env');
    const created = cli([], { ADMIN_EMAIL: email, ADMIN_PASSWORD: GOOD_PASSWORD });
    assert.equal(created.status, 0, created.stderr);
    assert.match(created.stdout, /^created staff user env-/);
    const again = cli(['--email', email, '--password-stdin'], {}, `${GOOD_PASSWORD}\n`);
    assert.equal(again.status, 0, again.stderr);
    assert.match(again.stdout, /already staff; nothing changed/);
    const refused = cli(['--email', 'not-an-email', '--password', GOOD_PASSWORD]);
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /^create-admin: "not-an-email" is not an email address/);
    assert.equal(cli([]).status, 2);
  });
});
