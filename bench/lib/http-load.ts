/**
 * A closed-loop HTTP load generator: `concurrency` keep-alive connections, each sending its next
 * request as soon as the previous answer has been read, for a fixed time.
 *
 * It speaks HTTP/1.1 on raw node:net sockets, not node:http, because the generator shares the
 * machine's two cores with the server, database and Redis it measures: each microsecond it spends
 * per request is taken from the server. Measured on the floor's GET /floor/json at concurrency 32:
 * node:http (ClientRequest, IncomingMessage, streams, a promise per request) cost 45–75 µs of
 * generator CPU per request (100–170 µs for authenticated service requests); this client ~11 µs,
 * of which ~4 µs user and the rest kernel time of the loopback write and read.
 *
 * So it does only what the closed loop needs (http1-connection.ts): one write per request
 * (headers and body in one string), one reusable read buffer per connection, a callback per
 * answer (no promise), and a parser that reads the status and the framing headers (content-length, chunked, connection).
 * Bodies are framed, not kept: only a failure's body (while no failure has been recorded yet) and
 * `call`'s are copied, and only those are decompressed.
 */
import { performance } from 'node:perf_hooks';
import {
  Connection,
  KEEP_ALL,
  KEEP_FAILED,
  KEEP_NONE,
  request,
  succeeded,
  type RequestSpec,
  type Settle,
  type Target,
} from './http1-connection.ts';

export type { RequestSpec, Target };

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

/** One request, answer parsed as JSON; throws on an unexpected status (set-up calls). */
export async function call(target: Target, spec: RequestSpec): Promise<any> {
  const connection = new Connection(target, { compressed: false, close: true });
  try {
    const answer = await request(connection, spec, KEEP_ALL);
    if (!succeeded(spec.expect, answer.status))
      throw new Error(`${spec.method} ${spec.path}: ${answer.status} ${answer.body.slice(0, 300)}`);
    return answer.body ? JSON.parse(answer.body) : null;
  } finally {
    connection.close();
  }
}

const percentile = (sorted: Float64Array, p: number) =>
  sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

/** How long after the run's end answers still in flight are waited for before they count as errors. */
const STALL_MS = 30_000;

/**
 * Runs `next` on `concurrency` connections for `seconds`; latencies are per request, in ms.
 *
 * The connections are opened one at a time before the clock starts, each answering one request
 * (its `n` = 0, not measured) before the next opens. A cluster's primary hands each new
 * connection to the worker that takes it first; opened all at once, while the workers are still
 * busy with the previous run, they split unevenly (measured: 10 and 22 of 32), and the worker with
 * more then answered each of them several times slower (about 218 requests per connection in
 * 5 s against 1,150 on the other): the p99 measured that split, not the service. Opened in turn,
 * they alternate between the workers, as a client's pool that grows with its traffic would.
 */
export async function runLoad(
  target: Target,
  options: { concurrency: number; seconds: number; next: NextRequest },
): Promise<LoadResult> {
  const { concurrency, seconds, next } = options;
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | null = null;
  const connections: Connection[] = [];
  for (let index = 0; index < concurrency; index++) {
    const connection = new Connection(target, { compressed: true, close: false });
    connections.push(connection);
    const spec = next(index, 0);
    try {
      const answer = await request(connection, spec, KEEP_FAILED);
      if (!succeeded(spec.expect, answer.status)) {
        errors++;
        firstError ??= `${spec.method} ${spec.path.slice(0, 80)} → ${answer.status} ${answer.body.slice(0, 200)}`;
      }
    } catch (error) {
      errors++;
      firstError ??= `${spec.method} ${spec.path.slice(0, 80)} → ${(error as Error).message}`;
    }
  }
  const started = performance.now();
  const deadline = started + seconds * 1000;

  return new Promise((resolve, reject) => {
    let running = concurrency;
    let failed = false;
    // Without it a server that stops answering would hang the bench.
    const stall = setTimeout(
      () => {
        const error = new Error(`no answer ${STALL_MS / 1000} s after the run's end`);
        for (const connection of connections) connection.close(error);
      },
      seconds * 1000 + STALL_MS,
    );
    const stopped = () => {
      if (--running > 0) return;
      clearTimeout(stall);
      if (failed) return;
      const elapsed = (performance.now() - started) / 1000;
      const sorted = Float64Array.from(latencies).sort();
      resolve({
        concurrency,
        seconds: elapsed,
        requests: latencies.length,
        errors,
        rps: latencies.length / elapsed,
        p50: percentile(sorted, 50),
        p99: percentile(sorted, 99),
        firstError,
      });
    };
    // A throwing `next` ends the run with its error, as an exception in the loop would.
    const abort = (error: unknown) => {
      if (!failed) {
        failed = true;
        reject(error);
      }
      for (const connection of connections) connection.close();
    };

    for (const [index, connection] of connections.entries()) {
      let n = 1; // 0 opened the connection
      let spec: RequestSpec;
      let begin = 0;
      // The loop is callbacks, not `await`: no promise or closure per request.
      const settle: Settle = (error, status, body) => {
        const now = performance.now();
        latencies.push(now - begin);
        if (error) {
          errors++;
          firstError ??= `${spec.method} ${spec.path.slice(0, 80)} → ${error.message}`;
        } else if (!succeeded(spec.expect, status)) {
          errors++;
          firstError ??= `${spec.method} ${spec.path.slice(0, 80)} → ${status} ${body.slice(0, 200)}`;
        }
        issue(now);
      };
      const issue = (now: number) => {
        if (failed || now >= deadline) {
          connection.close();
          return stopped();
        }
        try {
          spec = next(index, n++);
          begin = performance.now();
          connection.send(spec, firstError === null ? KEEP_FAILED : KEEP_NONE, settle);
        } catch (error) {
          abort(error);
          stopped();
        }
      };
      issue(performance.now());
    }
    if (concurrency < 1) {
      running = 1;
      stopped();
    }
  });
}

export { percentile };

export type Timing = Pick<LoadResult, 'requests' | 'errors' | 'p50' | 'p99' | 'firstError'>;

/** `count` requests one after another on one connection (after max(50, count/4) unmeasured ones): latency. */
/**
 * `count` requests one after another on one connection, after a quarter as many unmeasured; with
 * `minMs`, more until that long has passed (a p99 of more samples is steadier).
 */
export async function runSequential(
  target: Target,
  spec: RequestSpec,
  count: number,
  minMs = 0,
): Promise<Timing> {
  const connection = new Connection(target, { compressed: true, close: false });
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | null = null;
  const warmup = Math.max(50, Math.ceil(count / 4));
  let measuredFrom = 0;
  try {
    for (let n = 0; n < warmup + count || performance.now() - measuredFrom < minMs; n++) {
      if (n === warmup) measuredFrom = performance.now();
      const begin = performance.now();
      const answer = await request(
        connection,
        spec,
        n >= warmup && firstError === null ? KEEP_FAILED : KEEP_NONE,
      );
      if (n < warmup) continue;
      latencies.push(performance.now() - begin);
      if (!succeeded(spec.expect, answer.status)) {
        errors++;
        firstError ??= `${answer.status} ${answer.body.slice(0, 200)}`;
      }
    }
  } finally {
    connection.close();
  }
  const sorted = Float64Array.from(latencies).sort();
  return {
    requests: latencies.length,
    errors,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    firstError,
  };
}
