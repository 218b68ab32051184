import type { CliEnv } from '../config/cli.ts';
import { loadConfig } from '../config/index.ts';
import { migrate, openDatabase } from '../db/index.ts';

export const summary = 'apply pending database migrations (exit code 1 on failure)';

/** `migrate`: applies pending migrations to the configured database. */
export async function run(_argv: string[], { env }: CliEnv): Promise<number> {
  const config = loadConfig(env);
  const database = await openDatabase(config.database);
  try {
    const result = await migrate(database);
    console.log(
      result.applied.length > 0
        ? `applied ${result.applied.length} migration(s): ${result.applied.join(', ')}`
        : `database is up to date (${result.alreadyApplied} migration(s) applied earlier)`,
    );
    return 0;
  } finally {
    await database.close();
  }
}
