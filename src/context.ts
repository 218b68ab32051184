import type { Logger } from 'pino';
import type { Config } from './config/index.ts';
import type { Database, Db } from './db/index.ts';
import type { RecordedChange } from './modules/changes/record-change.ts';
import type { AccessTokens } from './modules/auth/access-tokens.ts';
import type { Platform } from './platform/index.ts';
import type { MediaStorage } from './platform/media-storage.ts';
import type { PasswordHasher } from './platform/password-hasher.ts';

/** What the app's modules are given: configuration and adapters, built once in buildApp. */
export interface AppContext {
  config: Readonly<Config>;
  logger: Logger;
  database: Database;
  db: Db;
  platform: Platform;
  media: MediaStorage;
  passwords: PasswordHasher;
  accessTokens: AccessTokens;
  /** Called after each committed write with the changes it recorded (live events hook in here). */
  changeListeners: ((changes: readonly RecordedChange[]) => void)[];
  /** Set when shutdown begins, so readiness turns 503 while in-flight requests finish. */
  state: { shuttingDown: boolean };
}

export interface AuthUser {
  id: string;
}

declare module 'fastify' {
  interface FastifyInstance {
    ctx: AppContext;
  }
  interface FastifyRequest {
    /** The authenticated caller; set on every authenticated /api/v1 route. */
    user: AuthUser | null;
  }
  interface FastifyContextConfig {
    /** Marks a route under /api/v1 as reachable without a token (the explicit allow-list). */
    public?: boolean;
  }
}
