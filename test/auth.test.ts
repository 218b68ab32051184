import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { eq, sql } from 'drizzle-orm';
import { SignJWT } from 'jose';
import { changes, refreshTokens, users } from '../src/db/schema/index.ts';
import { buildTestApp, call, type Response } from './helpers/app.ts';
import { testDatabase } from './helpers/database.ts';
import { GOOD_PASSWORD, createUser, uniqueEmail } from './helpers/factories.ts';
import { assertEnvelope, assertFieldError } from './helpers/assertions.ts';

const { app, config } = await buildTestApp();
const { db } = await testDatabase();

const REGISTER = '/api/v1/auth/register/';
const LOGIN = '/api/v1/auth/login/';
const REFRESH = '/api/v1/auth/refresh/';
const LOGOUT = '/api/v1/auth/logout/';
const ME = '/api/v1/users/me/';

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

async function usersWithEmail(email: string): Promise<number> {
  const rows = await db
    .select({ id: users.id })
    .from(users)
    .where(sql`lower(${users.email}) = ${email.toLowerCase()}`);
  return rows.length;
}

/** Asserts the user object of the spec (plus version and timestamps). */
function assertUserShape(user: any) {
  assert.deepEqual(Object.keys(user).sort(), [
    'created_at',
    'date_joined',
    'email',
    'full_name',
    'id',
    'last_login',
    'profile',
    'updated_at',
    'username',
    'version',
  ]);
  assert.match(user.id, UUID);
  assert.equal(typeof user.email, 'string');
  assert.equal(typeof user.username, 'string');
  assert.ok(user.username.length > 0);
  assert.deepEqual(Object.keys(user.profile).sort(), ['avatar', 'bio', 'first_name', 'last_name']);
  assert.equal(typeof user.full_name, 'string');
  assert.match(user.date_joined, ISO_UTC);
  assert.ok(user.last_login === null || ISO_UTC.test(user.last_login));
  assert.equal(Number.isInteger(user.version), true);
  assert.match(user.created_at, ISO_UTC);
  assert.match(user.updated_at, ISO_UTC);
  assert.equal('password' in user, false);
  assert.equal('password_hash' in user, false);
}

const register = (body: Record<string, unknown>) => call(app, 'POST', REGISTER, { body });
const login = (email: string, password: string) => call(app, 'POST', LOGIN, { body: { email, password } });
const refresh = (token: string) => call(app, 'POST', REFRESH, { body: { refresh: token } });
const me = (token: string) => call(app, 'GET', ME, { token });

describe('register', () => {
  it('creates the account and returns 201 {user, tokens: {access, refresh}}', async () => {
    const email = uniqueEmail('reg');
    const response = await register({
      email,
      password: GOOD_PASSWORD,
      password_confirm: GOOD_PASSWORD,
      username: `reg_${email.slice(4, 16)}`,
      first_name: '  Ada ',
      last_name: 'Lovelace',
    });
    assert.equal(response.status, 201, response.text);
    assert.deepEqual(Object.keys(response.body).sort(), ['tokens', 'user']);
    assert.deepEqual(Object.keys(response.body.tokens).sort(), ['access', 'refresh']);
    const { user, tokens } = response.body;
    assertUserShape(user);
    assert.equal(user.email, email);
    assert.equal(user.username, `reg_${email.slice(4, 16)}`);
    assert.deepEqual(user.profile, { first_name: 'Ada', last_name: 'Lovelace', bio: '', avatar: null });
    assert.equal(user.full_name, 'Ada Lovelace');
    assert.equal(user.version, 1);
    assert.equal(typeof tokens.access, 'string');
    assert.equal(typeof tokens.refresh, 'string');
    assert.notEqual(tokens.access, tokens.refresh);

    // The tokens are a working session.
    const mine = await me(tokens.access);
    assert.equal(mine.status, 200);
    assert.equal(mine.body.id, user.id);
    const rotated = await refresh(tokens.refresh);
    assert.equal(rotated.status, 200, rotated.text);

    // Stored as presented in the response; the password only as a hash.
    const [row] = await db.select().from(users).where(eq(users.id, user.id));
    assert.ok(row);
    assert.equal(row.email, email);
    assert.notEqual(row.passwordHash, GOOD_PASSWORD);
    assert.ok(!row.passwordHash.includes(GOOD_PASSWORD));
    assert.match(row.passwordHash, /^\$argon2id\$/);
  });

  it('stores the email lower-cased and derives the username from it when absent', async () => {
    const local = `Mixed.Case-${uniqueEmail('x').slice(2, 14)}`;
    const email = `${local}@Example.TEST`;
    const response = await register({ email, password: GOOD_PASSWORD, password_confirm: GOOD_PASSWORD });
    assert.equal(response.status, 201, response.text);
    const { user } = response.body;
    assertUserShape(user);
    assert.equal(user.email, email.toLowerCase());
    assert.equal(user.username, local.toLowerCase());
    assert.deepEqual(user.profile, { first_name: '', last_name: '', bio: '', avatar: null });
    assert.equal(user.full_name, '');
    const [row] = await db.select().from(users).where(eq(users.id, user.id));
    assert.equal(row?.email, email.toLowerCase());

    // The same local part at another domain gets a unique derived username.
    const other = await register({
      email: `${local}@other.test`,
      password: GOOD_PASSWORD,
      password_confirm: GOOD_PASSWORD,
    });
    assert.equal(other.status, 201, other.text);
    assert.notEqual(other.body.user.username.toLowerCase(), user.username.toLowerCase());
    assert.ok(other.body.user.username.startsWith(local.toLowerCase()));
  });

  it('refuses an email already registered in another case, writing nothing', async () => {
    const existing = await createUser(app);
    const upper = existing.email.toUpperCase();
    const response = await register({
      email: upper,
      password: GOOD_PASSWORD,
      password_confirm: GOOD_PASSWORD,
    });
    const problems = assertFieldError(response, 'email');
    assert.match(problems.join(' '), /already exists/);
    assert.equal(await usersWithEmail(existing.email), 1);
  });

  it('refuses a username taken in another case', async () => {
    const username = `Taken_${uniqueEmail('u').slice(2, 14)}`;
    await createUser(app, { username });
    const email = uniqueEmail();
    const response = await register({
      email,
      password: GOOD_PASSWORD,
      password_confirm: GOOD_PASSWORD,
      username: username.toUpperCase(),
    });
    assertFieldError(response, 'username');
    assert.equal(await usersWithEmail(email), 0);
  });

  it('reports a password mismatch on password_confirm, writing nothing', async () => {
    const email = uniqueEmail();
    const response = await register({
      email,
      password: GOOD_PASSWORD,
      password_confirm: `${GOOD_PASSWORD}x`,
    });
    assertFieldError(response, 'password_confirm');
    assert.equal(response.body.error.details.password, undefined, 'the password itself is fine');
    assert.equal(await usersWithEmail(email), 0);
  });

  for (const [label, password, pattern] of [
    ['too short', 'Kx9!mq', /too short/i],
    ['entirely numeric', '48213975602', /numeric/i],
    ['common', 'password123', /common/i],
    ['common in another case', 'PassWord123', /common/i],
  ] as const) {
    it(`refuses a weak password (${label}) on the password field, writing nothing`, async () => {
      const email = uniqueEmail();
      const response = await register({ email, password, password_confirm: password });
      const problems = assertFieldError(response, 'password');
      assert.ok(
        problems.some((p) => pattern.test(p)),
        `expected a problem matching ${pattern}: ${problems.join(' | ')}`,
      );
      assert.equal(await usersWithEmail(email), 0);
    });
  }

  it('refuses a password similar to the email, writing nothing', async () => {
    const email = uniqueEmail('jonathan.bellweather');
    const local = email.split('@')[0]!;
    for (const password of [local, `${local}!`, email, 'JonathanBellweather7']) {
      const response = await register({ email, password, password_confirm: password });
      const problems = assertFieldError(response, 'password');
      assert.ok(
        problems.some((p) => /similar/i.test(p)),
        `"${password}" should be too similar: ${problems.join(' | ')}`,
      );
    }
    assert.equal(await usersWithEmail(email), 0);
    // Control: the same email with an unrelated password is accepted.
    const ok = await register({ email, password: GOOD_PASSWORD, password_confirm: GOOD_PASSWORD });
    assert.equal(ok.status, 201, ok.text);
  });

  it('reports every problem at once', async () => {
    const existing = await createUser(app);
    const response = await register({ email: existing.email, password: '1234', password_confirm: '12345' });
    const error = assertEnvelope(response, 400, 'validation_error');
    assert.ok(error.details.email);
    assert.ok(error.details.password);
    assert.ok(error.details.password_confirm);
    assert.ok(error.details.password.length >= 2, 'short and numeric are both named');
  });

  it('validates the body shape', async () => {
    const email = uniqueEmail();
    assertFieldError(await register({ password: GOOD_PASSWORD, password_confirm: GOOD_PASSWORD }), 'email');
    assertFieldError(
      await register({ email: 'not-an-email', password: GOOD_PASSWORD, password_confirm: GOOD_PASSWORD }),
      'email',
    );
    assertFieldError(
      await register({
        email,
        password: GOOD_PASSWORD,
        password_confirm: GOOD_PASSWORD,
        username: 'has space',
      }),
      'username',
    );
    assert.equal(await usersWithEmail(email), 0);
  });

  it('records the insert in the change log (entity user, op insert, version 1, actor = the user)', async () => {
    const user = await createUser(app);
    const rows = await db.select().from(changes).where(eq(changes.entityId, user.id));
    assert.equal(rows.length, 1);
    const [row] = rows;
    assert.equal(row?.entity, 'user');
    assert.equal(row?.op, 'insert');
    assert.equal(row?.version, 1);
    assert.equal(row?.actorId, user.id);
    assert.equal(row?.tripId, null);
  });
});

describe('login', () => {
  it('returns 200 {access, refresh, user} and a working session', async () => {
    const user = await createUser(app);
    const response = await login(user.email, user.password);
    assert.equal(response.status, 200, response.text);
    assert.deepEqual(Object.keys(response.body).sort(), ['access', 'refresh', 'user']);
    assertUserShape(response.body.user);
    assert.equal(response.body.user.id, user.id);
    assert.match(response.body.user.last_login, ISO_UTC);
    assert.notEqual(response.body.access, user.access);
    assert.notEqual(response.body.refresh, user.refresh);
    assert.equal((await me(response.body.access)).body.id, user.id);
    assert.equal((await refresh(response.body.refresh)).status, 200);
  });

  it('matches the email case-insensitively (and ignores surrounding spaces)', async () => {
    const user = await createUser(app);
    const upper = await login(user.email.toUpperCase(), user.password);
    assert.equal(upper.status, 200, upper.text);
    assert.equal(upper.body.user.id, user.id);
    const spaced = await login(`  ${user.email}  `, user.password);
    assert.equal(spaced.status, 200, spaced.text);
    assert.equal(spaced.body.user.id, user.id);
  });

  it('gives the same 401 for a wrong password and an unknown email', async () => {
    const user = await createUser(app);
    const wrong = await login(user.email, `${user.password}-nope`);
    const unknown = await login(uniqueEmail('ghost'), user.password);
    const wrongCase = await login(user.email, user.password.toUpperCase());
    const a = assertEnvelope(wrong, 401, 'authentication_failed');
    const b = assertEnvelope(unknown, 401, 'authentication_failed');
    const c = assertEnvelope(wrongCase, 401, 'authentication_failed');
    assert.equal(a.message, b.message);
    assert.equal(a.message, c.message);
    assert.deepEqual(a.details, b.details);
    assert.equal('access' in wrong.body, false);
  });

  it('a deactivated account cannot log in or refresh, with the same 401 as a wrong password', async () => {
    const user = await createUser(app);
    const wrong = assertEnvelope(await login(user.email, 'Not-The-Password-1'), 401, 'authentication_failed');
    await db.update(users).set({ isActive: false }).where(eq(users.id, user.id));
    const inactive = assertEnvelope(await login(user.email, user.password), 401, 'authentication_failed');
    assert.equal(inactive.message, wrong.message);
    assertEnvelope(await refresh(user.refresh), 401, 'token_not_valid');
  });

  it('requires both fields', async () => {
    assertFieldError(await call(app, 'POST', LOGIN, { body: { email: uniqueEmail() } }), 'password');
    assertFieldError(await call(app, 'POST', LOGIN, { body: { password: GOOD_PASSWORD } }), 'email');
  });
});

describe('refresh', () => {
  it('rotates: a new access and a new refresh; the old refresh is then dead', async () => {
    const user = await createUser(app);
    const first = await refresh(user.refresh);
    assert.equal(first.status, 200, first.text);
    assert.deepEqual(Object.keys(first.body).sort(), ['access', 'refresh']);
    assert.notEqual(first.body.access, user.access);
    assert.notEqual(first.body.refresh, user.refresh);
    assert.equal((await me(first.body.access)).body.id, user.id);

    const second = await refresh(first.body.refresh);
    assert.equal(second.status, 200, second.text);
    assert.notEqual(second.body.refresh, first.body.refresh);
  });

  it('refuses an unknown token and a missing field', async () => {
    assertEnvelope(await refresh('not-a-real-refresh-token'), 401, 'token_not_valid');
    assertFieldError(await call(app, 'POST', REFRESH, { body: {} }), 'refresh');
  });

  it('re-use of a rotated token is 401 and revokes its whole family, not other logins', async () => {
    const user = await createUser(app); // family A (the registration session)
    const other = await login(user.email, user.password); // family B, the same user
    assert.equal(other.status, 200);

    const r1 = await refresh(user.refresh);
    assert.equal(r1.status, 200);
    const r2 = await refresh(r1.body.refresh);
    assert.equal(r2.status, 200);
    const newest = r2.body.refresh as string;

    // The old token again: theft detection.
    const replay = await refresh(user.refresh);
    assertEnvelope(replay, 401, 'token_not_valid');
    assert.equal(replay.headers['www-authenticate'], 'Bearer error="invalid_token"');

    // The newest token of that family is dead too.
    assertEnvelope(await refresh(newest), 401, 'token_not_valid');
    // Replaying a middle token is still 401.
    assertEnvelope(await refresh(r1.body.refresh), 401, 'token_not_valid');

    // The other login (family B) keeps working, and rotates normally.
    const b1 = await refresh(other.body.refresh);
    assert.equal(b1.status, 200, b1.text);
    const b2 = await refresh(b1.body.refresh);
    assert.equal(b2.status, 200, b2.text);

    // In the database: every token of family A is revoked, none of family B.
    const rows = await db.select().from(refreshTokens).where(eq(refreshTokens.userId, user.id));
    const [familyA] = rows
      .filter((r) => r.replacedBy !== null && r.revokedAt !== null)
      .map((r) => r.familyId);
    assert.ok(familyA);
    for (const row of rows) {
      if (row.familyId === familyA) assert.ok(row.revokedAt, 'family A revoked');
      else assert.equal(row.revokedAt, null, 'family B untouched');
    }
    assert.equal(new Set(rows.map((r) => r.familyId)).size, 2);
  });

  it('stores only a hash of each refresh token', async () => {
    const user = await createUser(app);
    const rows = await db.select().from(refreshTokens).where(eq(refreshTokens.userId, user.id));
    assert.equal(rows.length, 1);
    assert.notEqual(rows[0]?.tokenHash, user.refresh);
    assert.ok(!rows[0]?.tokenHash.includes(user.refresh));
  });

  it('an expired refresh token is 401', async () => {
    const user = await createUser(app);
    await db
      .update(refreshTokens)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(refreshTokens.userId, user.id));
    assertEnvelope(await refresh(user.refresh), 401, 'token_not_valid');
  });
});

describe('logout', () => {
  it('requires authentication', async () => {
    const user = await createUser(app);
    assertEnvelope(
      await call(app, 'POST', LOGOUT, { body: { refresh: user.refresh } }),
      401,
      'not_authenticated',
    );
    // The token was not revoked by the refused call.
    assert.equal((await refresh(user.refresh)).status, 200);
  });

  it('kills the refresh token (field `refresh`)', async () => {
    const user = await createUser(app);
    const response = await call(app, 'POST', LOGOUT, { token: user.access, body: { refresh: user.refresh } });
    assert.equal(response.status, 200, response.text);
    assert.equal(typeof response.body.detail, 'string');
    assertEnvelope(await refresh(user.refresh), 401, 'token_not_valid');
  });

  it('accepts the alias `refresh_token`', async () => {
    const user = await createUser(app);
    const response = await call(app, 'POST', LOGOUT, {
      token: user.access,
      body: { refresh_token: user.refresh },
    });
    assert.equal(response.status, 200, response.text);
    assert.equal(typeof response.body.detail, 'string');
    assertEnvelope(await refresh(user.refresh), 401, 'token_not_valid');
  });

  it('kills the session of a rotated token, leaving other logins alive', async () => {
    const user = await createUser(app);
    const other = await login(user.email, user.password);
    const rotated = await refresh(user.refresh);
    assert.equal(rotated.status, 200);
    const response = await call(app, 'POST', LOGOUT, {
      token: user.access,
      body: { refresh: rotated.body.refresh },
    });
    assert.equal(response.status, 200, response.text);
    assertEnvelope(await refresh(rotated.body.refresh), 401, 'token_not_valid');
    assert.equal((await refresh(other.body.refresh)).status, 200);
  });

  it('an unknown token is a 400 field error', async () => {
    const user = await createUser(app);
    const response = await call(app, 'POST', LOGOUT, {
      token: user.access,
      body: { refresh: 'no-such-token-at-all' },
    });
    assertFieldError(response, 'refresh');
    const alias = await call(app, 'POST', LOGOUT, {
      token: user.access,
      body: { refresh_token: 'no-such-token-at-all' },
    });
    // Reported on the field the client sent.
    assertFieldError(alias, 'refresh_token');
    assert.equal(alias.body.error.details.refresh, undefined);
  });

  it("another user's token is a 400 and stays alive", async () => {
    const alice = await createUser(app);
    const bob = await createUser(app);
    const response = await call(app, 'POST', LOGOUT, { token: alice.access, body: { refresh: bob.refresh } });
    assertFieldError(response, 'refresh');
    assert.equal((await refresh(bob.refresh)).status, 200);
  });

  it('a missing field is a 400', async () => {
    const user = await createUser(app);
    assertFieldError(await call(app, 'POST', LOGOUT, { token: user.access, body: {} }), 'refresh');
    assertFieldError(
      await call(app, 'POST', LOGOUT, {
        token: user.access,
        payload: '',
        headers: { 'content-type': 'application/json' },
      }),
      'refresh',
    );
    assert.equal((await refresh(user.refresh)).status, 200, 'nothing was revoked');
  });
});

describe('access tokens', () => {
  const key = new TextEncoder().encode(config.secretKey);
  const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  /** Replaces the character at `index` with a different base64url character. */
  const flip = (text: string, index: number) =>
    text.slice(0, index) + (text[index] === 'A' ? 'B' : 'A') + text.slice(index + 1);

  const sign = (sub: string, options: { exp?: number; iat?: number; secret?: Uint8Array } = {}) => {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ token_type: 'access' })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(sub)
      .setIssuer('smart-trip-planner')
      .setAudience('smart-trip-planner:api')
      .setIssuedAt(options.iat ?? now)
      .setJti(crypto.randomUUID())
      .setExpirationTime(options.exp ?? now + 300)
      .sign(options.secret ?? key);
  };

  async function assertRejected(token: string) {
    const response = await me(token);
    const error = assertEnvelope(response, 401, 'token_not_valid');
    assert.deepEqual(error.details, {});
    assert.equal(response.headers['www-authenticate'], 'Bearer error="invalid_token"');
  }

  it('a token we sign like the server does is accepted (control for the cases below)', async () => {
    const user = await createUser(app);
    const response = await me(await sign(user.id));
    assert.equal(response.status, 200, response.text);
    assert.equal(response.body.id, user.id);
  });

  it('an expired token is 401', async () => {
    const user = await createUser(app);
    const now = Math.floor(Date.now() / 1000);
    await assertRejected(await sign(user.id, { iat: now - 3600, exp: now - 60 }));
  });

  it('a tampered signature is 401', async () => {
    const user = await createUser(app);
    const [header, payload, signature] = user.access.split('.') as [string, string, string];
    // A middle character: the last one may only carry padding bits.
    await assertRejected(`${header}.${payload}.${flip(signature, 10)}`);
    // The untampered token still works.
    assert.equal((await me(user.access)).status, 200);
  });

  it('a tampered payload is 401 (another subject, and a flipped character)', async () => {
    const user = await createUser(app);
    const victim = await createUser(app);
    const [header, payload, signature] = user.access.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    await assertRejected(`${header}.${b64({ ...claims, sub: victim.id })}.${signature}`);
    await assertRejected(`${header}.${flip(payload, 12)}.${signature}`);
  });

  it('alg "none" is 401', async () => {
    const user = await createUser(app);
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      token_type: 'access',
      sub: user.id,
      iss: 'smart-trip-planner',
      aud: 'smart-trip-planner:api',
      iat: now,
      exp: now + 300,
      jti: crypto.randomUUID(),
    };
    await assertRejected(`${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`);
    await assertRejected(`${b64({ alg: 'None' })}.${b64(claims)}.`);
    // The same claims with the real signature of another header do not help either.
    const [, , signature] = user.access.split('.') as [string, string, string];
    await assertRejected(`${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.${signature}`);
  });

  it('a token signed with another secret is 401', async () => {
    const user = await createUser(app);
    const otherKey = new TextEncoder().encode(`${config.secretKey}-but-different`);
    await assertRejected(await sign(user.id, { secret: otherKey }));
  });

  it('a token with the wrong issuer, audience or type is 401', async () => {
    const user = await createUser(app);
    const now = Math.floor(Date.now() / 1000);
    const base = { sub: user.id, iat: now, exp: now + 300 };
    const custom = (claims: Record<string, unknown>) =>
      new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(key);
    await assertRejected(
      await custom({ ...base, token_type: 'access', iss: 'someone-else', aud: 'smart-trip-planner:api' }),
    );
    await assertRejected(
      await custom({ ...base, token_type: 'access', iss: 'smart-trip-planner', aud: 'x' }),
    );
    await assertRejected(
      await custom({
        ...base,
        token_type: 'refresh',
        iss: 'smart-trip-planner',
        aud: 'smart-trip-planner:api',
      }),
    );
    const good = { ...base, token_type: 'access', iss: 'smart-trip-planner', aud: 'smart-trip-planner:api' };
    // The same claims are accepted when nothing else is wrong (so the refusals above are the claims').
    const ok = await custom(good);
    assert.equal((await call(app, 'GET', '/api/v1/users/me/', { token: ok })).status, 200);
    await assertRejected(await custom({ ...good, nbf: now + 120 })); // not valid yet
    await assertRejected(await custom({ ...good, exp: 'tomorrow' }));
    await assertRejected(await custom({ ...good, sub: 42 }));
    // Another HMAC algorithm with the right secret: refused, only HS256 is accepted.
    await assertRejected(await new SignJWT(good).setProtectedHeader({ alg: 'HS512' }).sign(key));
    // A critical header extension we do not understand: refused (signed by hand; jose will not).
    const critical = `${b64({ alg: 'HS256', crit: ['x'], x: 1 })}.${b64(good)}`;
    await assertRejected(`${critical}.${createHmac('sha256', key).update(critical).digest('base64url')}`);
  });

  it('a refresh token used as a bearer is 401', async () => {
    const user = await createUser(app);
    await assertRejected(user.refresh);
  });

  it('garbage and a missing token are 401', async () => {
    await assertRejected('a.b.c');
    await assertRejected('not-a-jwt');
    assertEnvelope(await call(app, 'GET', ME), 401, 'not_authenticated');
    assertEnvelope(
      await call(app, 'GET', ME, { headers: { authorization: 'Basic dXNlcjpwYXNz' } }),
      401,
      'not_authenticated',
    );
  });
});

describe('logging', () => {
  it('writes one line per request and never a password or token', async () => {
    const captured = await buildTestApp();
    const logged = captured.app;
    const email = uniqueEmail('logs');
    const password = 'Quiet-Lantern-Harbor-93';
    const ids: string[] = [];
    const track = <T>(response: Response<T>) => {
      ids.push(String(response.headers['x-request-id']));
      return response;
    };

    const registered = track(
      await call(logged, 'POST', REGISTER, { body: { email, password, password_confirm: password } }),
    );
    assert.equal(registered.status, 201);
    const signedIn = track(await call(logged, 'POST', LOGIN, { body: { email, password } }));
    assert.equal(signedIn.status, 200);
    const failed = track(await call(logged, 'POST', LOGIN, { body: { email, password: `${password}!` } }));
    assert.equal(failed.status, 401);
    const rotated = track(await call(logged, 'POST', REFRESH, { body: { refresh: signedIn.body.refresh } }));
    assert.equal(rotated.status, 200);
    const loggedOut = track(
      await call(logged, 'POST', LOGOUT, {
        token: rotated.body.access,
        body: { refresh: rotated.body.refresh },
      }),
    );
    assert.equal(loggedOut.status, 200);
    // A replay (which logs a warning) must not leak the token either.
    const replay = track(await call(logged, 'POST', REFRESH, { body: { refresh: signedIn.body.refresh } }));
    assert.equal(replay.status, 401);

    const text = captured.logText();
    assert.ok(text.length > 0, 'something was logged');
    const secrets = {
      password,
      failedPassword: `${password}!`,
      registerAccess: registered.body.tokens.access,
      registerRefresh: registered.body.tokens.refresh,
      loginAccess: signedIn.body.access,
      loginRefresh: signedIn.body.refresh,
      rotatedAccess: rotated.body.access,
      rotatedRefresh: rotated.body.refresh,
    };
    for (const [name, secret] of Object.entries(secrets)) {
      assert.equal(typeof secret, 'string');
      assert.ok(!text.includes(secret), `${name} leaked into the logs`);
    }

    const requestLines = captured.logs.filter((line) => line.msg === 'request');
    assert.equal(requestLines.length, ids.length, 'one request line per request');
    for (const id of ids) {
      const lines = requestLines.filter((line) => line.req_id === id);
      assert.equal(lines.length, 1, `exactly one request line for ${id}`);
    }
    const statuses = ids.map((id) => requestLines.find((line) => line.req_id === id)?.status);
    assert.deepEqual(statuses, [201, 200, 401, 200, 200, 401]);
  });
});
