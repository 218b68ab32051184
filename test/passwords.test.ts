import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { and, eq, sql } from 'drizzle-orm';
import { changes, emailOutbox, passwordResetTokens, users } from '../src/db/schema/index.ts';
import { createEmailSender } from '../src/platform/email-outbox.ts';
import { buildTestApp, call, type Response } from './helpers/app.ts';
import { closeAtEnd, testDatabase } from './helpers/database.ts';
import { testConfig } from './helpers/env.ts';
import { createUser, GOOD_PASSWORD, type TestUser } from './helpers/factories.ts';
import { startSmtpServer, type ReceivedMail } from './helpers/smtp.ts';

const CHANGE = '/api/v1/auth/password/change/';
const RESET = '/api/v1/auth/password/reset/';
const CONFIRM = '/api/v1/auth/password/reset/confirm/';
const NEW_PASSWORD = 'Brave-Otter-Lantern-77';
const NEWER_PASSWORD = 'Quiet-Heron-Compass-19';

const smtp = await startSmtpServer();
const testApp = await buildTestApp(smtp.env);
const { app } = testApp;
const { db } = await testDatabase();

// Every address in this file is @passwords.test and this sender delivers only those, so test files
// sharing one database (PostgreSQL runs) never deliver each other's mail. A long poll interval:
// mail arriving within seconds proves the sender is woken by the commit that queued it.
const DOMAIN = 'passwords.test';
const sender = createEmailSender(app.ctx, { recipients: `%@${DOMAIN}`, pollMs: 60_000 });
sender.start();
closeAtEnd(() => sender.stop());

const address = (prefix = 'pw') => `${prefix}-${randomUUID().slice(0, 12)}@${DOMAIN}`;
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** Every response body of this file, to prove no password hash ever leaves the server. */
const bodies: string[] = [];
async function post(path: string, body: unknown, options: { token?: string } = {}): Promise<Response<any>> {
  const response = await call(app, 'POST', path, { ...options, body });
  bodies.push(response.text);
  return response;
}

const signUp = (prefix?: string) => createUser(app, { email: address(prefix) });
const login = (email: string, password: string) => post('/api/v1/auth/login/', { email, password });
const refresh = (token: string) => post('/api/v1/auth/refresh/', { refresh: token });
const change = (user: { access: string }, body: Record<string, unknown>) =>
  post(CHANGE, body, { token: user.access });
const changeTo = (user: TestUser, password: string) =>
  change(user, { old_password: user.password, new_password: password, new_password_confirm: password });
const confirm = (token: string, password = NEW_PASSWORD, confirmation = password) =>
  post(CONFIRM, { token, new_password: password, new_password_confirm: confirmation });

/** The token of a reset email's link, checked against the code printed beside it. */
function resetToken(mail: ReceivedMail): string {
  const match = /^(https?:\/\/\S+)\/reset-password\?token=([A-Za-z0-9_-]{40,})$/m.exec(mail.text);
  assert.ok(match, `reset link in: ${mail.text}`);
  assert.equal(match[1], 'http://localhost:80', 'the link is absolute, on the origin the client used');
  assert.match(mail.text, new RegExp(`^${match[2]}$`, 'm'), 'the token itself is in the email too');
  return match[2]!;
}

/** Requests a reset and returns the token from the email it sends. */
async function emailedToken(email: string): Promise<string> {
  const before = smtp.mailTo(email).length;
  assert.equal((await post(RESET, { email })).status, 202);
  return resetToken(await smtp.waitForMail(email, before + 1));
}

const outboxFor = (email: string) => db.select().from(emailOutbox).where(eq(emailOutbox.to, email));
const tokensOf = (userId: string) =>
  db.select().from(passwordResetTokens).where(eq(passwordResetTokens.userId, userId));

function assertFieldErrors(response: Response<any>, fields: string[]) {
  assert.equal(response.status, 400, response.text);
  assert.equal(response.body.error.type, 'validation_error');
  assert.deepEqual(Object.keys(response.body.error.details).sort(), [...fields].sort());
}

function assertTokenRefused(response: Response<any>, type: string) {
  assert.equal(response.status, 400, response.text);
  assert.equal(response.body.error.code, 400);
  assert.equal(response.body.error.type, type);
  assert.ok(response.body.error.message.length > 0);
  assert.deepEqual(response.body.error.details.token, [response.body.error.message]);
}

/** The user's change-log rows: registration writes one; password changes must add none. */
const userChanges = (userId: string) =>
  db
    .select()
    .from(changes)
    .where(and(eq(changes.entity, 'user'), eq(changes.entityId, userId)));

describe('POST /auth/password/change/', () => {
  it('a wrong old password is a field error on old_password, and nothing changes', async () => {
    const user = await signUp();
    const response = await change(user, {
      old_password: 'not-my-password',
      new_password: NEW_PASSWORD,
      new_password_confirm: NEW_PASSWORD,
    });
    assertFieldErrors(response, ['old_password']);
    assert.match(response.body.error.details.old_password[0], /old password was entered incorrectly/);
    assert.equal((await login(user.email, user.password)).status, 200);
    assert.equal((await refresh(user.refresh)).status, 200, 'sessions are untouched');
  });

  it("applies register's policy to the new password, every problem at once", async () => {
    const user = await signUp('policy');
    const weak = async (password: string, pattern: RegExp) => {
      const response = await changeTo(user, password);
      assertFieldErrors(response, ['new_password']);
      assert.ok(
        response.body.error.details.new_password.some((p: string) => pattern.test(p)),
        `${password}: ${response.text}`,
      );
    };
    await weak('short1', /too short/);
    await weak('83749218374', /entirely numeric/);
    await weak('password123', /too common/);
    await weak(user.email, /too similar to the email/);
    await weak(user.password, /different from the old one/);

    // A wrong old password, a weak new one and a mismatch: all three reported together.
    const all = await change(user, {
      old_password: 'wrong-old-password',
      new_password: '1234',
      new_password_confirm: '12345',
    });
    assertFieldErrors(all, ['old_password', 'new_password', 'new_password_confirm']);
    assert.equal((await login(user.email, user.password)).status, 200);
  });

  it('a confirmation that does not match is a field error on new_password_confirm', async () => {
    const user = await signUp();
    const response = await change(user, {
      old_password: user.password,
      new_password: NEW_PASSWORD,
      new_password_confirm: NEWER_PASSWORD,
    });
    assertFieldErrors(response, ['new_password_confirm']);
    assert.deepEqual(response.body.error.details.new_password_confirm, ['Passwords do not match.']);
  });

  it('success: every old refresh token is refused, this device gets a fresh pair, only the new password logs in', async () => {
    const user = await signUp();
    const otherDevice = (await login(user.email, user.password)).body as { access: string; refresh: string };
    const versionBefore = (await call(app, 'GET', '/api/v1/users/me/', { token: user.access })).body.version;

    const response = await changeTo(user, NEW_PASSWORD);
    assert.equal(response.status, 200, response.text);
    assert.deepEqual(Object.keys(response.body).sort(), ['access', 'detail', 'refresh']);
    assert.match(response.body.detail, /Password changed/);

    // Both earlier sessions (this one's and the other device's) are gone; the new pair works.
    assert.equal((await refresh(user.refresh)).status, 401);
    assert.equal((await refresh(otherDevice.refresh)).status, 401);
    const rotated = await refresh(response.body.refresh);
    assert.equal(rotated.status, 200, rotated.text);
    const me = await call(app, 'GET', '/api/v1/users/me/', { token: response.body.access });
    assert.equal(me.status, 200);
    bodies.push(me.text);

    assert.equal((await login(user.email, user.password)).status, 401, 'old password refused');
    assert.equal((await login(user.email, NEW_PASSWORD)).status, 200, 'new password accepted');

    // The hash is not content: no version bump, no change-log row beyond the registration.
    assert.equal(me.body.version, versionBefore);
    assert.deepEqual(
      (await userChanges(user.id)).map((c) => c.op),
      ['insert'],
    );
  });

  it('kills pending reset links', async () => {
    const user = await signUp();
    const token = await emailedToken(user.email);
    assert.equal((await changeTo(user, NEW_PASSWORD)).status, 200);
    assertTokenRefused(await confirm(token, NEWER_PASSWORD), 'reset_token_invalid');
  });

  it('needs a signed-in caller', async () => {
    const body = { old_password: 'a', new_password: NEW_PASSWORD, new_password_confirm: NEW_PASSWORD };
    const anonymous = await post(CHANGE, body);
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.body.error.type, 'not_authenticated');
    assert.equal((await post(CHANGE, body, { token: 'not-a-jwt' })).status, 401);
  });
});

describe('POST /auth/password/reset/', () => {
  it('answers the same for an existing and an unknown email; only the existing one gets exactly one email', async () => {
    const user = await signUp();
    const nobody = address('nobody');
    const timed = async (email: string) => {
      const started = performance.now();
      const response = await app.inject({ method: 'POST', url: RESET, payload: { email } });
      return Object.assign(response, { ms: performance.now() - started });
    };
    const known = await timed(user.email);
    const unknown = await timed(nobody);
    // Both are padded to one floor, far above the few milliseconds the work differs by.
    assert.ok(known.ms >= 99 && unknown.ms >= 99, `${known.ms} ms and ${unknown.ms} ms`);
    assert.equal(known.statusCode, 202);
    assert.equal(unknown.statusCode, 202);
    assert.equal(known.body, unknown.body, 'identical bodies');
    assert.deepEqual(JSON.parse(known.body), {
      detail: 'If an account with this email exists, a password reset link has been sent to it.',
    });
    for (const header of ['content-type', 'content-length', 'cache-control'])
      assert.equal(known.headers[header], unknown.headers[header], header);

    const mail = await smtp.waitForMail(user.email);
    assert.equal(mail.headers.subject, 'Reset your Smart Trip Planner password');
    assert.match(mail.text, /expires in 1 hour/);
    const token = resetToken(mail);

    // Only the hash is stored, with the configured expiry (1 hour by default).
    const [row, ...more] = await tokensOf(user.id);
    assert.equal(more.length, 0);
    assert.equal(row!.tokenHash, sha256(token));
    assert.equal(row!.usedAt, null);
    const ttl = row!.expiresAt.getTime() - row!.createdAt.getTime();
    assert.ok(Math.abs(ttl - 3600_000) < 5_000, `expiry ${ttl} ms after creation`);

    assert.equal((await outboxFor(user.email)).length, 1);
    assert.equal((await outboxFor(nobody)).length, 0, 'nothing queued for an unknown address');
    assert.equal(smtp.mailTo(user.email).length, 1, 'exactly one email');
    assert.equal(smtp.mailTo(nobody).length, 0);
  });

  it('finds the account whatever the case of the email; an inactive account gets nothing', async () => {
    const user = await signUp();
    assert.equal((await post(RESET, { email: user.email.toUpperCase() })).status, 202);
    const token = resetToken(await smtp.waitForMail(user.email));
    assert.equal((await tokensOf(user.id))[0]!.tokenHash, sha256(token));

    const inactive = await signUp('inactive');
    await db.update(users).set({ isActive: false }).where(eq(users.id, inactive.id));
    assert.equal((await post(RESET, { email: inactive.email })).status, 202);
    assert.equal((await outboxFor(inactive.email)).length, 0);
    assert.equal((await tokensOf(inactive.id)).length, 0);
  });

  it('a newer request makes the older link stop working', async () => {
    const user = await signUp();
    const first = await emailedToken(user.email);
    const second = await emailedToken(user.email);
    assert.notEqual(first, second);
    assert.equal((await tokensOf(user.id)).length, 1, 'the older token is gone');
    assertTokenRefused(await confirm(first), 'reset_token_invalid');
    assert.equal((await confirm(second)).status, 200);
  });

  it('PASSWORD_RESET_TTL sets the expiry, read like every other duration', async () => {
    assert.equal(testConfig({ PASSWORD_RESET_TTL: '2h' }).auth.passwordResetTtlSec, 7200);
    assert.equal(testConfig({ PASSWORD_RESET_TTL: '900' }).auth.passwordResetTtlSec, 900);
    assert.equal(testConfig().auth.passwordResetTtlSec, 3600);
    for (const bad of ['soon', '10s', '30d'])
      assert.throws(() => testConfig({ PASSWORD_RESET_TTL: bad }), /PASSWORD_RESET_TTL/);

    const { app: other } = await buildTestApp({ PASSWORD_RESET_TTL: '15m' });
    const user = await createUser(other, { email: address('ttl') });
    const response = await other.inject({ method: 'POST', url: RESET, payload: { email: user.email } });
    assert.equal(response.statusCode, 202);
    const [row] = await tokensOf(user.id);
    const ttl = row!.expiresAt.getTime() - row!.createdAt.getTime();
    assert.ok(Math.abs(ttl - 900_000) < 5_000, `expiry ${ttl} ms after creation`);
    sender.wake(); // this file's sender delivers it; only its own app's commits wake it
    assert.match((await smtp.waitForMail(user.email)).text, /expires in 15 minutes/);
  });
});

describe('POST /auth/password/reset/confirm/', () => {
  it('the emailed token works once and signs out every device', async () => {
    const user = await signUp();
    const otherDevice = (await login(user.email, user.password)).body as { refresh: string };
    const token = await emailedToken(user.email);

    const response = await confirm(token);
    assert.equal(response.status, 200, response.text);
    assert.deepEqual(Object.keys(response.body), ['detail']);

    assert.equal((await refresh(user.refresh)).status, 401, 'this device signed out');
    assert.equal((await refresh(otherDevice.refresh)).status, 401, 'the other device signed out');
    assert.equal((await login(user.email, user.password)).status, 401, 'old password refused');
    assert.equal((await login(user.email, NEW_PASSWORD)).status, 200, 'new password accepted');

    const [row] = await tokensOf(user.id);
    assert.ok(row!.usedAt, 'marked used');
    assertTokenRefused(await confirm(token, NEWER_PASSWORD), 'reset_token_used');
    assert.equal((await login(user.email, NEWER_PASSWORD)).status, 401);
    assert.deepEqual(
      (await userChanges(user.id)).map((c) => c.op),
      ['insert'],
      'no change-log row for a password',
    );
  });

  it('an expired token is refused and the password stays', async () => {
    const user = await signUp();
    const token = await emailedToken(user.email);
    await db
      .update(passwordResetTokens)
      .set({ expiresAt: sql`now() - interval '1 second'` })
      .where(eq(passwordResetTokens.userId, user.id));
    assertTokenRefused(await confirm(token), 'reset_token_expired');
    assert.equal((await login(user.email, user.password)).status, 200);
    assert.equal((await refresh(user.refresh)).status, 200, 'sessions untouched');
  });

  it('an unknown token is refused', async () => {
    assertTokenRefused(await confirm('A'.repeat(43)), 'reset_token_invalid');
    assertTokenRefused(await confirm('x'), 'reset_token_invalid');
  });

  it('the password policy applies, and a refused password does not spend the token', async () => {
    const user = await signUp();
    const token = await emailedToken(user.email);
    const weak = await confirm(token, 'password123');
    assertFieldErrors(weak, ['new_password']);
    assertFieldErrors(await confirm(token, user.email), ['new_password']);
    assertFieldErrors(await confirm(token, NEW_PASSWORD, NEWER_PASSWORD), ['new_password_confirm']);
    assert.equal((await confirm(token)).status, 200, 'still usable');
  });

  it('two uses at once: exactly one succeeds', async () => {
    const user = await signUp();
    const token = await emailedToken(user.email);
    const results = await Promise.all([confirm(token, NEW_PASSWORD), confirm(token, NEWER_PASSWORD)]);
    assert.deepEqual(results.map((r) => r.status).sort(), [200, 400]);
    const loser = results.find((r) => r.status === 400)!;
    assertTokenRefused(loser, 'reset_token_used');
    const winner = results[0]!.status === 200 ? NEW_PASSWORD : NEWER_PASSWORD;
    assert.equal((await login(user.email, winner)).status, 200);
  });
});

describe('input validation', () => {
  it('bad types, missing fields and malformed JSON are 400 in the envelope', async () => {
    const user = await signUp();
    const cases: [string, unknown, string[], string?][] = [
      [RESET, { email: 5 }, ['email']],
      [RESET, {}, ['email']],
      [RESET, { email: 'not-an-email' }, ['email']],
      [RESET, { email: ['a@b.test'] }, ['email']],
      [CONFIRM, { token: 123, new_password: NEW_PASSWORD, new_password_confirm: NEW_PASSWORD }, ['token']],
      [CONFIRM, { token: 'abc' }, ['new_password', 'new_password_confirm']],
      [CONFIRM, { token: '', new_password: NEW_PASSWORD, new_password_confirm: NEW_PASSWORD }, ['token']],
      [CHANGE, { old_password: null, new_password: true, new_password_confirm: {} }, []],
      [CHANGE, {}, ['old_password', 'new_password', 'new_password_confirm']],
    ];
    for (const [path, body, fields] of cases) {
      const response = await post(path, body, { token: user.access });
      assert.equal(response.status, 400, `${path} ${JSON.stringify(body)}: ${response.text}`);
      assert.equal(response.body.error.type, 'validation_error');
      assert.equal(typeof response.body.error.request_id, 'string');
      for (const field of fields) assert.ok(response.body.error.details[field], `${path}: ${field}`);
    }
    const malformed = await call(app, 'POST', RESET, {
      payload: '{"email": ',
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(malformed.status, 400);
    assert.equal(malformed.body.error.type, 'malformed_json');
  });

  it('unknown fields are ignored, as everywhere in the API', async () => {
    const user = await signUp();
    const response = await change(user, {
      old_password: user.password,
      new_password: NEW_PASSWORD,
      new_password_confirm: NEW_PASSWORD,
      is_staff: true,
      password_hash: 'x',
    });
    assert.equal(response.status, 200, response.text);
    const [row] = await db.select().from(users).where(eq(users.id, user.id));
    assert.equal(row!.isStaff, false);
    assert.ok(row!.passwordHash.startsWith('$argon2id$'));
  });
});

describe('rate limits (RATE_LIMIT_AUTH)', () => {
  // A key prefix per app: with Redis, apps of one process would otherwise share their counters.
  const limited = () =>
    buildTestApp({
      RATE_LIMIT_ENABLED: 'true',
      RATE_LIMIT_AUTH: '2',
      RATE_LIMIT_DEFAULT: '100',
      REDIS_KEY_PREFIX: `stp-test:${randomUUID()}:`,
    });
  const send = (
    target: Awaited<ReturnType<typeof limited>>['app'],
    url: string,
    payload: object,
    extra = {},
  ) => target.inject({ method: 'POST', url, payload, ...extra });

  function assertThrottled(response: { statusCode: number; body: string; headers: Record<string, unknown> }) {
    assert.equal(response.statusCode, 429);
    const body = JSON.parse(response.body);
    assert.equal(body.error.code, 429);
    assert.equal(body.error.type, 'rate_limited');
    assert.ok(Number(response.headers['retry-after']) > 0, 'Retry-After');
    assert.equal(response.headers['ratelimit-limit'], '2');
  }

  it('password change: per signed-in user', async () => {
    const { app: target } = await limited();
    const user = await createUser(target, { email: address('rl') });
    const other = await createUser(target, { email: address('rl') });
    const attempt = (who: TestUser) =>
      send(
        target,
        CHANGE,
        { old_password: 'wrong', new_password: NEW_PASSWORD, new_password_confirm: NEW_PASSWORD },
        { headers: { authorization: `Bearer ${who.access}` } },
      );
    assert.equal((await attempt(user)).statusCode, 400);
    assert.equal((await attempt(user)).statusCode, 400);
    assertThrottled(await attempt(user));
    assert.equal((await attempt(other)).statusCode, 400, 'another user has their own budget');
  });

  it('reset request: per client IP', async () => {
    const { app: target } = await limited();
    const attempt = (ip: string) => send(target, RESET, { email: address('rl') }, { remoteAddress: ip });
    assert.equal((await attempt('10.8.0.1')).statusCode, 202);
    assert.equal((await attempt('10.8.0.1')).statusCode, 202);
    assertThrottled(await attempt('10.8.0.1'));
    assert.equal((await attempt('10.8.0.2')).statusCode, 202, 'another address has its own budget');
  });

  it('reset confirm: per client IP', async () => {
    const { app: target } = await limited();
    const body = { token: 'B'.repeat(43), new_password: NEW_PASSWORD, new_password_confirm: NEW_PASSWORD };
    const attempt = (ip: string) => send(target, CONFIRM, body, { remoteAddress: ip });
    assert.equal((await attempt('10.7.0.1')).statusCode, 400);
    assert.equal((await attempt('10.7.0.1')).statusCode, 400);
    assertThrottled(await attempt('10.7.0.1'));
    assert.equal((await attempt('10.7.0.2')).statusCode, 400);
  });

  it('at most RATE_LIMIT_AUTH reset emails per window to one address, from any number of IPs', async () => {
    const { app: target } = await limited();
    const user = await createUser(target, { email: address('flood') });
    const statuses = [];
    for (const ip of ['10.6.0.1', '10.6.0.2', '10.6.0.3', '10.6.0.4'])
      statuses.push((await send(target, RESET, { email: user.email }, { remoteAddress: ip })).statusCode);
    assert.deepEqual(statuses, [202, 202, 202, 202], 'the answer never changes');
    assert.equal((await outboxFor(user.email)).length, 2);
  });
});

describe('secrets stay secret', () => {
  it('no password hash, password or reset token in any response or log line', async () => {
    const text = bodies.join('\n');
    assert.ok(bodies.length > 50, `${bodies.length} responses checked`);
    assert.doesNotMatch(text, /\$argon2/);
    assert.doesNotMatch(text, /password_hash|passwordHash/);
    const logs = testApp.logText();
    assert.ok(logs.length > 0);
    for (const secret of ['$argon2', GOOD_PASSWORD, NEW_PASSWORD, NEWER_PASSWORD])
      assert.ok(!logs.includes(secret), `${secret} in the logs`);
    const tokens = smtp.received.map((mail) => /reset-password\?token=([\w-]+)/.exec(mail.text)?.[1]);
    for (const token of tokens.filter((t): t is string => Boolean(t)))
      assert.ok(!logs.includes(token), 'a reset token in the logs');
  });
});
