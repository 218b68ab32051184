import type { Logger } from 'pino';
import type { Config } from '../config/index.ts';
import { migrate, openDatabase, type Database } from '../db/index.ts';

/** Applies pending migrations when MIGRATE_ON_START is on (once, before any worker starts). */
export async function migrateOnStart(
  config: Readonly<Config>,
  logger: Logger,
  database?: Database,
): Promise<void> {
  if (!config.migrateOnStart) return;
  const db = database ?? (await openDatabase(config.database));
  try {
    const result = await migrate(db);
    if (result.applied.length > 0) logger.info({ applied: result.applied }, 'migrations applied');
  } finally {
    if (!database) await db.close();
  }
}
