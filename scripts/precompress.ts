/**
 * `npm run precompress [dir]`: writes `.br` and `.gz` beside every compressible file of the static
 * root (default public/) that is at least 1 KiB and gets smaller, so @fastify/static sends them
 * precompressed (brotli at maximum quality: done once at build time, not per request).
 * Stale siblings of files that no longer compress are removed. Safe to run repeatedly.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import zlib from 'node:zlib';

const COMPRESSIBLE = /\.(html|css|js|mjs|json|map|svg|txt|xml|wasm|ico|webmanifest)$/i;
const MIN_BYTES = 1024;

/** Compresses one directory tree; returns the files written. */
export function precompress(root: string): string[] {
  const written: string[] = [];
  const names = fs.readdirSync(root, { recursive: true }).map(String);
  // The siblings themselves are outputs, never inputs (and may be removed below).
  for (const name of names.filter((n) => !/\.(br|gz)$/i.test(n))) {
    const file = path.join(root, name);
    if (!fs.statSync(file).isFile() || !COMPRESSIBLE.test(file)) continue;
    const data = fs.readFileSync(file);
    const variants = {
      '.br': () =>
        zlib.brotliCompressSync(data, {
          params: {
            [zlib.constants.BROTLI_PARAM_QUALITY]: zlib.constants.BROTLI_MAX_QUALITY,
            [zlib.constants.BROTLI_PARAM_SIZE_HINT]: data.length,
          },
        }),
      '.gz': () => zlib.gzipSync(data, { level: zlib.constants.Z_BEST_COMPRESSION }),
    };
    for (const [ext, compress] of Object.entries(variants)) {
      const target = file + ext;
      const packed = data.length >= MIN_BYTES ? compress() : null;
      if (packed && packed.length < data.length) {
        fs.writeFileSync(target, packed);
        written.push(target);
      } else {
        fs.rmSync(target, { force: true });
      }
    }
  }
  return written;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const root = path.resolve(process.argv[2] ?? path.join(import.meta.dirname, '..', 'public'));
  const written = precompress(root);
  console.log(`precompressed ${written.length} file(s) under ${root}`);
}
