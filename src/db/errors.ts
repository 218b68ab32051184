/** PostgreSQL error fields, wherever the driver (pg, PGlite) or Drizzle's wrapper put them. */
function pgError(error: unknown): { code?: string; constraint?: string } | null {
  let current: unknown = error;
  for (let depth = 0; current && depth < 5; depth++) {
    const candidate = current as { code?: unknown; constraint?: string; cause?: unknown };
    if (typeof candidate.code === 'string' && /^[0-9A-Z]{5}$/.test(candidate.code)) {
      return { code: candidate.code, constraint: candidate.constraint };
    }
    current = candidate.cause;
  }
  return null;
}

/** True for a foreign-key violation: a row the write references was deleted concurrently. */
export function isForeignKeyViolation(error: unknown): boolean {
  return pgError(error)?.code === '23503';
}

/** True for a unique-constraint violation (optionally of the named constraint or index). */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  const pg = pgError(error);
  if (pg?.code !== '23505') return false;
  return (
    constraint === undefined ||
    pg.constraint === constraint ||
    String((error as Error).message).includes(constraint)
  );
}

/**
 * True for the errors PostgreSQL raises to break a lock cycle or a serialization conflict: the
 * transaction did nothing and can simply run again (deadlock_detected, serialization_failure).
 */
export function isRetryableConflict(error: unknown): boolean {
  const code = pgError(error)?.code;
  return code === '40P01' || code === '40001';
}

/** True when the database could not be reached or went away mid-request (answer 503, not 500). */
export function isConnectionError(error: unknown): boolean {
  const pg = pgError(error);
  if (pg?.code && /^(08|57P0[1-3]|53300)/.test(pg.code)) return true;
  let current: unknown = error;
  for (let depth = 0; current && depth < 5; depth++) {
    const { code, message } = current as { code?: unknown; message?: unknown };
    if (
      typeof code === 'string' &&
      ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND'].includes(code)
    )
      return true;
    if (
      typeof message === 'string' &&
      /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(
        message,
      )
    )
      return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}
