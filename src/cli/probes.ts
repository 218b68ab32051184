/** `check --deploy` reachability: database, migrations, Redis, SMTP, media storage, DATA_DIR. */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import nodemailer from 'nodemailer';
import type { Config } from '../config/index.ts';
import { openDatabase } from '../db/index.ts';
import { pendingMigrations } from '../db/migrate.ts';
import { createMediaStorage } from '../platform/media-storage.ts';
import { createRedisClient, waitForRedis } from '../platform/redis.ts';
import { fail, messageOf, pass, warn, type Row } from './report.ts';

/** Rejects with "<what> did not answer within <ms> ms" when `promise` takes longer. */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function probeDatabase(config: Config): Promise<Row[]> {
  if (config.database.kind === 'pglite') {
    // PGlite is single-process: opening the data directory while the server runs would corrupt it.
    return [warn('Database reachable', 'embedded PGlite is not opened here (the server process owns it)')];
  }
  const database = await openDatabase(config.database);
  try {
    const [info] = await within(
      database.withSession((exec) =>
        exec(`select current_setting('server_version') as version,
                coalesce((select ssl from pg_stat_ssl where pid = pg_backend_pid()), false) as ssl`),
      ),
      8000,
      'PostgreSQL',
    ).then((r) => r.rows);
    const tls = info?.ssl === true ? 'TLS' : 'no TLS';
    const rows = [pass('Database reachable', `PostgreSQL ${String(info?.version)} (${tls})`)];
    const pending = await pendingMigrations(database);
    rows.push(
      pending.length === 0
        ? pass('Migrations', 'all applied')
        : fail('Migrations', `${pending.length} pending (${pending.join(', ')}): run \`migrate\``),
    );
    return rows;
  } catch (error) {
    return [fail('Database reachable', messageOf(error))];
  } finally {
    await database.close().catch(() => undefined);
  }
}

async function probeRedis(config: Config): Promise<Row> {
  if (!config.redis) return warn('Redis reachable', 'REDIS_URL unset: nothing to reach');
  const client = createRedisClient(config.redis.url);
  try {
    await waitForRedis(client, 5000);
    const pong = await within(client.ping(), 3000, 'Redis');
    const version = /redis_version:(\S+)/.exec(await client.info('server'))?.[1] ?? '?';
    return pass('Redis reachable', `${pong} from Redis ${version}`);
  } catch (error) {
    return fail('Redis reachable', messageOf(error));
  } finally {
    client.disconnect();
  }
}

async function probeSmtp(config: Config): Promise<Row> {
  const { host, port, user, password, useTls } = config.email;
  if (!host) return warn('SMTP reachable', 'EMAIL_HOST unset: nothing to reach');
  // The same transport options as platform/mailer.ts; verify() greets, upgrades to TLS and logs in.
  const implicitTls = port === 465;
  const transport = nodemailer.createTransport({
    host,
    port,
    secure: implicitTls,
    requireTLS: useTls && !implicitTls,
    ignoreTLS: !useTls && !implicitTls,
    auth: user ? { user, pass: password ?? '' } : undefined,
    connectionTimeout: 5000,
    greetingTimeout: 5000,
    socketTimeout: 10_000,
  });
  try {
    await within(transport.verify(), 15_000, 'SMTP');
    return pass('SMTP reachable', `${host}:${port} accepted the connection${user ? ' and the login' : ''}`);
  } catch (error) {
    return fail('SMTP reachable', `${host}:${port}: ${messageOf(error)}`);
  } finally {
    transport.close();
  }
}

async function probeMedia(config: Config): Promise<Row> {
  const where = config.media.s3 ? `bucket ${config.media.s3.bucket}` : config.media.dir;
  const storage = await createMediaStorage(config.media);
  const key = `deploy-check/${randomUUID()}.txt`;
  try {
    await within(storage.check(), 10_000, 'media storage');
    // Write, read back and delete a probe file: "reachable" is not enough, uploads must work.
    await within(storage.put(key, Buffer.from('deploy check'), 'text/plain'), 10_000, 'media storage');
    const stored = await within(storage.get(key), 10_000, 'media storage');
    stored?.body.destroy();
    if (!stored) return fail('Media storage writable', `${where}: a file written could not be read back`);
    return pass('Media storage writable', `${where}: write, read and delete work`);
  } catch (error) {
    return fail('Media storage writable', `${where}: ${messageOf(error)}`);
  } finally {
    await storage.delete(key).catch(() => undefined);
    if (!config.media.s3)
      await fs
        .rm(path.join(config.media.dir, 'deploy-check'), { recursive: true, force: true })
        .catch(() => undefined);
    storage.close?.();
  }
}

async function probeDataDir(config: Config): Promise<Row> {
  const probe = path.join(config.dataDir, `.deploy-check-${process.pid}`);
  try {
    await fs.mkdir(config.dataDir, { recursive: true });
    await fs.writeFile(probe, 'ok');
    return pass('DATA_DIR writable', config.dataDir);
  } catch (error) {
    return fail('DATA_DIR writable', `${config.dataDir}: ${messageOf(error)}`);
  } finally {
    await fs.rm(probe, { force: true }).catch(() => undefined);
  }
}

/** Every reachability probe, run concurrently; each becomes one or more rows. */
export async function probeChecks(config: Readonly<Config>): Promise<Row[]> {
  const results = await Promise.all([
    probeDatabase(config),
    probeRedis(config),
    probeSmtp(config),
    probeMedia(config),
    probeDataDir(config),
  ]);
  return results.flat();
}
