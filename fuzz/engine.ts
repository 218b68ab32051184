/**
 * The fuzz loop: read the OpenAPI document, then in batches build a fresh world of fixtures,
 * generate requests round-robin over every operation from one seeded PRNG, send them, and judge
 * every reply. The app must still answer /health/ after each batch.
 */
import { createHash } from 'node:crypto';
import { generateRequest, type FuzzRequest } from './generate.ts';
import { minimize } from './minimize.ts';
import { readOperations, type Operation } from './openapi.ts';
import { Prng } from './prng.ts';
import type { Transport, WireRequest, WireResponse } from './transport.ts';
import { judge, type FindingKind } from './verdict.ts';
import { createWorld, substitute, type World } from './world.ts';

export interface FuzzOptions {
  transport: Transport;
  seed: number;
  /** Requests to send (fixture set-up requests are not counted). */
  count: number;
  concurrency: number;
  /** Requests per fresh world of fixtures (deletes and role changes wear a world out). */
  batchSize?: number;
  /** Stop starting new requests after this many ms (the test suite's bound). */
  deadlineMs?: number;
  /** Reads an invitation's accept token from the outbox (in-process runs). */
  invitationToken?: (email: string) => Promise<string | null>;
  /** The logged error (stack) for a request id, to explain a 500. */
  errorFor?: (requestId: string) => string | undefined;
  /** A reply slower than this is a finding (default 10 s: generous for a shared, loaded machine). */
  slowMs?: number;
  /** How many distinct findings to shrink to a minimal request. */
  minimizeFindings?: number;
  log?: (line: string) => void;
}

export interface Finding {
  kind: FindingKind;
  reason: string;
  op: string;
  label: string;
  caller: string;
  status: number;
  request: WireRequest;
  response: string;
  stack?: string;
  minimized?: WireRequest;
  reproduced?: boolean;
  /** The fixtures the request was aimed at (to print ids and tokens by name). */
  world: World;
}

export interface OpStats {
  sent: number;
  s2xx: number;
  s3xx: number;
  s4xx: number;
  s5xx: number;
  findings: number;
}

export interface FuzzReport {
  seed: number;
  transport: string;
  operations: Operation[];
  planned: number;
  sent: number;
  setupRequests: number;
  worlds: number;
  durationMs: number;
  digest: string;
  perOp: Map<string, OpStats>;
  statuses: Map<number, number>;
  families: Map<string, number>;
  findings: Finding[];
  /** Distinct findings (by kind, operation, status and cause) with how often each occurred. */
  distinct: Map<string, { count: number; first: Finding }>;
  healthFailures: string[];
  /** The slowest replies (to spot inputs that cost the server far more than they should). */
  slowest: { ms: number; op: string; label: string; status: number }[];
}

async function pool<T>(items: T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

const requestIdOf = (response: WireResponse): string | undefined => {
  const header = response.headers['x-request-id'];
  return typeof header === 'string' ? header : undefined;
};

/** Runs the fuzz campaign and returns what it saw; it never throws for a finding, only for a broken harness. */
export async function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const started = Date.now();
  const { transport } = options;
  const log = options.log ?? (() => undefined);
  const docResponse = await transport.send({ method: 'GET', url: '/api/schema/', headers: {} });
  if (docResponse.status !== 200) throw new Error(`GET /api/schema/ → ${docResponse.status}`);
  const operations = readOperations(JSON.parse(docResponse.text));
  const chat = operations.some((op) => op.key === 'POST /api/v1/trips/{id}/messages/');
  const rng = new Prng(options.seed);
  const digest = createHash('sha256');
  const report: FuzzReport = {
    seed: options.seed,
    transport: transport.name,
    operations,
    planned: options.count,
    sent: 0,
    setupRequests: 0,
    worlds: 0,
    durationMs: 0,
    digest: '',
    perOp: new Map(
      operations.map((op) => [op.key, { sent: 0, s2xx: 0, s3xx: 0, s4xx: 0, s5xx: 0, findings: 0 }]),
    ),
    statuses: new Map(),
    families: new Map(),
    findings: [],
    distinct: new Map(),
    healthFailures: [],
    slowest: [],
  };
  const batchSize = options.batchSize ?? 400;
  const slowMs = options.slowMs ?? 10_000;
  const deadline = options.deadlineMs ? started + options.deadlineMs : Infinity;
  let generated = 0;
  let world: World = {};

  const record = (request: FuzzRequest, concrete: WireRequest, response: WireResponse, ms: number) => {
    report.sent++;
    if (report.slowest.length < 8 || ms > report.slowest.at(-1)!.ms) {
      report.slowest.push({ ms, op: request.op, label: request.kind, status: response.status });
      report.slowest.sort((a, b) => b.ms - a.ms).splice(8);
    }
    const stats = report.perOp.get(request.op)!;
    stats.sent++;
    const s = response.status;
    if (s >= 200 && s < 300) stats.s2xx++;
    else if (s >= 300 && s < 400) stats.s3xx++;
    else if (s >= 400 && s < 500) stats.s4xx++;
    else if (s >= 500) stats.s5xx++;
    report.statuses.set(s, (report.statuses.get(s) ?? 0) + 1);
    for (const label of request.kind.split(' ')) {
      const familyName = label.split(':')[0]!;
      report.families.set(familyName, (report.families.get(familyName) ?? 0) + 1);
    }
    const verdict = judge(response, ms, slowMs);
    if (!verdict) return;
    stats.findings++;
    const requestId = requestIdOf(response);
    const stack = requestId ? options.errorFor?.(requestId) : undefined;
    const finding: Finding = {
      ...verdict,
      op: request.op,
      label: request.kind,
      caller: request.caller,
      status: s,
      request: concrete,
      world,
      response: response.text.slice(0, 2000),
      ...(stack ? { stack } : {}),
    };
    report.findings.push(finding);
    const cause = stack?.split('\n')[0] ?? verdict.reason;
    const key = `${verdict.kind} ${request.op} ${s} ${cause}`;
    const seen = report.distinct.get(key);
    if (seen) seen.count++;
    else {
      report.distinct.set(key, { count: 1, first: finding });
      log(`FINDING ${key} [${request.kind}] as ${request.caller}`);
    }
  };

  while (generated < options.count && Date.now() < deadline) {
    const counting: Transport = { ...transport, send: (r) => (report.setupRequests++, transport.send(r)) };
    world = await createWorld(counting, { invitationToken: options.invitationToken, chat });
    report.worlds++;
    const batch: FuzzRequest[] = [];
    for (let i = 0; i < batchSize && generated < options.count; i++, generated++) {
      const request = generateRequest(operations[generated % operations.length]!, rng);
      digest.update(`${request.method} ${request.url}\n${JSON.stringify(request.headers)}\n`);
      digest.update(request.body ?? '');
      batch.push(request);
    }
    await pool(batch, options.concurrency, async (request) => {
      if (Date.now() >= deadline) return;
      const concrete: WireRequest = {
        method: request.method,
        url: substitute(request.url, world),
        headers: Object.fromEntries(
          Object.entries(request.headers).map(([k, v]) => [k, substitute(v, world)]),
        ),
        body: typeof request.body === 'string' ? substitute(request.body, world) : request.body,
      };
      const sentAt = performance.now();
      const response = await transport.send(concrete);
      record(request, concrete, response, performance.now() - sentAt);
    });
    const health = await transport.send({ method: 'GET', url: '/health/', headers: {} });
    if (health.status !== 200)
      report.healthFailures.push(
        `after ${report.sent} requests: ${health.status} ${health.transportError ?? health.text.slice(0, 200)}`,
      );
    log(`… ${report.sent}/${options.count} sent, ${report.findings.length} findings`);
  }

  await minimizeFindings(report, transport, options.minimizeFindings ?? 10, slowMs);
  report.digest = digest.digest('hex').slice(0, 16);
  report.durationMs = Date.now() - started;
  return report;
}

/** Re-sends each distinct finding alone, then shrinks it while it fails the same way. */
async function minimizeFindings(
  report: FuzzReport,
  transport: Transport,
  limit: number,
  slowMs: number,
): Promise<void> {
  for (const { first } of [...report.distinct.values()].slice(0, limit)) {
    const fails = async (request: WireRequest) => {
      const started = performance.now();
      const response = await transport.send(request);
      return judge(response, performance.now() - started, slowMs)?.kind === first.kind;
    };
    first.reproduced = await fails(first.request);
    // Each try of a slow request costs its whole delay: shrink those less.
    if (first.reproduced)
      first.minimized = await minimize(first.request, fails, first.kind === 'slow' ? 12 : 300);
  }
}
