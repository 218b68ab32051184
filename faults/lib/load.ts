import { RequestError, type Reply } from './http.ts';

/** One request a load generator can send: a label for the report and the call itself. */
export interface Op {
  kind: string;
  send: () => Promise<Reply>;
}

/** What happened to one request: its times (ms since the load began), and a status or an error. */
export interface Outcome {
  kind: string;
  start: number;
  /** When its bytes went out on a connected socket (null: never, e.g. the connection was refused). */
  sent: number | null;
  end: number;
  status: number | null;
  /** Socket-level code (ECONNRESET, ECONNREFUSED, HANG…) when there was no HTTP answer. */
  error: string | null;
  reply: Reply | null;
}

/**
 * Open-loop load: `rate` requests per second whatever the server's speed (a slow server does not
 * slow the clients down, as with real users), with at most `maxInFlight` outstanding; a request
 * that would exceed it is counted in `skipped` rather than queued, so overload stays visible.
 */
export class Load {
  readonly outcomes: Outcome[] = [];
  readonly origin = performance.now();
  skipped = 0;
  private inFlight = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | null = null;
  private sent = 0;
  private startedAt = 0;

  private readonly rate: number;
  private readonly next: () => Op;
  private readonly maxInFlight: number;
  private readonly onOutcome: (outcome: Outcome) => void;
  private readonly keep: boolean;

  constructor(options: {
    rate: number;
    next: () => Op;
    maxInFlight?: number;
    /** Called with each finished outcome (a scenario's own checks, e.g. on headers). */
    onOutcome?: (outcome: Outcome) => void;
    /** Keep every outcome in `outcomes` (default); a long soak keeps only its own counters. */
    keep?: boolean;
  }) {
    this.rate = options.rate;
    this.next = options.next;
    this.maxInFlight = options.maxInFlight ?? 256;
    this.onOutcome = options.onOutcome ?? (() => undefined);
    this.keep = options.keep ?? true;
  }

  /** Milliseconds since the load was created: the clock every outcome uses. */
  now(): number {
    return performance.now() - this.origin;
  }

  start(): this {
    this.startedAt = this.now();
    this.timer = setInterval(() => this.tick(), 5);
    return this;
  }

  /** Stops sending; resolves once every request sent has an outcome. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  get pending(): number {
    return this.inFlight.size;
  }

  private tick(): void {
    const due = Math.floor(((this.now() - this.startedAt) * this.rate) / 1000);
    while (this.sent < due) {
      this.sent += 1;
      if (this.inFlight.size >= this.maxInFlight) {
        this.skipped += 1;
        continue;
      }
      this.launch(this.next());
    }
  }

  /** Sends one request now and records its outcome (also usable outside the schedule). */
  launch(op: Op): Promise<void> {
    const start = this.now();
    const task = op.send().then(
      (reply) =>
        this.record({
          kind: op.kind,
          start,
          sent: this.since(reply.sentAt),
          end: this.now(),
          status: reply.status,
          error: null,
          reply,
        }),
      (error: unknown) =>
        this.record({
          kind: op.kind,
          start,
          sent: this.since(error instanceof RequestError ? error.sentAt : null),
          end: this.now(),
          status: null,
          error: error instanceof RequestError ? error.code : String(error),
          reply: null,
        }),
    );
    const tracked = task.finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
    return tracked;
  }

  private since(at: number | null): number | null {
    return at === null ? null : at - this.origin;
  }

  private record(outcome: Outcome): void {
    if (this.keep) this.outcomes.push(outcome);
    this.onOutcome(outcome);
  }
}

/** "200×812 201×40 503×12 ECONNRESET×1": how a set of outcomes ended. */
export function tally(outcomes: readonly Outcome[]): string {
  const counts = new Map<string, number>();
  for (const o of outcomes) {
    const key = o.status !== null ? String(o.status) : o.error!;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, n]) => `${key}×${n}`)
    .join(' ');
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
