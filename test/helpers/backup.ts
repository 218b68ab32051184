import assert from 'node:assert/strict';
import fs from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { buildApp } from '../../src/app.ts';
import { fingerprintTables, type TableFingerprint } from '../../src/cli/fingerprint.ts';
import { loadConfig } from '../../src/config/index.ts';
import { migrate, openDatabase } from '../../src/db/index.ts';
import { call } from './app.ts';
import { services } from './env.ts';
import { createUser } from './factories.ts';

export type Env = Record<string, string | undefined>;

/**
 * Migrates the environment's database and writes users, trips, chat messages, refresh tokens and
 * change rows through the API; returns the tables' fingerprints as they are then.
 */
export async function seedThroughApi(env: Env): Promise<Map<string, TableFingerprint>> {
  const config = loadConfig(env);
  if (config.database.kind === 'pglite' && services.pgliteTemplate) {
    // Start from the run's migrated template: no initdb, which is slow on a busy machine.
    fs.mkdirSync(config.database.dataDir!, { recursive: true });
    const client = new PGlite(config.database.dataDir!, {
      loadDataDir: new Blob([fs.readFileSync(services.pgliteTemplate)]),
    });
    await client.waitReady;
    await client.close();
  }
  const database = await openDatabase(config.database);
  try {
    await migrate(database);
    const app = await buildApp(config, { database, emailSender: false });
    await app.ready();
    try {
      for (let i = 0; i < 3; i++) {
        const user = await createUser(app);
        const trip = await call(app, 'POST', '/api/v1/trips/', {
          token: user.access,
          body: { title: `Trip ${i}` },
        });
        assert.equal(trip.status, 201, trip.text);
        const message = await call(app, 'POST', `/api/v1/trips/${trip.body.id}/messages/`, {
          token: user.access,
          body: { content: `hello ${i} — ünïcode ✓` },
        });
        assert.equal(message.status, 201, message.text);
      }
    } finally {
      await app.close();
    }
    return await database.withSession(fingerprintTables);
  } finally {
    await database.close();
  }
}

/** Row counts and checksums of every public table of the environment's database. */
export async function fingerprints(env: Env): Promise<Map<string, TableFingerprint>> {
  const database = await openDatabase(loadConfig(env).database);
  try {
    return await database.withSession(fingerprintTables);
  } finally {
    await database.close();
  }
}

/** The same tables with the same rows; and the data is really there (not two empty databases). */
export function assertIdentical(
  restored: Map<string, TableFingerprint>,
  original: Map<string, TableFingerprint>,
): void {
  assert.deepEqual(Object.fromEntries(restored), Object.fromEntries(original));
  for (const table of [
    'users',
    'trips',
    'trip_members',
    'chat_messages',
    'changes',
    'refresh_tokens',
    'schema_migrations',
  ]) {
    const print = original.get(table);
    assert.ok(print && print.rows > 0, `${table} should have rows: ${JSON.stringify(print)}`);
  }
}
