/** How fuzz requests reach the app: in-process (`app.inject`) or over a real socket (`node:http`). */
import http from 'node:http';
import zlib from 'node:zlib';
import type { FastifyInstance } from 'fastify';

export interface WireRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string | Buffer;
}

export interface WireResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** Set when no HTTP response arrived (connection reset, timeout, client-side refusal). */
  transportError?: string;
}

export interface Transport {
  name: 'inject' | 'http';
  send(request: WireRequest): Promise<WireResponse>;
  close(): Promise<void>;
}

function decode(body: Buffer, encoding: string | undefined): string {
  if (encoding === 'gzip') return zlib.gunzipSync(body).toString('utf8');
  if (encoding === 'br') return zlib.brotliDecompressSync(body).toString('utf8');
  if (encoding === 'deflate') return zlib.inflateSync(body).toString('utf8');
  return body.toString('utf8');
}

/** Sends through `app.inject`: no sockets, so it is fast and needs no port. */
export function injectTransport(app: FastifyInstance, timeoutMs = 30_000): Transport {
  return {
    name: 'inject',
    async send(request) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), timeoutMs)));
      const injected = app.inject({
        method: request.method as 'GET',
        url: request.url,
        headers: request.headers,
        ...(request.body !== undefined ? { payload: request.body } : {}),
      });
      const response = await Promise.race([injected, timeout]).finally(() => clearTimeout(timer));
      if (!response)
        return { status: 0, headers: {}, text: '', transportError: `no answer within ${timeoutMs} ms` };
      return {
        status: response.statusCode,
        headers: response.headers as WireResponse['headers'],
        text: decode(response.rawPayload, response.headers['content-encoding'] as string | undefined),
      };
    },
    close: async () => undefined,
  };
}

/** Sends over keep-alive HTTP/1.1 to `baseUrl`, exactly the bytes given (no defaults added). */
export function httpTransport(baseUrl: string, maxSockets = 16, timeoutMs = 30_000): Transport {
  const agent = new http.Agent({ keepAlive: true, maxSockets });
  const base = new URL(baseUrl);
  return {
    name: 'http',
    send(request) {
      return new Promise<WireResponse>((resolve) => {
        const failed = (reason: string) =>
          resolve({ status: 0, headers: {}, text: '', transportError: reason });
        let req: http.ClientRequest;
        try {
          const headers: Record<string, string | number> = { ...request.headers };
          if (request.body !== undefined) headers['content-length'] = Buffer.byteLength(request.body);
          req = http.request({
            agent,
            host: base.hostname,
            port: base.port,
            method: request.method,
            path: request.url,
            headers,
            timeout: timeoutMs,
          });
        } catch (error) {
          return failed(`client refused to send: ${(error as Error).message}`);
        }
        req.on('response', (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', (error) => failed(`response error: ${error.message}`));
          res.on('end', () => {
            try {
              const text = decode(
                Buffer.concat(chunks),
                res.headers['content-encoding'] as string | undefined,
              );
              resolve({ status: res.statusCode ?? 0, headers: res.headers, text });
            } catch (error) {
              failed(`undecodable body: ${(error as Error).message}`);
            }
          });
        });
        req.on('timeout', () => {
          req.destroy();
          failed(`no answer within ${timeoutMs} ms`);
        });
        req.on('error', (error) =>
          failed(`${(error as NodeJS.ErrnoException).code ?? 'error'}: ${error.message}`),
        );
        req.end(request.body);
      });
    },
    close: async () => agent.destroy(),
  };
}
