/**
 * A closed-loop HTTP load generator: `concurrency` keep-alive connections, each sending its next
 * request as soon as the previous answer has been read, for a fixed time. Built on node:http so
 * the bench adds no dependency; each request is a few microseconds of client CPU, small next to
 * the server's share of the same two cores.
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';

export interface RequestSpec {
  method: 'GET' | 'POST' | 'DELETE' | 'PATCH';
  path: string;
  token?: string;
  body?: unknown;
  /** Statuses that count as success (default: any 2xx). */
  expect?: number[];
}

/** Builds the `n`-th request of connection `worker` (so workers can keep their own state). */
export type NextRequest = (worker: number, n: number) => RequestSpec;

export interface LoadResult {
  concurrency: number;
  seconds: number;
  requests: number;
  errors: number;
  rps: number;
  p50: number;
  p99: number;
  /** The first failure seen (status and body start, or the network error), for diagnosis. */
  firstError: string | null;
}

export interface Target {
  host: string;
  port: number;
}

interface Answer {
  status: number;
  body: string;
}

const succeeded = (spec: RequestSpec, status: number) =>
  spec.expect ? spec.expect.includes(status) : status >= 200 && status < 300;

/**
 * Sends like a real client (mobile HTTP stacks and browsers all accept gzip), so compression is
 * part of the server's measured cost. A body is kept only when it is needed: failures and `call`.
 */
function send(agent: http.Agent, target: Target, spec: RequestSpec, keepAll: boolean): Promise<Answer> {
  const payload = spec.body === undefined ? undefined : JSON.stringify(spec.body);
  const headers: Record<string, string> = { accept: 'application/json' };
  if (!keepAll) headers['accept-encoding'] = 'gzip, br';
  if (spec.token) headers.authorization = `Bearer ${spec.token}`;
  if (payload !== undefined) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(Buffer.byteLength(payload));
  }
  return new Promise((resolve, reject) => {
    const request = http.request(
      { agent, host: target.host, port: target.port, method: spec.method, path: spec.path, headers },
      (response) => {
        const chunks: Buffer[] = [];
        const keep = keepAll || !succeeded(spec, response.statusCode ?? 0);
        // The body is always drained (the connection is reused) but only kept when needed.
        response.on('data', (chunk: Buffer) => keep && chunks.push(chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString() }),
        );
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(payload);
  });
}

/** One request, answer parsed as JSON; throws on an unexpected status (set-up calls). */
export async function call(target: Target, spec: RequestSpec): Promise<any> {
  const agent = new http.Agent({ keepAlive: false });
  const answer = await send(agent, target, spec, true);
  if (!succeeded(spec, answer.status))
    throw new Error(`${spec.method} ${spec.path}: ${answer.status} ${answer.body.slice(0, 300)}`);
  return answer.body ? JSON.parse(answer.body) : null;
}

const percentile = (sorted: Float64Array, p: number) =>
  sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

/** Runs `next` on `concurrency` connections for `seconds`; latencies are per request, in ms. */
export async function runLoad(
  target: Target,
  options: { concurrency: number; seconds: number; next: NextRequest },
): Promise<LoadResult> {
  const { concurrency, seconds, next } = options;
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | null = null;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const worker = async (index: number) => {
    for (let n = 0; performance.now() < deadline; n++) {
      const spec = next(index, n);
      const begin = performance.now();
      try {
        const answer = await send(agent, target, spec, false);
        if (!succeeded(spec, answer.status)) {
          errors++;
          firstError ??= `${spec.method} ${spec.path.slice(0, 80)} → ${answer.status} ${answer.body.slice(0, 200)}`;
        }
      } catch (error) {
        errors++;
        firstError ??= `${spec.method} ${spec.path.slice(0, 80)} → ${(error as Error).message}`;
      }
      latencies.push(performance.now() - begin);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, (_, i) => worker(i)));
  const elapsed = (performance.now() - started) / 1000;
  agent.destroy();
  const sorted = Float64Array.from(latencies).sort();
  return {
    concurrency,
    seconds: elapsed,
    requests: latencies.length,
    errors,
    rps: latencies.length / elapsed,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    firstError,
  };
}

export { percentile };

export type Timing = Pick<LoadResult, 'requests' | 'errors' | 'p50' | 'p99' | 'firstError'>;

/** `count` requests one after another on one connection (after max(50, count/4) unmeasured ones): latency. */
export async function runSequential(target: Target, spec: RequestSpec, count: number): Promise<Timing> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | null = null;
  const warmup = Math.max(50, Math.ceil(count / 4));
  for (let n = 0; n < warmup + count; n++) {
    const begin = performance.now();
    const answer = await send(agent, target, spec, false);
    if (n < warmup) continue;
    latencies.push(performance.now() - begin);
    if (!succeeded(spec, answer.status)) {
      errors++;
      firstError ??= `${answer.status} ${answer.body.slice(0, 200)}`;
    }
  }
  agent.destroy();
  const sorted = Float64Array.from(latencies).sort();
  return { requests: count, errors, p50: percentile(sorted, 50), p99: percentile(sorted, 99), firstError };
}
