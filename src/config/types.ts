import type { RealtimeConfig } from './realtime.ts';

/** The typed, frozen configuration that every other module receives. */
export type AppEnv = 'development' | 'test' | 'production';
export type SslMode = 'disable' | 'allow' | 'prefer' | 'require' | 'verify-ca' | 'verify-full';

export type DatabaseConfig =
  | { kind: 'pglite'; dataDir: string | null }
  | { kind: 'postgres'; url: string; sslMode: SslMode; poolSize: number };

/** An S3-compatible bucket for media (AWS, MinIO, s3rver…); null keeps files in MEDIA_ROOT. */
export interface S3Config {
  bucket: string;
  endpoint: string | null;
  region: string;
  accessKeyId: string | null;
  secretAccessKey: string | null;
  forcePathStyle: boolean;
}

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
    /** How long an emailed password-reset link stays valid (PASSWORD_RESET_TTL). */
    passwordResetTtlSec: number;
    /** argon2id cost; lowered only by tests, never below OWASP's minimum outside them. */
    argon2: { memoryCost: number; timeCost: number };
  };
  media: { dir: string; maxAvatarBytes: number; s3: S3Config | null };
  /** Strict-Transport-Security, sent only on https responses; maxAgeSec 0 turns it off. */
  hsts: { maxAgeSec: number; includeSubDomains: boolean; preload: boolean };
  /** The public/ folder served at / (long-lived caching for hashed names). */
  staticRoot: string;
  /** /metrics: Bearer token, or open when public (production without a token hides it). */
  metrics: { token: string | null; public: boolean };
  sentry: { dsn: string | null };
  /** Worker processes sharing the port (node:cluster); 1 runs the server in this process. */
  webConcurrency: number;
  invitations: { ttlSec: number };
  /** compress: gzip/brotli for dynamic responses (COMPRESS_RESPONSES). */
  http: { bodyLimitBytes: number; shutdownTimeoutMs: number; compress: boolean };
  /** WebSocket limits (WS_* variables, src/config/realtime.ts). */
  realtime: RealtimeConfig;
  email: {
    host: string | null;
    port: number;
    user: string | null;
    password: string | null;
    useTls: boolean;
    from: string;
    /**
     * Whether this process sends the outbox (EMAIL_OUTBOX_WORKER). Every instance may; turn it off
     * where an instance must not send (a dedicated sender elsewhere, or a differently configured
     * process sharing the database).
     */
    outboxWorker: boolean;
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
