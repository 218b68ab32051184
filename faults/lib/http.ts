import http, { type IncomingHttpHeaders } from 'node:http';

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** performance.now() when the request's bytes went onto a connected socket. */
  sentAt: number | null;
}

export interface RequestOptions {
  token?: string | null;
  body?: unknown;
  /** A request not answered within this is abandoned and reported as a hang (code HANG). */
  timeoutMs?: number;
  /** Sends the body in two halves this many ms apart: a slow client keeps the request in flight. */
  trickleMs?: number;
  headers?: Record<string, string>;
}

/** Errors carry the socket-level code (ECONNREFUSED, ECONNRESET…) or HANG, which is what we count. */
export class RequestError extends Error {
  /** performance.now() when the request's bytes went onto a connected socket (null: never). */
  sentAt: number | null = null;

  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * One HTTP/1.1 request over a keep-alive agent (node:http rather than fetch, so a connection the
 * server drops is seen as the error it is and a slow body can be sent on purpose).
 */
export function request(
  agent: http.Agent,
  base: string,
  method: string,
  path: string,
  options: RequestOptions = {},
): Promise<Reply> {
  const url = new URL(path, base);
  const payload = options.body === undefined ? null : Buffer.from(JSON.stringify(options.body));
  return new Promise<Reply>((resolve, reject) => {
    const req = http.request(url, {
      method,
      agent,
      headers: {
        ...(payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {}),
        ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
        ...options.headers,
      },
    });
    // When the request went out: a reused connection writes at once, a new one once connected.
    let sentAt: number | null = null;
    req.on('socket', (socket) => {
      if (!socket.connecting) sentAt = performance.now();
      else socket.once('connect', () => (sentAt = performance.now()));
    });
    const fail = (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      const failure =
        error instanceof RequestError ? error : new RequestError(error.code ?? 'EREQUEST', error.message);
      failure.sentAt = sentAt;
      reject(failure);
    };
    const timer = setTimeout(
      () =>
        req.destroy(new RequestError('HANG', `${method} ${path}: no answer within ${options.timeoutMs} ms`)),
      options.timeoutMs ?? 15_000,
    );
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        clearTimeout(timer);
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString(),
          sentAt,
        });
      });
      res.on('error', fail);
    });
    req.on('error', fail);
    if (!payload) {
      req.end();
    } else if (!options.trickleMs) {
      req.end(payload);
    } else {
      const half = Math.floor(payload.length / 2);
      req.write(payload.subarray(0, half));
      void sleep(options.trickleMs).then(() => req.end(payload.subarray(half)));
    }
  });
}

/** A keep-alive agent with a bounded number of connections per server. */
export const keepAliveAgent = (maxSockets = 32) => new http.Agent({ keepAlive: true, maxSockets });

/** The JSON body of a reply, or throws naming the request when the status is not the expected one. */
export function expectJson(reply: Reply, what: string, ...statuses: number[]): any {
  if (!statuses.includes(reply.status))
    throw new Error(`${what}: HTTP ${reply.status} ${reply.body.slice(0, 300)}`);
  return reply.body ? JSON.parse(reply.body) : null;
}
