#!/usr/bin/env node
// The operator CLI. In a checkout it runs the TypeScript source through tsx's loader, so no build
// step is needed and a stale dist/ is never run; the container image has no src/ and runs the
// compiled dist/cli.js (`npm run build`).
import { existsSync } from 'node:fs';
import path from 'node:path';

if (existsSync(path.join(import.meta.dirname, '..', 'src', 'cli.ts'))) {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli.ts');
} else {
  await import('../dist/cli.js');
}
