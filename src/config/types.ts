/** The typed, frozen configuration that every other module receives. */
export type AppEnv = 'development' | 'test' | 'production';
export type SslMode = 'disable' | 'allow' | 'prefer' | 'require' | 'verify-ca' | 'verify-full';

export type DatabaseConfig =
  | { kind: 'pglite'; dataDir: string | null }
  | { kind: 'postgres'; url: string; sslMode: SslMode; poolSize: number };

export interface Config {
  env: AppEnv;
  port: number;
  host: string;
  dataDir: string;
  logLevel: string;
  secretKey: string;
  allowedHosts: string[];
  corsAllowedOrigins: string[];
  secureSslRedirect: boolean;
  trustedProxies: string[];
  database: DatabaseConfig;
  migrateOnStart: boolean;
  redis: { url: string; keyPrefix: string } | null;
  auth: {
    accessTokenTtlSec: number;
    refreshTokenTtlSec: number;
    /** argon2id cost; lowered only by tests, never below OWASP's minimum outside them. */
    argon2: { memoryCost: number; timeCost: number };
  };
  media: { dir: string; maxAvatarBytes: number };
  invitations: { ttlSec: number };
  http: { bodyLimitBytes: number; shutdownTimeoutMs: number };
  email: {
    host: string | null;
    port: number;
    user: string | null;
    password: string | null;
    useTls: boolean;
    from: string;
  };
  rateLimit: {
    enabled: boolean;
    /** Requests per window for ordinary routes (RATE_LIMIT_DEFAULT). */
    max: number;
    windowSec: number;
    /** Stricter budget for login, register, refresh and password reset. */
    authMax: number;
  };
}
