import type { FastifyRequest } from 'fastify';
import type { Config } from '../config/index.ts';
import { ANSWERED, type EdgeStep } from './edge.ts';

/** Paths an orchestrator or Prometheus calls by pod address over plain HTTP, never redirected. */
export const INFRASTRUCTURE_PATH = /^\/(health|metrics)(\/|\?|$)/;

/**
 * True when the client reached us over TLS: the socket itself, or X-Forwarded-Proto from a peer in
 * TRUSTED_PROXIES (Fastify's trustProxy ignores the header from anyone else).
 */
export function isHttps(request: FastifyRequest): boolean {
  return request.protocol?.toLowerCase() === 'https';
}

/** The Strict-Transport-Security value, or null when HSTS_SECONDS is 0. */
export function hstsValue(hsts: Config['hsts']): string | null {
  if (hsts.maxAgeSec <= 0) return null;
  let value = `max-age=${hsts.maxAgeSec}`;
  if (hsts.includeSubDomains) value += '; includeSubDomains';
  if (hsts.preload) value += '; preload';
  return value;
}

/**
 * SECURE_SSL_REDIRECT and HSTS, an edge step after the Host check, so the Location header is only
 * ever built from a host we serve. GET/HEAD get 301 (cacheable, as Django does); other methods
 * 308 so a client re-sends its body instead of turning a POST into a GET.
 * HSTS goes on https responses only: browsers ignore it over http, and sending it there would
 * wrongly suggest plain-http deployments are protected.
 */
export function httpsStep(config: Pick<Config, 'secureSslRedirect' | 'hsts'>): EdgeStep {
  const hsts = hstsValue(config.hsts);
  return (request, reply) => {
    const https = isHttps(request);
    if (https && hsts) reply.header('strict-transport-security', hsts);
    if (https || !config.secureSslRedirect || INFRASTRUCTURE_PATH.test(request.url)) return undefined;
    const code = request.method === 'GET' || request.method === 'HEAD' ? 301 : 308;
    reply.code(code).header('location', `https://${request.host}${request.url}`).send();
    return ANSWERED;
  };
}
