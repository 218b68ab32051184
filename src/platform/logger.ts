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

// Lines are gathered up to this many bytes (about a dozen request lines) before a write, and
// written at least this often, so a quiet service's lines still appear within a fraction of a second.
const LOG_BATCH_BYTES = 4096;
const LOG_FLUSH_MS = 200;

/**
 * JSON logs to stdout (or a given stream, for tests), one object per line. Stdout is written
 * asynchronously and in batches: a line per request written synchronously was the largest single
 * cost of a request under load, and even written asynchronously each line was still a write(2) of
 * its own whenever the previous one had finished (5 % of a worker's CPU on the trip list, where
 * a write is dear: see docs/measurements). pino flushes what is left synchronously when the process
 * exits (process.exit included); a process killed outright (SIGKILL, OOM) loses at most the last
 * LOG_FLUSH_MS of lines.
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
    stream ??
      pino.destination({ dest: 1, sync: false, minLength: LOG_BATCH_BYTES, periodicFlush: LOG_FLUSH_MS }),
  );
}

/** Strips secrets that clients put in query strings (WebSocket `?token=`) before a URL is logged. */
export function redactUrl(url: string): string {
  return url.replace(/([?&](?:token|access|refresh|key|secret)=)[^&#]*/gi, '$1[redacted]');
}

type LogMethod = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

/**
 * A request's logger, made only when the request logs something. Fastify gives every request a
 * pino child bound to its id; making one runs the redaction over those bindings, which was ~7 % of
 * a worker's CPU on GET /health/. Most requests never log through it (the request line is written
 * by the root logger with `req_id`, see http/request-log.ts), so the child is built on first use.
 */
class LazyChildLogger {
  #real: Logger | null = null;
  readonly #parent: Logger;
  readonly #bindings: Record<string, unknown>;
  readonly #options: pino.ChildLoggerOptions;

  constructor(parent: Logger, bindings: Record<string, unknown>, options: pino.ChildLoggerOptions) {
    this.#parent = parent;
    this.#bindings = bindings;
    this.#options = options;
  }

  #logger(): Logger {
    return (this.#real ??= this.#parent.child(this.#bindings, this.#options));
  }

  // The level is decided before building anything: a debug line at info costs one comparison.
  #log(method: LogMethod, args: unknown[]): void {
    if (this.#real === null && !this.isLevelEnabled(method)) return;
    (this.#logger()[method] as (...a: unknown[]) => void)(...args);
  }

  get level(): string {
    return this.#real?.level ?? this.#options.level ?? this.#parent.level;
  }
  set level(level: string) {
    this.#logger().level = level;
  }
  isLevelEnabled(level: string): boolean {
    if (this.#real) return this.#real.isLevelEnabled(level);
    const values = this.#parent.levels.values;
    return (values[level] ?? Infinity) >= (values[this.level] ?? 0);
  }
  silent(): void {}
  fatal(...args: unknown[]): void {
    this.#log('fatal', args);
  }
  error(...args: unknown[]): void {
    this.#log('error', args);
  }
  warn(...args: unknown[]): void {
    this.#log('warn', args);
  }
  info(...args: unknown[]): void {
    this.#log('info', args);
  }
  debug(...args: unknown[]): void {
    this.#log('debug', args);
  }
  trace(...args: unknown[]): void {
    this.#log('trace', args);
  }
  child(bindings: Record<string, unknown>, options?: pino.ChildLoggerOptions): Logger {
    return this.#logger().child(bindings, options);
  }
  bindings(): Record<string, unknown> {
    return this.#real ? this.#real.bindings() : { ...this.#parent.bindings(), ...this.#bindings };
  }
}

/** Fastify's childLoggerFactory: a request logger that costs nothing until the request logs. */
export function lazyChildLogger(
  parent: Logger,
  bindings: Record<string, unknown>,
  options: pino.ChildLoggerOptions,
): Logger {
  return new LazyChildLogger(parent, bindings, options) as unknown as Logger;
}
