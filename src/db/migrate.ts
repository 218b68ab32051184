import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Database } from './client.ts';

export const MIGRATIONS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../migrations');

// Any constant works; it only has to be the same for every instance so they queue, not race.
const MIGRATION_LOCK_ID = 7_270_001;

interface Journal {
  entries: { idx: number; tag: string }[];
}

export interface MigrationResult {
  applied: string[];
  alreadyApplied: number;
}

/**
 * Applies drizzle-kit's SQL migrations in order, each in its own transaction, under an advisory
 * lock so several instances starting together apply each migration exactly once.
 * Throws on the first failure (the failed migration is rolled back; earlier ones stay).
 */
export async function migrate(database: Database, dir = MIGRATIONS_DIR): Promise<MigrationResult> {
  const journal = JSON.parse(await fs.readFile(path.join(dir, 'meta/_journal.json'), 'utf8')) as Journal;
  const entries = [...journal.entries].sort((a, b) => a.idx - b.idx);
  return database.withSession(async (exec) => {
    await exec('select pg_advisory_lock($1)', [MIGRATION_LOCK_ID]);
    try {
      await exec(`create table if not exists schema_migrations (
        tag text primary key, hash text not null, applied_at timestamptz not null default now())`);
      const done = new Map(
        (await exec('select tag, hash from schema_migrations')).rows.map((r) => [
          String(r.tag),
          String(r.hash),
        ]),
      );
      const applied: string[] = [];
      for (const { tag } of entries) {
        const text = await fs.readFile(path.join(dir, `${tag}.sql`), 'utf8');
        const hash = createHash('sha256').update(text).digest('hex');
        if (done.has(tag)) {
          if (done.get(tag) !== hash) throw new Error(`migration ${tag} was edited after it was applied`);
          continue;
        }
        const statements = text
          .split('--> statement-breakpoint')
          .map((s) => s.trim())
          .filter(Boolean);
        await exec('begin');
        try {
          for (const statement of statements) await exec(statement);
          await exec('insert into schema_migrations (tag, hash) values ($1, $2)', [tag, hash]);
          await exec('commit');
        } catch (error) {
          await exec('rollback');
          throw new Error(`migration ${tag} failed: ${(error as Error).message}`, { cause: error });
        }
        applied.push(tag);
      }
      return { applied, alreadyApplied: done.size };
    } finally {
      await exec('select pg_advisory_unlock($1)', [MIGRATION_LOCK_ID]);
    }
  });
}

let shippedTags: Promise<string[]> | null = null;

/** Migrations shipped with this build that the database has not applied (all of them on an empty database). */
export async function pendingMigrations(database: Database, dir = MIGRATIONS_DIR): Promise<string[]> {
  shippedTags ??= fs
    .readFile(path.join(dir, 'meta/_journal.json'), 'utf8')
    .then((text) => (JSON.parse(text) as Journal).entries.map((e) => e.tag));
  const shipped = await shippedTags;
  const applied = await database.withSession(async (exec) => {
    const table = await exec(`select to_regclass('schema_migrations') is not null as present`);
    if (!table.rows[0]?.present) return new Set<string>();
    return new Set((await exec('select tag from schema_migrations')).rows.map((r) => String(r.tag)));
  });
  return shipped.filter((tag) => !applied.has(tag));
}
