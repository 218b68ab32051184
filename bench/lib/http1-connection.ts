/**
 * One keep-alive HTTP/1.1 connection on a raw node:net socket, for the bench's load generator
 * (http-load.ts): one request at a time, one write per request, one reusable read buffer, and a
 * parser that frames the response (content-length, chunked, close) without keeping its body
 * unless asked. See http-load.ts for why the generator does not use node:http.
 */
import net from 'node:net';
import zlib from 'node:zlib';

export interface RequestSpec {
  method: 'GET' | 'POST' | 'DELETE' | 'PATCH';
  path: string;
  token?: string;
  body?: unknown;
  /** Statuses that count as success (default: any 2xx). */
  expect?: number[];
}

export interface Target {
  host: string;
  port: number;
}

export const succeeded = (expect: number[] | undefined, status: number) =>
  expect ? expect.includes(status) : status >= 200 && status < 300;

/** Which response bodies a request keeps: framing always reads them, but copying costs. */
export const KEEP_NONE = 0;
export const KEEP_FAILED = 1;
export const KEEP_ALL = 2;
export type Keep = typeof KEEP_NONE | typeof KEEP_FAILED | typeof KEEP_ALL;

/** Called once per request: a network or protocol error, or the status and the kept body. */
export type Settle = (error: Error | null, status: number, body: string) => void;

// Parser states.
const HEAD = 0;
const LENGTH = 1;
const CHUNK_SIZE = 2;
const CHUNK_DATA = 3;
const CHUNK_END = 4;
const TRAILERS = 5;
const UNTIL_CLOSE = 6;

const HEAD_END = Buffer.from('\r\n\r\n');
const MAX_HEAD = 64 * 1024;

/** Hex digit value, or -1. */
const hexValue = (c: number) =>
  c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;

/** The trimmed value of a header in the lower-cased head (`name` is `\r\nname:`), or null. */
function headerValue(head: string, name: string): string | null {
  const at = head.indexOf(name);
  if (at < 0) return null;
  const from = at + name.length;
  return head.slice(from, head.indexOf('\r\n', from)).trim();
}

/** A kept body as text; compressed bodies (failures under accept-encoding) are inflated. */
function bodyText(chunks: Buffer[], encoding: string | null): string {
  const raw = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
  if (!encoding || encoding === 'identity') return raw.toString();
  try {
    if (encoding === 'gzip' || encoding === 'x-gzip') return zlib.gunzipSync(raw).toString();
    if (encoding === 'br') return zlib.brotliDecompressSync(raw).toString();
    if (encoding === 'deflate') return zlib.inflateSync(raw).toString();
  } catch {
    // Fall through: show that it was compressed rather than throw while reporting.
  }
  return `(${encoding}) ${raw.toString()}`;
}

/**
 * One keep-alive HTTP/1.1 connection carrying one request at a time; it reconnects on the next
 * request after the server closed it (connection: close, a reset, a body framed by close).
 */
export class Connection {
  private socket: net.Socket | null = null;
  private socketError: Error | null = null;
  /** Reused for every read (node:net's `onread`): no buffer allocated per TCP chunk. */
  private readonly buffer = Buffer.allocUnsafe(64 * 1024);
  /** Everything after the request target that is the same for every request. */
  private readonly prefix: string;

  // The request in flight.
  private settle: Settle | null = null;
  private expect: number[] | undefined = undefined;
  private keepWhich: Keep = KEEP_NONE;

  // The response being read.
  private state = HEAD;
  /** Head bytes of a head split across reads. */
  private partial: Buffer | null = null;
  private status = 0;
  /** LENGTH, CHUNK_DATA: bytes left; CHUNK_SIZE: the size so far; TRAILERS: the line's length. */
  private count = 0;
  private digits = 0;
  private extension = false;
  private closeAfter = false;
  private keep = false;
  private encoding: string | null = null;
  private chunks: Buffer[] = [];

  constructor(
    private readonly target: Target,
    options: { compressed: boolean; close: boolean },
  ) {
    const host = target.host.includes(':') ? `[${target.host}]` : target.host;
    this.prefix =
      ` HTTP/1.1\r\nHost: ${host}:${target.port}\r\naccept: application/json\r\n` +
      (options.compressed ? 'accept-encoding: gzip, br\r\n' : '') +
      (options.close ? 'connection: close\r\n' : '');
  }

  send(spec: RequestSpec, keep: Keep, settle: Settle): void {
    if (this.settle) throw new Error('a request is already in flight on this connection');
    let request = spec.method + ' ' + spec.path + this.prefix;
    if (spec.token) request += 'authorization: Bearer ' + spec.token + '\r\n';
    if (spec.body !== undefined) {
      const payload = JSON.stringify(spec.body);
      request +=
        'content-type: application/json\r\ncontent-length: ' +
        Buffer.byteLength(payload) +
        '\r\n\r\n' +
        payload;
    } else if (spec.method === 'POST' || spec.method === 'PATCH') {
      request += 'content-length: 0\r\n\r\n'; // as node:http sends for a body-less POST
    } else {
      request += '\r\n';
    }
    this.settle = settle;
    this.expect = spec.expect;
    this.keepWhich = keep;
    let socket = this.socket;
    if (!socket || socket.destroyed || !socket.writable) {
      this.drop();
      socket = this.connect();
    }
    socket.write(request);
  }

  /** Closes the socket; a request in flight settles with `error` (or the close's own error). */
  close(error?: Error): void {
    if (this.settle) this.fail(error ?? new Error('closed by the generator'));
    else this.drop();
  }

  private connect(): net.Socket {
    const socket = net.connect({
      host: this.target.host,
      port: this.target.port,
      onread: {
        buffer: this.buffer,
        callback: (length: number, buffer: Uint8Array) => {
          if (this.socket === socket) this.feed(buffer as Buffer, 0, length);
          return true;
        },
      },
    });
    socket.setNoDelay(true); // a request is one write: send it now, not after the last ACK
    this.socket = socket;
    this.socketError = null;
    socket.on('error', (error) => {
      if (this.socket === socket) this.socketError = error;
    });
    socket.on('end', () => {
      // A body without length or chunking ends with the connection.
      if (this.socket === socket && this.settle && this.state === UNTIL_CLOSE) this.complete(0, 0);
    });
    socket.on('close', () => {
      if (this.socket !== socket) return;
      this.socket = null;
      if (this.settle)
        this.fail(this.socketError ?? new Error('connection closed before the response was complete'));
    });
    return socket;
  }

  private drop(): void {
    const socket = this.socket;
    this.socket = null;
    socket?.destroy();
  }

  private reset(): void {
    this.state = HEAD;
    this.partial = null;
    if (this.keep) this.chunks = [];
    this.keep = false;
    this.encoding = null;
  }

  private fail(error: Error): void {
    const settle = this.settle!;
    this.settle = null;
    this.reset();
    this.drop();
    settle(error, 0, '');
  }

  /** The response is complete; `start < end` means bytes beyond it, which no closed loop sends. */
  private complete(start: number, end: number): void {
    const settle = this.settle!;
    this.settle = null;
    const body = this.keep ? bodyText(this.chunks, this.encoding) : '';
    const status = this.status;
    if (this.closeAfter || start < end) this.drop();
    this.reset();
    settle(null, status, body);
  }

  private take(buffer: Buffer, start: number, end: number): void {
    if (this.keep && end > start) this.chunks.push(Buffer.from(buffer.subarray(start, end)));
  }

  private feed(buffer: Buffer, start: number, end: number): void {
    if (!this.settle) {
      this.drop(); // bytes nobody asked for: the connection cannot be trusted any more
      return;
    }
    while (start < end) {
      switch (this.state) {
        case HEAD: {
          let from = start;
          let search = start;
          if (this.partial) {
            search = Math.max(0, this.partial.length - 3);
            buffer = Buffer.concat([this.partial, buffer.subarray(start, end)]);
            from = 0;
            end = buffer.length;
          }
          // The read buffer holds older bytes past `end`: a match there does not count.
          const at = buffer.indexOf(HEAD_END, search);
          if (at < 0 || at + 4 > end) {
            if (end - from > MAX_HEAD) return this.fail(new Error('response head too large'));
            this.partial = this.partial ? buffer : Buffer.from(buffer.subarray(from, end));
            return;
          }
          this.partial = null;
          start = at + 4;
          if (!this.head(buffer.toString('latin1', from, at + 2))) return;
          if (this.state === HEAD) {
            // A body-less answer; or an interim 1xx, after which the real head follows.
            if (this.status >= 200) return this.complete(start, end);
            continue;
          }
          if (this.state === LENGTH && this.count === 0) return this.complete(start, end);
          break;
        }
        case LENGTH: {
          const n = Math.min(this.count, end - start);
          this.take(buffer, start, start + n);
          start += n;
          this.count -= n;
          if (this.count === 0) return this.complete(start, end);
          break;
        }
        case CHUNK_SIZE: {
          while (start < end) {
            const c = buffer[start++]!;
            if (c === 10) {
              if (this.digits === 0) return this.fail(new Error('bad chunk size'));
              this.state = this.count === 0 ? TRAILERS : CHUNK_DATA;
              if (this.state === TRAILERS) this.count = 0;
              break;
            }
            if (this.extension || c === 13) continue;
            if (c === 59 || c === 32 || c === 9) {
              this.extension = true; // `;name=value` extensions (and whitespace before them)
              continue;
            }
            const digit = hexValue(c);
            if (digit < 0 || ++this.digits > 12) return this.fail(new Error('bad chunk size'));
            this.count = this.count * 16 + digit;
          }
          break;
        }
        case CHUNK_DATA: {
          const n = Math.min(this.count, end - start);
          this.take(buffer, start, start + n);
          start += n;
          this.count -= n;
          if (this.count === 0) this.state = CHUNK_END;
          break;
        }
        case CHUNK_END: {
          // The CRLF after a chunk's data.
          const c = buffer[start++]!;
          if (c === 10) this.startChunk();
          else if (c !== 13) return this.fail(new Error('bad chunk end'));
          break;
        }
        case TRAILERS: {
          // Trailer lines until an empty one; `count` is the current line's length.
          while (start < end) {
            const c = buffer[start++]!;
            if (c === 10) {
              if (this.count === 0) return this.complete(start, end);
              this.count = 0;
            } else if (c !== 13) this.count++;
          }
          break;
        }
        case UNTIL_CLOSE: {
          this.take(buffer, start, end);
          start = end;
          break;
        }
      }
    }
  }

  private startChunk(): void {
    this.state = CHUNK_SIZE;
    this.count = 0;
    this.digits = 0;
    this.extension = false;
  }

  /** Reads the status line and framing headers of `head` (ending with CRLF); false: failed. */
  private head(head: string): boolean {
    const status = head.startsWith('HTTP/1.') ? Number(head.slice(9, 12)) : NaN;
    if (!(status >= 100 && status <= 599) || (head.charCodeAt(12) !== 32 && head.charCodeAt(12) !== 13)) {
      this.fail(new Error(`bad status line: ${JSON.stringify(head.slice(0, 40))}`));
      return false;
    }
    this.status = status;
    if (status < 200) {
      if (status === 101) {
        this.fail(new Error('unexpected 101 Switching Protocols'));
        return false;
      }
      this.state = HEAD;
      return true;
    }
    const lower = head.toLowerCase();
    const connection = headerValue(lower, '\r\nconnection:');
    this.closeAfter = connection !== null && connection.includes('close');
    this.keep =
      this.keepWhich === KEEP_ALL || (this.keepWhich === KEEP_FAILED && !succeeded(this.expect, status));
    if (this.keep) this.encoding = headerValue(lower, '\r\ncontent-encoding:');
    if (status === 204 || status === 304) {
      this.state = HEAD;
      return true;
    }
    const transfer = headerValue(lower, '\r\ntransfer-encoding:');
    if (transfer !== null && transfer.endsWith('chunked')) {
      this.startChunk();
      return true;
    }
    const length = headerValue(lower, '\r\ncontent-length:');
    if (length !== null) {
      const n = /^\d+$/.test(length) ? Number(length) : NaN;
      if (!Number.isSafeInteger(n)) {
        this.fail(new Error(`bad content-length: ${length}`));
        return false;
      }
      this.state = LENGTH;
      this.count = n;
      return true;
    }
    // Neither: the body runs until the server closes the connection.
    this.state = UNTIL_CLOSE;
    this.closeAfter = true;
    return true;
  }
}

export interface Answer {
  status: number;
  body: string;
}

export function request(connection: Connection, spec: RequestSpec, keep: Keep): Promise<Answer> {
  return new Promise((resolve, reject) =>
    connection.send(spec, keep, (error, status, body) => (error ? reject(error) : resolve({ status, body }))),
  );
}
