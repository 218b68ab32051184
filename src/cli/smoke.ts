import { parseArgs } from 'node:util';
import type { CliEnv } from '../config/cli.ts';
import { createHttpClient } from './http-client.ts';
import { printReport } from './report.ts';
import { accountChecks } from './smoke-account.ts';
import { edgeChecks, type SmokeTarget } from './smoke-edge.ts';
import type { Row } from './report.ts';

export const summary =
  'smoke <url> [--insecure] [--http-url <url>] [--origin <origin>]: verify a running deployment';

/** The plain-http address to test the redirect on: given, or the same host on port 80. */
export function httpBaseOf(base: URL, given: string | undefined): string | null {
  if (given) return given.replace(/\/+$/, '');
  if (base.protocol !== 'https:' || base.port !== '') return null;
  return `http://${base.host}`;
}

/** Runs every smoke check against `url`; the rows in checklist order. */
export async function smoke(
  url: string,
  options: { insecure?: boolean; httpUrl?: string; origin?: string | null; timeoutMs?: number } = {},
): Promise<Row[]> {
  const parsed = new URL(url);
  const base = `${parsed.protocol}//${parsed.host}`;
  const target: SmokeTarget = {
    base,
    httpBase: httpBaseOf(parsed, options.httpUrl),
    origin: options.origin ?? null,
  };
  const timeoutMs = options.timeoutMs ?? 10_000;
  const client = createHttpClient({ insecure: !!options.insecure, timeoutMs });
  try {
    return [...(await edgeChecks(client, target)), ...(await accountChecks(client, base, timeoutMs))];
  } finally {
    client.close();
  }
}

/** `smoke <url>`: the checklist's "Verify Deployment" and "Post-Deployment" items; exit 1 on any fail. */
export async function run(argv: string[], cli: CliEnv): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      insecure: { type: 'boolean', default: false },
      'http-url': { type: 'string' },
      origin: { type: 'string' },
      timeout: { type: 'string', default: '10000' },
    },
  });
  if (positionals.length !== 1 || !/^https?:\/\//.test(positionals[0]!)) {
    console.error(`usage: smart-trip-planner ${summary}`);
    return 2;
  }
  const rows = await smoke(positionals[0]!, {
    insecure: values.insecure,
    httpUrl: values['http-url'],
    origin: values.origin ?? cli.smokeOrigin,
    timeoutMs: Number(values.timeout) || 10_000,
  });
  return printReport(
    `Smoke test of ${positionals[0]}${values.insecure ? ' (certificate not verified)' : ''}`,
    rows,
  );
}
