import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { memoized } from './memo.ts';

/**
 * gzip/brotli for responses of 1 KiB or more whose type compresses (JSON, HTML, JS, CSS, SVG; never
 * images). A 10-trip page of 38 KB of JSON becomes 3.7 KB for 70 µs of CPU (brotli quality 1);
 * worth it for mobile clients. Files with a precompressed sibling are sent as they are (already encoded).
 * Auth responses carry tokens and are tiny: left uncompressed so no secret ever shares a
 * compression context with request data (BREACH). Request bodies are never decompressed.
 *
 * Our own hook rather than @fastify/compress: that plugin wraps every payload, even a JSON string
 * already in memory, in a chain of streams — under load that machinery cost about as much CPU as
 * the deflate itself (9 % of a trip-list request against 3.5 % in zlib). A string or Buffer is
 * compressed here in one synchronous call; only streams (static files without a sibling, media)
 * go through a zlib stream.
 */
export const COMPRESS_THRESHOLD = 1024;
const COMPRESSIBLE =
  /^(?:text\/|application\/(?:json|javascript|xml|[\w.+-]+\+(?:json|xml))|image\/svg\+xml)/i;
// gzip level 1: zlib's default (6) was ~5 % of a trip-detail request's CPU under load. On a
// 160 KB trip-list-shaped JSON, level 1 took 0.68 ms against 1.07 ms and shrank it 80 % against 81 %.
const GZIP = { level: 1 };
// Brotli quality 1: faster than gzip level 1 and smaller. Measured here on trip-shaped JSON (best of
// 5 × 300 calls): a 10-trip page (38 KB) took 70 µs → 3.7 KB at quality 1, 311 µs → 3.4 KB at 4,
// 141 µs → 4.2 KB with gzip 1; one trip (3.8 KB) 22 µs at quality 1, 61 µs at 4.
const BROTLI = { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 1 } };

export type Encoding = 'br' | 'gzip';

/**
 * A kept answer (http/response-cache.ts) and its encoded forms, made the first time a client asks
 * for each: a kept trip-list page is 77 KB, and compressing it again for every read was most of
 * what a cached read still cost.
 */
export interface KeptAnswer {
  body: string;
  encoded: Partial<Record<Encoding, Buffer>>;
}
const keptAnswers = new WeakMap<FastifyReply, KeptAnswer>();

/** Says that this reply sends `answer.body`: its encoded forms are reused, and kept when made. */
export function sendingKept(reply: FastifyReply, answer: KeptAnswer): void {
  keptAnswers.set(reply, answer);
}

const negotiated = memoized((header: string): Encoding | null => {
  let star = false;
  const accepted = new Set<string>();
  for (const part of header.split(',')) {
    const [name = '', ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    if (q !== undefined && !(Number(q.slice(2)) > 0)) continue;
    if (name === '*') star = true;
    else accepted.add(name);
  }
  if (accepted.has('br')) return 'br';
  if (accepted.has('gzip') || star) return 'gzip';
  return null;
});

/** The encoding to answer with: brotli, else gzip, by the client's Accept-Encoding (q=0 refuses). */
export function negotiateEncoding(header: string | undefined): Encoding | null {
  return header ? negotiated(header) : null;
}

function compressible(reply: FastifyReply): boolean {
  if (reply.getHeader('content-encoding')) return false;
  if (reply.statusCode === 204 || reply.statusCode === 304) return false;
  const type = reply.getHeader('content-type');
  return typeof type === 'string' && COMPRESSIBLE.test(type);
}

function encode(payload: unknown, encoding: Encoding): Buffer | Readable | null {
  if (typeof payload === 'string' || Buffer.isBuffer(payload))
    return encoding === 'br' ? zlib.brotliCompressSync(payload, BROTLI) : zlib.gzipSync(payload, GZIP);
  if (payload instanceof Readable)
    return payload.pipe(encoding === 'br' ? zlib.createBrotliCompress(BROTLI) : zlib.createGzip(GZIP));
  return null;
}

export function installCompression(app: FastifyInstance, enabled: boolean): void {
  if (!enabled) return;
  app.addHook('onSend', (request: FastifyRequest, reply, payload, done) => {
    if (
      request.routeFacts?.url?.startsWith('/api/v1/auth') ||
      request.method === 'HEAD' ||
      !compressible(reply)
    )
      return done(null, payload);
    // Every compressible response varies by Accept-Encoding, compressed this time or not, so a
    // cache never hands a gzip body to a client that cannot read it (nor the reverse).
    reply.header('vary', varyWith(reply.getHeader('vary')));
    // Too small to be worth it: decided before parsing Accept-Encoding (most answers end here).
    const inMemory = typeof payload === 'string' || Buffer.isBuffer(payload);
    const length = inMemory ? Buffer.byteLength(payload) : Number(reply.getHeader('content-length'));
    if ((inMemory || length > 0) && length < COMPRESS_THRESHOLD) return done(null, payload);
    const encoding = negotiateEncoding(request.headers['accept-encoding']);
    if (!encoding) return done(null, payload);
    const kept = keptAnswers.get(reply);
    const same = kept !== undefined && kept.body === payload;
    const encoded = (same ? kept.encoded[encoding] : undefined) ?? encode(payload, encoding);
    if (!encoded) return done(null, payload);
    if (same && Buffer.isBuffer(encoded)) kept.encoded[encoding] = encoded;
    reply.header('content-encoding', encoding);
    reply.removeHeader('content-length');
    done(null, encoded);
  });
}

function varyWith(current: unknown): string {
  const value = Array.isArray(current) ? current.join(', ') : typeof current === 'string' ? current : '';
  if (/(^|,)\s*(accept-encoding|\*)\s*(,|$)/i.test(value)) return value;
  return value ? `${value}, Accept-Encoding` : 'Accept-Encoding';
}
