/** `smoke` checks that need no account: health, API root, HTTPS redirect, headers, CORS, rate limits, static files. */
import type { HttpClient, HttpResponse } from './http-client.ts';
import { fail, messageOf, pass, warn, type Row } from './report.ts';

export interface SmokeTarget {
  /** The deployment's base URL without a trailing slash, e.g. https://api.example.com */
  base: string;
  /** The plain-http address that must redirect, or null when it cannot be derived. */
  httpBase: string | null;
  /** An origin CORS_ALLOWED_ORIGINS allows (SMOKE_ORIGIN / --origin). */
  origin: string | null;
}

const ONE_YEAR = 31536000;

/** GET that turns a network error into a fail row instead of throwing. */
async function get(
  client: HttpClient,
  url: string,
  headers?: Record<string, string>,
): Promise<HttpResponse | string> {
  try {
    return await client.request('GET', url, { headers });
  } catch (error) {
    return messageOf(error);
  }
}

function health(res: HttpResponse | string): Row[] {
  if (typeof res === 'string') return [fail('Health /health/', res)];
  const checks = (res.json?.checks ?? {}) as Record<string, string>;
  const rows = [
    res.status === 200 && res.json?.status === 'healthy'
      ? pass('Health /health/', `200 healthy, version ${String(res.json.version)}`)
      : fail('Health /health/', `${res.status} ${res.text.slice(0, 200)}`),
  ];
  rows.push(
    checks.database === 'ok'
      ? pass('Database connection', 'ok (from /health/)')
      : fail('Database connection', String(checks.database)),
  );
  if (checks.migrations && checks.migrations !== 'ok')
    rows.push(fail('Migrations', `${checks.migrations}: run \`migrate\``));
  rows.push(
    checks.redis === 'ok'
      ? pass('Redis connection', 'ok (from /health/)')
      : checks.redis === 'not_configured'
        ? warn('Redis connection', 'not configured (REDIS_URL unset)')
        : fail('Redis connection', String(checks.redis)),
  );
  return rows;
}

/** The plain-http address answers with a redirect to the same path over https. */
export async function redirectCheck(client: HttpClient, target: SmokeTarget): Promise<Row> {
  if (!target.base.startsWith('https:'))
    return warn('HTTPS redirect', 'not checked: the URL is plain http (smoke the https:// address)');
  if (!target.httpBase)
    return warn(
      'HTTPS redirect',
      'not checked: pass --http-url with the plain-http address (non-default port)',
    );
  const url = `${target.httpBase}/api/v1/?smoke=redirect`;
  const res = await get(client, url);
  if (typeof res === 'string') return fail('HTTPS redirect', `${url}: ${res}`);
  const location = String(res.headers.location ?? '');
  if (
    [301, 302, 307, 308].includes(res.status) &&
    location.startsWith('https://') &&
    location.endsWith('/api/v1/?smoke=redirect')
  )
    return pass('HTTPS redirect', `${res.status} → ${location}`);
  if (res.status >= 200 && res.status < 300)
    return fail(
      'HTTPS redirect',
      `${url} answered ${res.status} over plain http: SECURE_SSL_REDIRECT is off (or the proxy does not send X-Forwarded-Proto)`,
    );
  return fail(
    'HTTPS redirect',
    `${url} answered ${res.status}${location ? ` → ${location}` : ''}, not a redirect to https`,
  );
}

/** HSTS (https only), CSP, nosniff, Referrer-Policy, X-Frame-Options, and no X-Powered-By. */
export function headerChecks(res: HttpResponse, https: boolean): Row[] {
  const h = res.headers;
  const rows: Row[] = [];
  const hsts = h['strict-transport-security'];
  if (!https)
    rows.push(
      warn('Strict-Transport-Security', 'not checked: plain-http URL (HSTS is sent over https only)'),
    );
  else if (!hsts) rows.push(fail('Strict-Transport-Security', 'missing on an https response'));
  else {
    const age = Number(/max-age=(\d+)/i.exec(String(hsts))?.[1] ?? 0);
    rows.push(
      age >= ONE_YEAR
        ? pass('Strict-Transport-Security', String(hsts))
        : warn('Strict-Transport-Security', `${String(hsts)} (less than a year)`),
    );
  }
  const csp = h['content-security-policy'];
  rows.push(
    csp
      ? pass('Content-Security-Policy', String(csp).slice(0, 80))
      : fail('Content-Security-Policy', 'missing'),
  );
  rows.push(
    String(h['x-content-type-options']).toLowerCase() === 'nosniff'
      ? pass('X-Content-Type-Options', 'nosniff')
      : fail(
          'X-Content-Type-Options',
          h['x-content-type-options'] ? String(h['x-content-type-options']) : 'missing',
        ),
  );
  const referrer = h['referrer-policy'];
  rows.push(referrer ? pass('Referrer-Policy', String(referrer)) : fail('Referrer-Policy', 'missing'));
  const frame = h['x-frame-options'];
  rows.push(
    frame
      ? pass('X-Frame-Options', String(frame))
      : warn('X-Frame-Options', 'missing (CSP frame-ancestors may cover it)'),
  );
  rows.push(
    h['x-powered-by']
      ? fail('X-Powered-By', `present (${String(h['x-powered-by'])}): remove it`)
      : pass('X-Powered-By', 'absent'),
  );
  return rows;
}

function rateLimit(res: HttpResponse): Row {
  const limit = res.headers['ratelimit-limit'];
  const remaining = res.headers['ratelimit-remaining'];
  if (limit === undefined || remaining === undefined)
    return fail(
      'Rate limiting',
      'no RateLimit-Limit/RateLimit-Remaining headers on /api/v1/: RATE_LIMIT_ENABLED is off?',
    );
  return pass('Rate limiting', `RateLimit-Limit ${String(limit)}, RateLimit-Remaining ${String(remaining)}`);
}

async function cors(client: HttpClient, target: SmokeTarget): Promise<Row[]> {
  const preflight = (origin: string) =>
    client
      .request('OPTIONS', `${target.base}/api/v1/users/me/`, {
        headers: {
          origin,
          'access-control-request-method': 'GET',
          'access-control-request-headers': 'authorization',
        },
      })
      .catch((error: unknown) => messageOf(error));
  const rows: Row[] = [];
  if (!target.origin)
    rows.push(
      warn(
        'CORS allowed origin',
        'not checked: set SMOKE_ORIGIN (or --origin) to an allowed front-end origin',
      ),
    );
  else {
    const res = await preflight(target.origin);
    if (typeof res === 'string') rows.push(fail('CORS allowed origin', res));
    else {
      const allowed = res.headers['access-control-allow-origin'];
      rows.push(
        allowed === target.origin
          ? pass('CORS allowed origin', `${target.origin} allowed (preflight ${res.status})`)
          : fail(
              'CORS allowed origin',
              `${target.origin} not allowed: Access-Control-Allow-Origin ${allowed ? String(allowed) : 'missing'}`,
            ),
      );
    }
  }
  const other = 'https://smoke-test-origin.invalid';
  const res = await preflight(other);
  if (typeof res === 'string') rows.push(fail('CORS other origin refused', res));
  else {
    const allowed = res.headers['access-control-allow-origin'];
    rows.push(
      allowed === undefined
        ? pass('CORS other origin refused', `${other} gets no Access-Control-Allow-Origin`)
        : fail(
            'CORS other origin refused',
            `${other} allowed (Access-Control-Allow-Origin: ${String(allowed)})`,
          ),
    );
  }
  return rows;
}

async function staticFiles(client: HttpClient, base: string): Promise<Row[]> {
  const rows: Row[] = [];
  for (const [item, path] of [
    ['Static files /', '/'],
    ['API docs /api/docs/', '/api/docs/'],
  ] as const) {
    const res = await get(client, `${base}${path}`, { accept: 'text/html', 'accept-encoding': 'br, gzip' });
    if (typeof res === 'string') rows.push(fail(item, res));
    else if (res.status !== 200) rows.push(fail(item, `${res.status}`));
    else {
      const cache = res.headers['cache-control'];
      const encoding = res.headers['content-encoding'];
      rows.push(
        pass(
          item,
          `200 ${String(res.headers['content-type'] ?? '')}${cache ? `, Cache-Control ${String(cache)}` : ''}${encoding ? `, ${String(encoding)}` : ''}`,
        ),
      );
    }
  }
  return rows;
}

/** Every check that needs no account, in the checklist's order. */
export async function edgeChecks(client: HttpClient, target: SmokeTarget): Promise<Row[]> {
  const rows = health(await get(client, `${target.base}/health/`));
  const root = await get(client, `${target.base}/api/v1/`);
  if (typeof root === 'string' || root.status !== 200) {
    rows.push(
      fail(
        'API root /api/v1/',
        typeof root === 'string' ? root : `${root.status} ${root.text.slice(0, 200)}`,
      ),
    );
    return [
      ...rows,
      await redirectCheck(client, target),
      ...(await cors(client, target)),
      ...(await staticFiles(client, target.base)),
    ];
  }
  rows.push(pass('API root /api/v1/', `200 in ${Math.round(root.ms)} ms`));
  // The first request paid for the connection; the next ones show the server's own latency.
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    const res = await get(client, `${target.base}/api/v1/`);
    if (typeof res !== 'string') times.push(res.ms);
  }
  const median = times.sort((a, b) => a - b)[1] ?? root.ms;
  rows.push(
    median < 200
      ? pass('Response time', `${Math.round(median)} ms (median of 3)`)
      : warn('Response time', `${Math.round(median)} ms (over 200 ms)`),
  );
  rows.push(await redirectCheck(client, target));
  rows.push(...headerChecks(root, target.base.startsWith('https:')));
  rows.push(...(await cors(client, target)));
  rows.push(rateLimit(root));
  rows.push(...(await staticFiles(client, target.base)));
  return rows;
}
