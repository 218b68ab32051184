/** A small HTTP(S) client for `smoke`: never follows redirects, can skip certificate checks (--insecure). */
import http from 'node:http';
import https from 'node:https';

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  /** The body parsed as JSON, or null when it is not JSON. */
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- bodies of many shapes
  ms: number;
}

export interface RequestOptions {
  headers?: Record<string, string>;
  body?: unknown;
  /** A raw body (multipart); `headers` must carry its content type. */
  raw?: Buffer;
}

export interface HttpClient {
  request(method: string, url: string, options?: RequestOptions): Promise<HttpResponse>;
  insecure: boolean;
  close(): void;
}

/** One keep-alive agent per scheme, so timings measure the server rather than TLS handshakes. */
export function createHttpClient(options: { insecure: boolean; timeoutMs: number }): HttpClient {
  const agents = {
    'http:': new http.Agent({ keepAlive: true }),
    'https:': new https.Agent({ keepAlive: true, rejectUnauthorized: !options.insecure }),
  };
  const request = (method: string, url: string, opts: RequestOptions = {}) =>
    new Promise<HttpResponse>((resolve, reject) => {
      const target = new URL(url);
      const body =
        opts.raw ?? (opts.body === undefined ? undefined : Buffer.from(JSON.stringify(opts.body), 'utf8'));
      const headers: Record<string, string> = { accept: 'application/json', ...opts.headers };
      if (body && !opts.raw) headers['content-type'] = 'application/json';
      if (body) headers['content-length'] = String(body.length);
      const started = performance.now();
      const lib = target.protocol === 'https:' ? https : http;
      const agent = target.protocol === 'https:' ? agents['https:'] : agents['http:'];
      const req = lib.request(target, { method, headers, agent, timeout: options.timeoutMs }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json = null;
          try {
            json = text ? JSON.parse(text) : null;
          } catch {
            json = null;
          }
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text,
            json,
            ms: performance.now() - started,
          });
        });
      });
      req.on('timeout', () => req.destroy(new Error(`no answer within ${options.timeoutMs} ms`)));
      req.on('error', reject);
      req.end(body);
    });
  return {
    request,
    insecure: options.insecure,
    close() {
      agents['http:'].destroy();
      agents['https:'].destroy();
    },
  };
}

/** A multipart/form-data body with one file field. */
export function multipartFile(field: string, filename: string, type: string, data: Buffer) {
  const boundary = `----smoke${Date.now().toString(16)}`;
  const head = `--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${filename}"\r\nContent-Type: ${type}\r\n\r\n`;
  return {
    contentType: `multipart/form-data; boundary=${boundary}`,
    body: Buffer.concat([Buffer.from(head), data, Buffer.from(`\r\n--${boundary}--\r\n`)]),
  };
}
