import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/**
 * What the hooks need to know about the route a request matched. Fastify's `request.routeOptions`
 * builds a new object on every read, and the hooks read it seven times a request: the edge reads
 * it once (to find the route's config object, which Fastify keeps for the route's life) and the
 * facts are worked out on the route's first request and kept by that object.
 */
export interface RouteFacts {
  /** The route's pattern, or null when no route matched (a 404). */
  readonly url: string | null;
  /** Under /api/v1: authenticated unless the route declares `config: { public: true }`. */
  readonly api: boolean;
  readonly public: boolean;
  /** The route's config (`rateLimit`, `csp`, …) for steps that read their own keys. */
  readonly config: Readonly<Record<string, unknown>>;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the edge hook before anything else runs (see installEdge); null for a request that
     * never reached it (one Fastify refused before routing: a malformed URL, say). */
    routeFacts: RouteFacts | null;
  }
}

/** What a step did: nothing to stop for (undefined), refused the request (an error), or answered it. */
export const ANSWERED = Symbol('answered');
export type EdgeOutcome = undefined | Error | typeof ANSWERED;

/**
 * One synchronous step at the edge of every request: it may set headers, refuse the request with
 * an error (the error handler answers in the envelope) or answer it itself (a redirect, a CORS
 * preflight) and return ANSWERED.
 */
export type EdgeStep = (request: FastifyRequest, reply: FastifyReply, route: RouteFacts) => EdgeOutcome;

const factsByConfig = new WeakMap<object, RouteFacts>();

function factsOf(request: FastifyRequest): RouteFacts {
  const route = request.routeOptions;
  let facts = factsByConfig.get(route.config);
  if (!facts) {
    const config = route.config as unknown as Record<string, unknown>;
    const url = route.url ?? null;
    const api = url?.startsWith('/api/v1') === true;
    facts = { url, api, public: config.public === true, config };
    factsByConfig.set(route.config, facts);
  }
  return facts;
}

/**
 * The edge: the steps every request passes before its route's own hooks (request id, security
 * headers, Host check, HTTPS, CORS, identifying the caller), run in the given order by one
 * callback hook. Each concern stays in its own module; one hook instead of six saves Fastify's
 * per-hook work on every request (measured on GET /health/, see docs/measurements).
 */
export function installEdge(app: FastifyInstance, steps: readonly (EdgeStep | null)[]): void {
  const run = steps.filter((step): step is EdgeStep => step !== null);
  app.decorateRequest('routeFacts', null);
  app.addHook('onRequest', (request, reply, done) => {
    const route = factsOf(request);
    request.routeFacts = route;
    for (const step of run) {
      const outcome = step(request, reply, route);
      if (outcome === undefined) continue;
      if (outcome !== ANSWERED) done(outcome);
      return;
    }
    done();
  });
}
