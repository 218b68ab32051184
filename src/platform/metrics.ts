/**
 * Prometheus metrics for this process. One registry per process (what Prometheus scrapes is a
 * process, or the cluster's primary adding up its workers): modules import `metrics` and update it.
 *
 * The realtime module counts sockets (session.ts) and frames in and out (connection.ts).
 */
import cluster from 'node:cluster';
import { randomUUID } from 'node:crypto';
import client from 'prom-client';

export const registry = new client.Registry();
// process_*, nodejs_* (heap, GC, handles) and nodejs_eventloop_lag_* from perf_hooks' histogram.
client.collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 10 });

interface Pool {
  pool(): { total: number; idle: number; waiting: number };
}
/** Watched pools with their size; counted once however many apps share one (tests do). */
const pools = new Map<Pool, { max: number; watchers: number }>();

/** One labelled series of a SeriesHistogram: what a request adds to. */
export interface HistogramSeries {
  observe(value: number): void;
}

/**
 * A histogram for the request path, exported exactly as prom-client's Histogram (same lines, same
 * cluster aggregation: registered as a metric whose `get` returns prom-client's shape). A
 * prom-client child still converts, validates and hashes its label set and searches the buckets
 * through a map on every observation, about 3 % of GET /health/'s throughput; a series here is
 * resolved once by the caller and kept, and an observation is a bucket search and three additions.
 */
export class SeriesHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly all = new Map<
    string,
    { labels: Record<string, string>; counts: Float64Array; sum: number; count: number }
  >();

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly buckets: readonly number[],
    register: client.Registry,
  ) {
    register.registerMetric(this as unknown as client.Metric);
  }

  /** The series with these labels (made on first use); callers keep it rather than ask per observation. */
  series(labels: Record<string, string>): HistogramSeries {
    const key = JSON.stringify(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)));
    let entry = this.all.get(key);
    if (!entry)
      this.all.set(
        key,
        (entry = { labels, counts: new Float64Array(this.buckets.length), sum: 0, count: 0 }),
      );
    const counts = entry.counts;
    const bounds = this.buckets;
    return {
      observe(value) {
        let i = 0;
        while (i < bounds.length && value > bounds[i]!) i++;
        if (i < bounds.length) counts[i]! += 1;
        entry.sum += value;
        entry.count += 1;
      },
    };
  }

  get() {
    const values: { labels: Record<string, string | number>; value: number; metricName: string }[] = [];
    for (const { labels, counts, sum, count } of this.all.values()) {
      let cumulative = 0;
      for (const [i, le] of this.buckets.entries()) {
        cumulative += counts[i]!;
        values.push({ labels: { le, ...labels }, value: cumulative, metricName: `${this.name}_bucket` });
      }
      values.push({ labels: { le: '+Inf', ...labels }, value: count, metricName: `${this.name}_bucket` });
      values.push({ labels, value: sum, metricName: `${this.name}_sum` });
      values.push({ labels, value: count, metricName: `${this.name}_count` });
    }
    return Promise.resolve({
      name: this.name,
      help: this.help,
      type: this.type,
      values,
      aggregator: this.aggregator,
    });
  }

  reset(): void {
    for (const entry of this.all.values()) {
      entry.counts.fill(0);
      entry.sum = 0;
      entry.count = 0;
    }
  }
}

export const metrics = {
  httpDuration: new SeriesHistogram(
    'http_request_duration_seconds',
    'HTTP request duration by method, route pattern and status code',
    [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.35, 0.5, 1, 2.5, 5, 10],
    registry,
  ),
  wsConnections: new client.Gauge({
    name: 'websocket_connections',
    help: 'Open WebSocket connections',
    registers: [registry],
  }),
  wsMessages: new client.Counter({
    name: 'websocket_messages_total',
    help: 'WebSocket frames by direction',
    labelNames: ['direction'] as const,
    registers: [registry],
  }),
  rateLimitRejections: new client.Counter({
    name: 'rate_limit_rejections_total',
    help: 'Requests answered 429 by the rate limiter, by route pattern',
    labelNames: ['route'] as const,
    registers: [registry],
  }),
  dbPool: new client.Gauge({
    name: 'db_pool_connections',
    help: 'Database pool connections by state (total, idle, waiting = queued requests, max)',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      const sum = { total: 0, idle: 0, waiting: 0, max: 0 };
      for (const [pool, { max }] of pools) {
        const now = pool.pool();
        sum.total += now.total;
        sum.idle += now.idle;
        sum.waiting += now.waiting;
        sum.max += max;
      }
      for (const [state, value] of Object.entries(sum)) this.set({ state }, value);
    },
  }),
};

/** Reports a database pool in db_pool_connections until the returned function is called. */
export function watchPool(pool: Pool, max: number): () => void {
  const entry = pools.get(pool) ?? { max, watchers: 0 };
  entry.watchers += 1;
  pools.set(pool, entry);
  return () => {
    entry.watchers -= 1;
    if (entry.watchers <= 0) pools.delete(pool);
  };
}

export interface Exposition {
  contentType: string;
  body: string;
}

const REQUEST = 'stp:metrics-request';
const RESPONSE = 'stp:metrics-response';

/** This process's metrics, or in a cluster worker the whole cluster's, added up by the primary. */
export async function exposition(): Promise<Exposition> {
  if (!cluster.isWorker || !process.send) {
    return { contentType: registry.contentType, body: await registry.metrics() };
  }
  const id = randomUUID();
  return new Promise<Exposition>((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error('metrics: the primary did not answer')), 6000);
    const onMessage = (message: { type?: string; id?: string; body?: string; error?: string }) => {
      if (message?.type !== RESPONSE || message.id !== id) return;
      finish(message.error ? new Error(message.error) : null, message.body ?? '');
    };
    function finish(error: Error | null, body = '') {
      clearTimeout(timer);
      process.off('message', onMessage);
      if (error) reject(error);
      else resolve({ contentType: registry.contentType, body });
    }
    process.on('message', onMessage);
    process.send!({ type: REQUEST, id });
  });
}

/** In a worker: answer the primary's aggregation requests from this process's registry. */
export function serveMetricsToPrimary(): void {
  client.AggregatorRegistry.setRegistries([registry]);
  new client.AggregatorRegistry();
}

/** In the primary: answer a worker's /metrics by gathering every worker's registry. */
export function aggregateForWorkers(): void {
  const aggregator = new client.AggregatorRegistry();
  cluster.on('message', (worker, message: { type?: string; id?: string }) => {
    if (message?.type !== REQUEST) return;
    aggregator.clusterMetrics().then(
      (body) => worker.isConnected() && worker.send({ type: RESPONSE, id: message.id, body }),
      (error: Error) =>
        worker.isConnected() && worker.send({ type: RESPONSE, id: message.id, error: error.message }),
    );
  });
}
