import compress from '@fastify/compress';
import type { FastifyInstance } from 'fastify';

/**
 * gzip/brotli for responses of 1 KiB or more whose type compresses (JSON, HTML, JS, CSS; never
 * images). Measured on a 100-trip page: 156 KB of JSON becomes 7-8 KB for about 1 ms of CPU
 * (brotli quality 4, gzip level 6; now level 1, below), a 20-trip page 31 KB → 2 KB for 0.3-0.6 ms; worth it for
 * mobile clients. Files with a precompressed sibling are sent as they are (already encoded).
 * Auth responses carry tokens and are tiny: left uncompressed so no secret ever shares a
 * compression context with request data (BREACH). Request bodies are never decompressed.
 */
export async function installCompression(app: FastifyInstance, enabled: boolean): Promise<void> {
  if (!enabled) return;
  app.addHook('onRoute', (route) => {
    if (route.url.startsWith('/api/v1/auth')) route.compress = false;
  });
  await app.register(compress, {
    global: true,
    globalDecompression: false,
    encodings: ['br', 'gzip'],
    threshold: 1024,
    // gzip level 1: zlib's default (6) was ~5 % of a trip-detail request's CPU under load for a
    // response of a few KB; level 1 takes a third of that and still shrinks JSON by ~75 %.
    zlibOptions: { level: 1 },
  });
}
