/** `smoke` checks with a fresh account: register, login, JWT, trips, WebSocket chat, avatar upload. */
import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { multipartFile, type HttpClient, type HttpResponse } from './http-client.ts';
import { fail, messageOf, pass, warn, type Row } from './report.ts';

// A 1×1 PNG: the smallest upload the avatar check (magic-byte sniffing) accepts.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64',
);

/** Decodes a JWT's header and payload (no verification: the server's answer to /users/me/ is the proof). */
function decodeJwt(token: string): { header: { alg?: unknown }; payload: { exp?: unknown } } | null {
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  try {
    const part = (s: string) =>
      JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as Record<string, unknown>;
    return { header: part(parts[0]!), payload: part(parts[1]!) };
  } catch {
    return null;
  }
}

/** Connects to the trip's chat socket and waits for the history frame the server sends first. */
export function websocketCheck(url: string, insecure: boolean, timeoutMs: number): Promise<Row> {
  const shown = url.replace(/token=[^&]+/, 'token=…');
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { rejectUnauthorized: !insecure, handshakeTimeout: timeoutMs });
    const done = (row: Row) => {
      clearTimeout(timer);
      ws.removeAllListeners();
      ws.on('error', () => undefined);
      ws.terminate();
      resolve(row);
    };
    const timer = setTimeout(
      () => done(fail('WebSocket chat', `${shown}: no frame within ${timeoutMs} ms`)),
      timeoutMs,
    );
    ws.on('message', (data) => {
      let type = '?';
      try {
        type = String((JSON.parse(String(data)) as { type?: unknown }).type);
      } catch {
        /* reported below */
      }
      done(
        type === 'message_history'
          ? pass('WebSocket chat', `connected; first frame ${type}`)
          : fail('WebSocket chat', `unexpected first frame ${type}`),
      );
    });
    ws.on('unexpected-response', (_req, res) =>
      done(
        fail(
          'WebSocket chat',
          `${shown}: upgrade refused with HTTP ${res.statusCode} (is the proxy passing Upgrade?)`,
        ),
      ),
    );
    ws.on('close', (code, reason) => done(fail('WebSocket chat', `closed ${code} ${reason.toString()}`)));
    ws.on('error', (error) => done(fail('WebSocket chat', `${shown}: ${messageOf(error)}`)));
  });
}

/** Registers `smoke-<time>-<random>@example.com`, then exercises the authenticated API; deletes its trip after. */
export async function accountChecks(client: HttpClient, base: string, timeoutMs: number): Promise<Row[]> {
  const rows: Row[] = [];
  const skipped = (items: string[], why: string) =>
    rows.push(...items.map((item) => fail(item, `not run: ${why}`)));
  const email = `smoke-${Date.now()}-${randomBytes(3).toString('hex')}@example.com`;
  const password = `Smoke-${randomBytes(12).toString('base64url')}-7q`;
  // Never throws: a network error becomes status 0 with the error as text, so it lands in its row.
  const api = (method: string, path: string, options: Parameters<HttpClient['request']>[2] = {}) =>
    client.request(method, `${base}/api/v1${path}`, options).catch((error: unknown): HttpResponse => ({
      status: 0,
      headers: {},
      text: messageOf(error),
      json: null,
      ms: 0,
    }));
  const later = ['Login', 'JWT', 'Trips API', 'WebSocket chat', 'Avatar upload'];

  const res = await api('POST', '/auth/register/', {
    body: { email, password, password_confirm: password, first_name: 'Smoke' },
  });
  if (res.status !== 201 || !res.json?.tokens?.access) {
    rows.push(fail('Register', `${res.status} ${res.text.slice(0, 200)}`));
    skipped(later, 'registration failed');
    return rows;
  }
  rows.push(pass('Register', `201 ${email}`));

  const login = await api('POST', '/auth/login/', { body: { email, password } });
  const access = login.json?.access as string | undefined;
  if (login.status !== 200 || !access) {
    rows.push(fail('Login', `${login.status} ${login.text.slice(0, 200)}`));
    skipped(later.slice(1), 'login failed');
    return rows;
  }
  rows.push(pass('Login', `200, access and refresh tokens issued`));
  const auth = { authorization: `Bearer ${access}` };

  const jwt = decodeJwt(access);
  const me = await api('GET', '/users/me/', { headers: auth });
  const anonymous = await api('GET', '/users/me/');
  if (!jwt || me.status !== 200 || me.json?.email !== email || anonymous.status !== 401) {
    rows.push(
      fail(
        'JWT',
        `users/me with token ${me.status}, without ${anonymous.status}${jwt ? '' : ', token is not a JWT'}`,
      ),
    );
  } else {
    const ttl = Number(jwt.payload.exp) - Math.floor(Date.now() / 1000);
    rows.push(
      pass(
        'JWT',
        `${String(jwt.header.alg)} token accepted by /users/me/ (expires in ${ttl}s); 401 without it`,
      ),
    );
  }

  const trip = await api('POST', '/trips/', { headers: auth, body: { title: 'Smoke test trip' } });
  const tripId = trip.json?.id as string | undefined;
  if (trip.status !== 201 || !tripId) {
    rows.push(fail('Trips API', `create ${trip.status} ${trip.text.slice(0, 200)}`));
    rows.push(fail('WebSocket chat', 'not run: no trip to chat in'));
  } else {
    rows.push(pass('Trips API', '201 trip created'));
    const wsUrl = `${base.replace(/^http/, 'ws')}/ws/chat/${tripId}/?token=${encodeURIComponent(access)}`;
    rows.push(await websocketCheck(wsUrl, client.insecure, timeoutMs));
  }

  const form = multipartFile('avatar', 'smoke.png', 'image/png', PNG);
  const upload = await api('PATCH', '/users/me/', {
    headers: { ...auth, 'content-type': form.contentType },
    raw: form.body,
  });
  const avatar = upload.json?.profile?.avatar as string | null | undefined;
  if (upload.status !== 200 || !avatar)
    rows.push(fail('Avatar upload', `${upload.status} ${upload.text.slice(0, 200)}`));
  else {
    const file = await client
      .request('GET', new URL(avatar, base).toString(), { headers: { accept: 'image/*' } })
      .catch((e: unknown) => messageOf(e));
    rows.push(
      typeof file !== 'string' &&
        file.status === 200 &&
        String(file.headers['content-type']).startsWith('image/png')
        ? pass('Avatar upload', `200, served back from ${new URL(avatar, base).pathname}`)
        : fail(
            'Avatar upload',
            `uploaded, but ${avatar} answered ${typeof file === 'string' ? file : file.status}`,
          ),
    );
  }

  if (tripId) {
    const removed = await api('DELETE', `/trips/${tripId}/`, { headers: auth });
    if (removed.status !== 204) rows.push(warn('Clean-up', `could not delete the smoke trip ${tripId}`));
  }
  return rows;
}
