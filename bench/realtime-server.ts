/**
 * One server process for bench/realtime-fanout.ts: migrates when MIGRATE_ON_START is set, then
 * listens on a free port and prints `{"port": n}`.
 */
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config/index.ts';
import { migrate, openDatabase } from '../src/db/index.ts';

const config = loadConfig(process.env);
const database = await openDatabase(config.database);
if (config.migrateOnStart) await migrate(database);
const app = await buildApp(config, { database, emailSender: false });
const address = await app.listen({ port: 0, host: '127.0.0.1' });
process.stdout.write(`${JSON.stringify({ port: Number(new URL(address).port) })}\n`);
process.once(
  'SIGTERM',
  () =>
    void app
      .close()
      .then(() => database.close())
      .then(() => process.exit(0)),
);
