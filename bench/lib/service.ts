/**
 * Starts the service exactly as production does (compiled `dist/main.js`, APP_ENV=production,
 * cluster of WEB_CONCURRENCY workers) and the bare-Fastify floors the same way (compiled too), on
 * a fresh database.
 * Deliberate departures from a production environment, printed by the benches:
 *   RATE_LIMIT_ENABLED=false and WS_MESSAGES_PER_10S=100000 (the load comes from a few users);
 *   ACCESS_TOKEN_LIFETIME=2h (the bench signs its tokens once, with the same SECRET_KEY).
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { FreshDatabase } from './fresh-database.ts';
import { freePort, startServer, type Runtime, type Server } from './processes.ts';

export interface ServiceOptions {
  database: FreshDatabase;
  redisUrl: string | null;
  workers: number;
  secret: string;
  workDir: string;
  profileDir?: string;
  /** 'compiled' (dist/, as production) unless a bench asks for tsx (`npm run bench -- --tsx`). */
  runtime?: Runtime;
}

export const newSecret = () => randomBytes(48).toString('base64url');
export const ACCESS_TOKEN_TTL_SEC = 7200;

export function serviceEnv(options: ServiceOptions): Record<string, string> {
  return {
    ...options.database.env,
    APP_ENV: 'production',
    SECRET_KEY: options.secret,
    ALLOWED_HOSTS: '127.0.0.1,localhost',
    HOST: '127.0.0.1',
    // Production's default level: one log line per request is part of the measured cost (and
    // the readiness lines below are info lines).
    LOG_LEVEL: 'info',
    WEB_CONCURRENCY: String(options.workers),
    MIGRATE_ON_START: 'false',
    RATE_LIMIT_ENABLED: 'false',
    WS_MESSAGES_PER_10S: '100000',
    ACCESS_TOKEN_LIFETIME: String(ACCESS_TOKEN_TTL_SEC),
    MEDIA_ROOT: path.join(options.workDir, 'media'),
    ...(options.redisUrl
      ? { REDIS_URL: options.redisUrl, REDIS_KEY_PREFIX: `stp-bench:${process.pid}:` }
      : {}),
  };
}

export async function startService(options: ServiceOptions): Promise<Server> {
  return startServer({
    script: 'src/main.ts',
    env: serviceEnv(options),
    port: await freePort(),
    logFile: path.join(options.workDir, 'service.log'),
    // The primary says so once every worker listens; a single process logs its own listen.
    ready: options.workers > 1 ? /all workers listening/ : /Smart Trip Planner listening/,
    runtime: options.runtime ?? 'compiled',
    profileDir: options.profileDir,
  });
}

export async function startFloor(options: ServiceOptions): Promise<Server> {
  return startServer({
    script: 'bench/floor-server.ts',
    env: { ...options.database.env, WEB_CONCURRENCY: String(options.workers) },
    port: await freePort(),
    logFile: path.join(options.workDir, 'floor.log'),
    ready: /floor listening/,
    runtime: options.runtime ?? 'compiled',
  });
}
