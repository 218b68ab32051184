/** Environment read by the operator commands only (src/cli), kept here: only src/config reads process.env. */
import type { Env } from './parse.ts';

export interface CliEnv {
  /** `smoke`: a front-end origin that CORS_ALLOWED_ORIGINS allows (SMOKE_ORIGIN). */
  smokeOrigin: string | null;
  /** `create-admin`: defaults for --email and --password (ADMIN_EMAIL, ADMIN_PASSWORD). */
  adminEmail: string | null;
  adminPassword: string | null;
  /** The whole environment, for child processes (pg_dump/pg_restore) that inherit it. */
  env: Env;
}

const value = (source: Env, name: string): string | null => {
  const raw = source[name];
  return raw === undefined || raw.trim() === '' ? null : raw;
};

/** The CLI's own variables; empty values count as unset, as everywhere else. */
export function readCliEnv(source: Env = process.env): CliEnv {
  return {
    smokeOrigin: value(source, 'SMOKE_ORIGIN'),
    adminEmail: value(source, 'ADMIN_EMAIL'),
    adminPassword: value(source, 'ADMIN_PASSWORD'),
    env: source,
  };
}
