import WebSocket from 'ws';

export interface Closed {
  code: number;
  reason: string;
}

/**
 * A test WebSocket client that records every frame, so a test can wait for "the next frame of
 * type X" (or one matching a predicate) without racing the server.
 */
export class WsClient {
  readonly frames: any[] = [];
  private readonly taken = new Set<number>();
  private waiters: (() => void)[] = [];
  readonly closed: Promise<Closed>;
  closeInfo: Closed | null = null;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      this.frames.push(JSON.parse(String(data)));
      this.notify();
    });
    this.closed = new Promise((resolve) =>
      ws.on('close', (code, reason) => {
        this.closeInfo = { code, reason: String(reason) };
        resolve(this.closeInfo);
        this.notify();
      }),
    );
    ws.on('error', () => undefined);
  }

  /** Opens a socket (the upgrade succeeds even when the server then closes it with a code). */
  static async connect(url: string, options: { headers?: Record<string, string> } = {}): Promise<WsClient> {
    const ws = new WebSocket(url, { headers: options.headers });
    const client = new WsClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      ws.once('error', reject);
    });
    return client;
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** The earliest frame not taken yet that matches; waits up to `timeoutMs` for one. */
  async next(match: string | ((frame: any) => boolean), timeoutMs = 3000): Promise<any> {
    const test = typeof match === 'string' ? (f: any) => f.type === match : match;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.frames.findIndex((f, i) => !this.taken.has(i) && test(f));
      if (index >= 0) {
        this.taken.add(index);
        return this.frames[index];
      }
      const left = deadline - Date.now();
      if (left <= 0 || this.closeInfo) {
        const seen = this.frames.map((f) => f.type).join(', ');
        throw new Error(
          `no ${String(match)} frame within ${timeoutMs} ms (seen: ${seen}; closed: ${JSON.stringify(this.closeInfo)})`,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Frames of a type received so far (taken or not). */
  all(type: string): any[] {
    return this.frames.filter((f) => f.type === type);
  }

  /** Resolves when nothing matching arrives for `ms` (asserts a frame was NOT sent). */
  async none(match: (frame: any) => boolean, ms = 300): Promise<boolean> {
    const before = this.frames.length;
    await new Promise((resolve) => setTimeout(resolve, ms));
    return !this.frames.slice(before).some(match);
  }

  close(): void {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close();
  }

  private notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}
