import helmet from '@fastify/helmet';
import type { FastifyInstance, RouteOptions } from 'fastify';

type Directives = Record<string, string[]>;

/** The API answers JSON and images only: nothing in a response may load, run or be framed. */
export const API_CSP: Directives = {
  'default-src': ["'none'"],
  'frame-ancestors': ["'none'"],
  'base-uri': ["'none'"],
  'form-action': ["'none'"],
};

/** /api/docs: Swagger UI's own scripts, styles and images, and fetches of the schema (same origin). */
export const DOCS_CSP: Directives = {
  'default-src': ["'none'"],
  'script-src': ["'self'"],
  // The hash admits the one inline <style> the bundled Swagger UI inserts (checked in headless
  // Chromium with @fastify/swagger-ui 6.1.3: no CSP violation left); nothing else inline runs.
  'style-src': ["'self'", "'sha256-RL3ie0nH+Lzz2YNqQN83mnU0J1ot4QL7b99vMdIX99w='"],
  'img-src': ["'self'", 'data:'],
  'font-src': ["'self'", 'data:'],
  'connect-src': ["'self'"],
  'frame-ancestors': ["'none'"],
  'base-uri': ["'none'"],
  'form-action': ["'self'"],
  'object-src': ["'none'"],
};

/** public/ (a web client later): its own origin for everything, nothing inline, never framed. */
export const STATIC_CSP: Directives = {
  'default-src': ["'self'"],
  'img-src': ["'self'", 'data:'],
  'object-src': ["'none'"],
  'frame-ancestors': ["'none'"],
  'base-uri': ["'self'"],
  'form-action': ["'self'"],
};

/** Per-route helmet options: a Content-Security-Policy other than the API's. */
export const cspFor = (directives: Directives) => ({
  contentSecurityPolicy: { useDefaults: false, directives },
});

/** Gives a route a different policy (helmet reads `config.helmet` at request time). */
export function setRouteCsp(route: RouteOptions, directives: Directives): void {
  route.config = { ...(route.config as object), helmet: cspFor(directives) } as RouteOptions['config'];
}

/**
 * The helmet set on every response: a strict CSP, COOP/COEP, Referrer-Policy no-referrer, nosniff,
 * X-Frame-Options, no X-Powered-By. Cross-Origin-Resource-Policy stays cross-origin: avatars and
 * (later) web-client assets are embedded from other origins; the API's data is guarded by CORS and
 * tokens, not by this header. HSTS is not sent here but by http/https.ts, over https only.
 * Routes under /api/docs get the docs policy; call before the docs are registered.
 */
export async function installSecurityHeaders(app: FastifyInstance): Promise<void> {
  app.addHook('onRoute', (route) => {
    if (route.url.startsWith('/api/docs')) setRouteCsp(route, DOCS_CSP);
  });
  await app.register(helmet, {
    global: true,
    contentSecurityPolicy: { useDefaults: false, directives: API_CSP },
    strictTransportSecurity: false,
    crossOriginResourcePolicy: { policy: 'cross-origin' },
    crossOriginOpenerPolicy: { policy: 'same-origin' },
    crossOriginEmbedderPolicy: { policy: 'require-corp' },
    referrerPolicy: { policy: 'no-referrer' },
    // Matches frame-ancestors 'none' for browsers that only know the older header.
    frameguard: { action: 'deny' },
  });
}
