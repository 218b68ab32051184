import pino, { type DestinationStream, type Logger } from 'pino';

/**
 * Paths pino blanks out wherever they appear in a logged object. Request logs only carry chosen
 * fields, so these guard error logs and anything a module logs by hand.
 */
export const REDACT_PATHS = [
  'password',
  'password_confirm',
  'new_password',
  'new_password_confirm',
  'old_password',
  'token',
  'access',
  'refresh',
  'refresh_token',
  'authorization',
  'cookie',
  '*.password',
  '*.password_confirm',
  '*.new_password',
  '*.new_password_confirm',
  '*.old_password',
  '*.token',
  '*.access',
  '*.refresh',
  '*.refresh_token',
  '*.authorization',
  '*.cookie',
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'headers.cookie',
  'res.headers["set-cookie"]',
];

/**
 * JSON logs to stdout (or a given stream, for tests), one object per line. Stdout is written
 * asynchronously: a line per request written synchronously was the largest single cost of a
 * request under load, and lines logged while a write is in flight now go out together in the next.
 * pino flushes what is left synchronously when the process exits (process.exit included).
 */
export function createLogger(level: string, stream?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'smart-trip-planner' },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    stream ?? pino.destination({ dest: 1, sync: false }),
  );
}

/** Strips secrets that clients put in query strings (WebSocket `?token=`) before a URL is logged. */
export function redactUrl(url: string): string {
  return url.replace(/([?&](?:token|access|refresh|key|secret)=)[^&#]*/gi, '$1[redacted]');
}
