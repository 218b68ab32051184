import fs from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { STATIC_CSP, setRouteCsp } from './security-headers.ts';

/** `app.3f9a1c2e.js`, `logo-5d41402abc4b.svg`: a content hash of 8+ hex digits makes a name immutable. */
const HASHED_NAME = /[.-][0-9a-f]{8,}\.[a-z0-9]+$/i;

export const IMMUTABLE = 'public, max-age=31536000, immutable';
/** Unhashed names (index.html, robots.txt) may change with any deploy: caches revalidate soon. */
export const SHORT = 'public, max-age=300, must-revalidate';

/** The Cache-Control for a file under the static root. */
export function cacheControlFor(file: string): string {
  // A precompressed sibling (`app.3f9a1c2e.js.br`) is cached like the file it stands for.
  return HASHED_NAME.test(path.basename(file).replace(/\.(br|gz)$/, '')) ? IMMUTABLE : SHORT;
}

/**
 * Serves STATIC_ROOT at `/`. One route per file found at start-up (not a `/*` wildcard, which would
 * swallow every unknown GET and turn other methods' 404s into 405s). `.br`/`.gz` siblings made at
 * build time (scripts/precompress.ts) are sent to clients that accept them, with Vary set.
 * Not rate-limited: files are cheap, cacheable and a page loads many; call before the rate limiter.
 */
export async function installStaticFiles(app: FastifyInstance, root: string): Promise<void> {
  if (!fs.existsSync(root)) {
    app.log.warn({ root }, 'static root not found; serving no static files');
    return;
  }
  await app.register(async (scope) => {
    scope.addHook('onRoute', (route) => {
      setRouteCsp(route, STATIC_CSP);
      route.config = { ...(route.config as object), rateLimit: false } as typeof route.config;
    });
    await scope.register(fastifyStatic, {
      root,
      prefix: '/',
      wildcard: false,
      decorateReply: false,
      preCompressed: true,
      globIgnore: ['**/*.br', '**/*.gz'],
      cacheControl: false,
      setHeaders: (reply, file) => {
        reply.header('cache-control', cacheControlFor(file));
      },
    });
  });
}
