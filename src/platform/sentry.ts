/**
 * Error reporting to Sentry (or any Sentry-protocol service, e.g. GlitchTip) when SENTRY_DSN is set.
 * The SDK is loaded only then. No tracing and no automatic instrumentation: the app reports the
 * errors it answers with a 5xx, tagged with the request id that the client also sees.
 */
import type * as SentryModuleNs from '@sentry/node';
import type { Logger } from 'pino';

type SentryModule = typeof SentryModuleNs;

export interface ReportContext {
  requestId: string;
  method: string;
  /** The route pattern (`/api/v1/trips/:id/`), never the raw URL with its query string. */
  route: string | null;
  userId: string | null;
  status: number;
}

export interface ErrorReporter {
  capture(error: unknown, context: ReportContext): void;
  flush(timeoutMs: number): Promise<void>;
}

let loaded: Promise<SentryModule> | null = null;
let initializedDsn: string | null = null;

/** A reporter for `dsn` (Sentry's client is process-wide: the first DSN given wins). */
export async function createErrorReporter(
  options: { dsn: string; environment: string; release: string },
  logger: Logger,
): Promise<ErrorReporter> {
  loaded ??= import('@sentry/node');
  const Sentry = await loaded;
  if (initializedDsn === null) {
    initializedDsn = options.dsn;
    Sentry.init({
      dsn: options.dsn,
      environment: options.environment,
      release: `smart-trip-planner@${options.release}`,
      sendDefaultPii: false,
      // Only what we send by hand: no OpenTelemetry tracing, no patched modules.
      skipOpenTelemetrySetup: true,
      defaultIntegrations: false,
      integrations: [
        Sentry.onUncaughtExceptionIntegration(),
        Sentry.onUnhandledRejectionIntegration({ mode: 'warn' }),
        Sentry.linkedErrorsIntegration(),
      ],
    });
  } else if (initializedDsn !== options.dsn) {
    logger.warn('Sentry is already set up in this process with another DSN; keeping the first');
  }
  return {
    capture(error, context) {
      Sentry.withScope((scope) => {
        scope.setTag('request_id', context.requestId);
        scope.setTag('status_code', String(context.status));
        if (context.route) scope.setTag('route', context.route);
        scope.setContext('request', { method: context.method, route: context.route, id: context.requestId });
        if (context.userId) scope.setUser({ id: context.userId });
        Sentry.captureException(error);
      });
    },
    async flush(timeoutMs) {
      await Sentry.flush(timeoutMs);
    },
  };
}
