import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { and, eq, inArray, sql } from 'drizzle-orm';
import { changes, emailOutbox, invitations, tripMembers } from '../src/db/schema/index.ts';
import { inTransaction } from '../src/modules/changes/unit-of-work.ts';
import { joinPendingInvitations } from '../src/modules/invitations/join-pending.ts';
import { createEmailSender } from '../src/platform/email-outbox.ts';
import { createMailer, FileMailer, SmtpMailer, type MailMessage } from '../src/platform/mailer.ts';
import { buildTestApp, call, type Response } from './helpers/app.ts';
import { closeAtEnd, testDatabase } from './helpers/database.ts';
import { testConfig, testDataDir } from './helpers/env.ts';
import { MAIL_DOMAIN, createUser, uniqueEmail, type TestUser } from './helpers/factories.ts';
import { startSmtpServer, type ReceivedMail } from './helpers/smtp.ts';

// ---- A real SMTP server on a random local port, collecting every message it receives.
const { env: smtpEnv, received, waitForMail } = await startSmtpServer();

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

const testApp = await buildTestApp(smtpEnv);
const { app } = testApp;
const { db } = await testDatabase();

// Every address here is in this process's MAIL_DOMAIN: this file's senders deliver only those, so
// test files that share one database (PostgreSQL runs) never send, or wait behind, each other's mail.
const MINE = `%@${MAIL_DOMAIN}`;

// A long poll interval: mail arriving within seconds proves the sender is woken after commit.
const sender = createEmailSender(app.ctx, { recipients: MINE, pollMs: 60_000 });
sender.start();
closeAtEnd(() => sender.stop());

/** The token of the accept link in an invitation email. */
function acceptToken(mail: ReceivedMail): { token: string; url: URL } {
  const match = /(https?:\/\/\S+\/api\/v1\/invitations\/([A-Za-z0-9_-]{20,})\/accept\/)/.exec(mail.text);
  assert.ok(match, `accept link in: ${mail.text}`);
  return { url: new URL(match[1]!), token: match[2]! };
}

// ---- Factories.
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

async function createTrip(owner: TestUser, title = 'Azores') {
  const response = await call(app, 'POST', '/api/v1/trips/', { token: owner.access, body: { title } });
  assert.equal(response.status, 201, response.text);
  return response.body as { id: string; title: string };
}

async function invite(trip: { id: string }, by: TestUser, body: Record<string, unknown>, headers = {}) {
  return call(app, 'POST', `/api/v1/trips/${trip.id}/invite/`, { token: by.access, body, headers });
}

/** Invites `email` (no account) and returns the emailed token. */
async function inviteAndGetToken(trip: { id: string }, by: TestUser, email: string, role = 'viewer') {
  const response = await invite(trip, by, { email, role });
  assert.equal(response.status, 202, response.text);
  const sent = received.filter((m) => m.to.includes(email)).length;
  return acceptToken(await waitForMail(email, sent + 1)).token;
}

/** A pending invitation written straight to the database (for accounts that already exist). */
async function seedInvitation(
  tripId: string,
  email: string,
  invitedById: string,
  extra: Partial<typeof invitations.$inferInsert> = {},
) {
  const token = randomBytes(32).toString('base64url');
  const [row] = await db
    .insert(invitations)
    .values({
      tripId,
      email,
      role: 'editor',
      tokenHash: sha256(token),
      invitedById,
      expiresAt: new Date(Date.now() + 86_400_000),
      ...extra,
    })
    .returning();
  return { row: row!, token };
}

const accept = (token: string, user?: TestUser) =>
  call(app, 'POST', `/api/v1/invitations/${token}/accept/`, { token: user?.access });
const decline = (token: string) => call(app, 'POST', `/api/v1/invitations/${token}/decline/`);
const lookup = (token: string) => call(app, 'GET', `/api/v1/invitations/${token}/`);

const invitationRow = async (email: string, tripId: string) =>
  db
    .select()
    .from(invitations)
    .where(and(eq(invitations.tripId, tripId), sql`lower(${invitations.email}) = ${email.toLowerCase()}`));

const roleOf = async (tripId: string, userId: string) =>
  (
    await db
      .select({ role: tripMembers.role })
      .from(tripMembers)
      .where(and(eq(tripMembers.tripId, tripId), eq(tripMembers.userId, userId)))
  )[0]?.role ?? null;

function assertError(response: Response<any>, status: number, type?: string) {
  assert.equal(response.status, status, `expected ${status}, got ${response.status}: ${response.text}`);
  assert.equal(response.body.error.code, status);
  if (type) assert.equal(response.body.error.type, type);
  return response.body.error;
}

describe('inviting an email without an account', () => {
  it('202; only the token hash is stored; the emailed accept link works for the new account', async () => {
    const owner = await createUser(app, { first_name: 'Ines', last_name: 'Inviter' });
    const trip = await createTrip(owner, 'Azores hike');
    const email = uniqueEmail('guest');
    const response = await invite(
      trip,
      owner,
      { email: email.toUpperCase(), role: 'editor', message: 'Bring boots' },
      { host: 'trips.example.test' },
    );
    assert.equal(response.status, 202, response.text);
    assert.equal(typeof response.body.detail, 'string');
    assert.equal(response.body.email, email);
    assert.equal(response.body.invitation.status, 'pending');
    assert.equal(response.body.invitation.role, 'editor');
    const ttl = Date.parse(response.body.invitation.expires_at) - Date.now();
    assert.ok(Math.abs(ttl - 7 * 86_400_000) < 60_000, 'expires in 7 days');

    const [row] = await invitationRow(email, trip.id);
    assert.ok(row);
    assert.match(row.tokenHash, /^[0-9a-f]{64}$/);
    const logged = await db.select().from(changes).where(eq(changes.entityId, row.id));
    assert.deepEqual(
      logged.map((c) => [c.entity, c.op, c.tripId]),
      [['invitation', 'insert', trip.id]],
    );

    const mail = await waitForMail(email);
    assert.match(mail.headers.subject!, /Azores hike/);
    assert.match(mail.headers.from!, /noreply@localhost/);
    assert.match(mail.text, /Bring boots/);
    const { token, url } = acceptToken(mail);
    assert.equal(url.origin, 'http://trips.example.test', 'the link uses the host the client reached');
    assert.equal(sha256(token), row.tokenHash, 'the database holds the hash of the emailed token');
    assert.notEqual(row.tokenHash, token);

    const info = await lookup(token);
    assert.equal(info.status, 200, info.text);
    assert.equal(info.body.trip_title, 'Azores hike');
    assert.equal(info.body.invited_by_name, 'Ines Inviter');
    assert.equal(info.body.role, 'editor');
    assert.equal(info.body.email, email);

    const guest = await createUser(app, { email });
    const accepted = await call(app, 'POST', url.pathname, { token: guest.access });
    assert.equal(accepted.status, 200, accepted.text);
    assert.equal(accepted.body.trip, trip.id);
    assert.equal(accepted.body.collaborator.user.id, guest.id);
    assert.equal(accepted.body.collaborator.role, 'editor');
    assert.equal(await roleOf(trip.id, guest.id), 'editor');
    assert.equal((await invitationRow(email, trip.id))[0]!.status, 'accepted');
    const tripChanges = await db.select().from(changes).where(eq(changes.tripId, trip.id));
    assert.ok(
      tripChanges.some((c) => c.entity === 'collaborator' && c.entityId === accepted.body.collaborator.id),
    );
    assert.ok(tripChanges.some((c) => c.entity === 'invitation' && c.op === 'update'));

    // A retried accept by the same member is answered again, not refused.
    const retry = await call(app, 'POST', url.pathname, { token: guest.access });
    assert.equal(retry.status, 200, retry.text);
    assert.equal(retry.body.collaborator.id, accepted.body.collaborator.id);
    const trips = await call(app, 'GET', '/api/v1/trips/', { token: guest.access });
    assert.deepEqual(
      trips.body.results.map((t: any) => [t.id, t.user_role]),
      [[trip.id, 'editor']],
    );
  });

  it('registering with an invited email joins the trip (POST /auth/register/)', async () => {
    const [alice, bob] = await Promise.all([createUser(app), createUser(app)]);
    const [first, second] = [await createTrip(alice, 'Oslo'), await createTrip(bob, 'Bergen')];
    const email = uniqueEmail('joiner');
    assert.equal((await invite(first, alice, { email, role: 'editor' })).status, 202);
    assert.equal((await invite(second, bob, { email })).status, 202);
    const joiner = await createUser(app, { email: email.toUpperCase() });
    assert.equal(await roleOf(first.id, joiner.id), 'editor');
    assert.equal(await roleOf(second.id, joiner.id), 'viewer');
    const trips = await call(app, 'GET', '/api/v1/trips/', { token: joiner.access });
    assert.equal(trips.body.count, 2);
    for (const trip of [first, second])
      assert.equal((await invitationRow(email, trip.id))[0]!.status, 'accepted');
  });

  it('joinPendingInvitations adds the user to every trip with an open invitation', async () => {
    const [owner, user] = await Promise.all([createUser(app), createUser(app)]);
    const [a, b, c, d] = await Promise.all(['A', 'B', 'C', 'D'].map((t) => createTrip(owner, t)));
    await seedInvitation(a!.id, user.email, owner.id, { role: 'editor' });
    await seedInvitation(b!.id, user.email.toUpperCase(), owner.id, { role: 'viewer' });
    await seedInvitation(c!.id, user.email, owner.id, { expiresAt: new Date(Date.now() - 1000) });
    await seedInvitation(d!.id, user.email, owner.id, { status: 'revoked' });

    const joined = await inTransaction(app.ctx, (unit) =>
      joinPendingInvitations(unit, { userId: user.id, email: ` ${user.email.toUpperCase()} ` }),
    );
    assert.deepEqual(joined.sort(), [a!.id, b!.id].sort());
    assert.equal(await roleOf(a!.id, user.id), 'editor');
    assert.equal(await roleOf(b!.id, user.id), 'viewer');
    assert.equal(await roleOf(c!.id, user.id), null, 'expired invitation ignored');
    assert.equal(await roleOf(d!.id, user.id), null, 'revoked invitation ignored');
    assert.equal((await invitationRow(user.email, a!.id))[0]!.status, 'accepted');
    assert.equal((await invitationRow(user.email, c!.id))[0]!.status, 'pending');
    const logged = await db
      .select()
      .from(changes)
      .where(inArray(changes.tripId, [a!.id, b!.id]));
    const kinds = logged.filter((l) => l.actorId === user.id).map((l) => `${l.entity}.${l.op}`);
    assert.deepEqual(kinds.sort(), [
      'collaborator.insert',
      'collaborator.insert',
      'invitation.update',
      'invitation.update',
    ]);
    // Nothing left to join the second time.
    const again = await inTransaction(app.ctx, (unit) =>
      joinPendingInvitations(unit, { userId: user.id, email: user.email }),
    );
    assert.deepEqual(again, []);
  });

  it('a pending invitation cannot be sent twice: 400 on email, nothing written', async () => {
    const owner = await createUser(app);
    const trip = await createTrip(owner);
    const email = uniqueEmail('twice');
    assert.equal((await invite(trip, owner, { email })).status, 202);
    const outboxBefore = await db.select().from(emailOutbox).where(eq(emailOutbox.to, email));
    const again = await invite(trip, owner, { email: email.toUpperCase(), role: 'editor' });
    assert.ok(assertError(again, 400, 'validation_error').details.email);
    assert.equal((await invitationRow(email, trip.id)).length, 1);
    assert.equal(
      (await db.select().from(emailOutbox).where(eq(emailOutbox.to, email))).length,
      outboxBefore.length,
    );
  });

  it('message longer than 500 and a bad email are field errors', async () => {
    const owner = await createUser(app);
    const trip = await createTrip(owner);
    const response = await invite(trip, owner, { email: 'not-an-email', message: 'x'.repeat(501) });
    const error = assertError(response, 400, 'validation_error');
    assert.ok(error.details.email);
    assert.ok(error.details.message);
  });
});

describe('closed invitations are refused', () => {
  it('expired: lookup says expired, accept is a 400, a new invitation can be sent', async () => {
    const owner = await createUser(app);
    const trip = await createTrip(owner);
    const email = uniqueEmail('late');
    const oldToken = await inviteAndGetToken(trip, owner, email, 'editor');
    await db
      .update(invitations)
      .set({ expiresAt: new Date(Date.now() - 60_000) })
      .where(eq(invitations.tokenHash, sha256(oldToken)));

    assert.equal((await lookup(oldToken)).body.status, 'expired');
    const listed = await call(app, 'GET', `/api/v1/trips/${trip.id}/invitations/`, { token: owner.access });
    assert.equal(listed.body.results[0].status, 'expired');

    const newToken = await inviteAndGetToken(trip, owner, email, 'editor');
    const rows = await invitationRow(email, trip.id);
    assert.deepEqual(rows.map((r) => r.status).sort(), ['expired', 'pending']);
    for (const status of ['pending', 'expired']) {
      const filtered = await call(app, 'GET', `/api/v1/trips/${trip.id}/invitations/?status=${status}`, {
        token: owner.access,
      });
      assert.equal(filtered.body.count, 1, status);
      assert.equal(filtered.body.results[0].status, status);
    }

    const guest = await createUser(app, { email });
    assertError(await accept(oldToken, guest), 400, 'invitation_expired');
    assert.equal((await accept(newToken, guest)).status, 200);
    assert.equal(await roleOf(trip.id, guest.id), 'editor');
  });

  it('revoked: owner or editor revokes (204); lookup, decline and accept refuse it', async () => {
    const [owner, editor, viewer, stranger] = await Promise.all([
      createUser(app),
      createUser(app),
      createUser(app),
      createUser(app),
    ]);
    const trip = await createTrip(owner);
    await db.insert(tripMembers).values([
      { tripId: trip.id, userId: editor.id, role: 'editor' },
      { tripId: trip.id, userId: viewer.id, role: 'viewer' },
    ]);
    const email = uniqueEmail('revoked');
    const token = await inviteAndGetToken(trip, owner, email);
    const [row] = await invitationRow(email, trip.id);
    const revokeUrl = `/api/v1/trips/${trip.id}/invitations/${row!.id}/`;
    const listUrl = `/api/v1/trips/${trip.id}/invitations/`;

    const listed = await call(app, 'GET', listUrl, { token: editor.access });
    assert.equal(listed.status, 200);
    assert.equal(listed.body.count, 1);
    assert.equal(listed.body.results[0].id, row!.id);
    assert.equal(listed.body.results[0].invited_by, owner.id);
    assert.equal('token_hash' in listed.body.results[0], false);
    assertError(await call(app, 'GET', listUrl, { token: viewer.access }), 403);
    assertError(await call(app, 'GET', listUrl, { token: stranger.access }), 404);
    assertError(await call(app, 'DELETE', revokeUrl, { token: viewer.access }), 403);
    assertError(await call(app, 'DELETE', revokeUrl, { token: stranger.access }), 404);

    assert.equal((await call(app, 'DELETE', revokeUrl, { token: editor.access })).status, 204);
    assert.equal((await invitationRow(email, trip.id))[0]!.status, 'revoked');
    const logged = await db
      .select()
      .from(changes)
      .where(eq(changes.entityId, row!.id))
      .orderBy(changes.txid, changes.seq);
    assert.deepEqual(
      logged.map((c) => `${c.op}:${c.fields.join(',')}`),
      ['insert:email,role,message,status,expires_at', 'update:status'],
    );
    assert.equal((await call(app, 'DELETE', revokeUrl, { token: owner.access })).status, 204, 'idempotent');

    assert.equal((await lookup(token)).body.status, 'revoked');
    assertError(await decline(token), 400, 'invitation_revoked');
    const guest = await createUser(app, { email });
    assertError(await accept(token, guest), 400, 'invitation_revoked');
    assert.equal(await roleOf(trip.id, guest.id), null);
  });

  it('declined: anyone with the token can decline; accept is then refused', async () => {
    const owner = await createUser(app);
    const trip = await createTrip(owner);
    const email = uniqueEmail('nope');
    const token = await inviteAndGetToken(trip, owner, email);
    const response = await decline(token);
    assert.equal(response.status, 200, response.text);
    const [row] = await invitationRow(email, trip.id);
    assert.equal(row!.status, 'declined');
    assert.ok(row!.respondedAt);
    const update = (await db.select().from(changes).where(eq(changes.entityId, row!.id))).find(
      (c) => c.op === 'update',
    );
    assert.equal(update?.tripId, trip.id);
    assertError(await decline(token), 400, 'invitation_declined');

    const guest = await createUser(app, { email });
    assertError(await accept(token, guest), 400, 'invitation_declined');
    assert.equal(await roleOf(trip.id, guest.id), null);
    const revoke = await call(app, 'DELETE', `/api/v1/trips/${trip.id}/invitations/${row!.id}/`, {
      token: owner.access,
    });
    assertError(revoke, 400, 'invitation_not_pending');
  });

  it('accepted, then left: the old token does not let the user back in', async () => {
    const owner = await createUser(app);
    const trip = await createTrip(owner);
    const user = await createUser(app);
    const { token } = await seedInvitation(trip.id, user.email, owner.id);
    assert.equal((await accept(token, user)).status, 200);
    const left = await call(app, 'DELETE', `/api/v1/trips/${trip.id}/collaborators/${user.id}/`, {
      token: user.access,
    });
    assert.equal(left.status, 204);
    assertError(await accept(token, user), 400, 'invitation_accepted');
    assert.equal(await roleOf(trip.id, user.id), null);
  });

  it('accept needs the invited account: 401 without a token, 403 for someone else, 404 unknown', async () => {
    const [owner, invited, other] = await Promise.all([createUser(app), createUser(app), createUser(app)]);
    const trip = await createTrip(owner);
    const { token, row } = await seedInvitation(trip.id, invited.email, owner.id);
    assertError(await accept(token), 401, 'not_authenticated');
    assertError(await accept(token, other), 403, 'permission_denied');
    assert.equal(await roleOf(trip.id, other.id), null);
    assertError(await accept(randomBytes(32).toString('base64url'), invited), 404, 'not_found');
    assertError(await accept('short', invited), 404);
    assertError(await lookup(randomBytes(32).toString('base64url')), 404);
    // The id works in place of the token only for the invitee.
    assertError(await accept(row.id, other), 404);
    assertError(await lookup(row.id), 404);
    assert.equal((await invitationRow(invited.email, trip.id))[0]!.status, 'pending');
  });
});

describe('inviting an existing user', () => {
  it('adds them at once (201 collaborator) and emails a notice; a second invite is a 400', async () => {
    const [owner, friend] = await Promise.all([createUser(app), createUser(app)]);
    const trip = await createTrip(owner, 'Sicily road trip');
    const response = await invite(trip, owner, { email: friend.email.toUpperCase(), role: 'editor' });
    assert.equal(response.status, 201, response.text);
    assert.equal(response.body.user.id, friend.id);
    assert.equal(response.body.role, 'editor');
    assert.equal(response.body.invited_by, owner.id);
    assert.equal(await roleOf(trip.id, friend.id), 'editor');
    assert.equal((await invitationRow(friend.email, trip.id)).length, 0, 'no invitation record');
    const logged = await db.select().from(changes).where(eq(changes.entityId, response.body.id));
    assert.deepEqual(
      logged.map((c) => [c.entity, c.op, c.tripId]),
      [['collaborator', 'insert', trip.id]],
    );

    const mail = await waitForMail(friend.email);
    assert.match(mail.headers.subject!, /Sicily road trip/);
    assert.match(mail.text, new RegExp(`/api/v1/trips/${trip.id}/`));

    const again = await invite(trip, owner, { email: friend.email });
    assert.ok(assertError(again, 400, 'validation_error').details.email);
  });
});

describe('my invitations', () => {
  it('lists open invitations for my email; the id accepts them for me only', async () => {
    const [owner, me, other] = await Promise.all([
      createUser(app, { first_name: 'Tom' }),
      createUser(app),
      createUser(app),
    ]);
    const [open, stale, gone] = await Promise.all(['Open', 'Stale', 'Gone'].map((t) => createTrip(owner, t)));
    const { row } = await seedInvitation(open!.id, me.email.toUpperCase(), owner.id, { role: 'viewer' });
    await seedInvitation(stale!.id, me.email, owner.id, { expiresAt: new Date(Date.now() - 1000) });
    await seedInvitation(gone!.id, me.email, owner.id, { status: 'revoked' });

    const mine = await call(app, 'GET', '/api/v1/users/me/invitations/', { token: me.access });
    assert.equal(mine.status, 200, mine.text);
    assert.equal(mine.body.count, 1);
    const [item] = mine.body.results;
    assert.equal(item.id, row.id);
    assert.equal(item.trip, open!.id);
    assert.equal(item.trip_title, 'Open');
    assert.equal(item.invited_by_user.id, owner.id);
    assert.equal(item.status, 'pending');
    assert.equal(
      (await call(app, 'GET', '/api/v1/users/me/invitations/', { token: other.access })).body.count,
      0,
    );
    assertError(await call(app, 'GET', '/api/v1/users/me/invitations/'), 401);

    assertError(await accept(row.id, other), 404);
    const accepted = await accept(row.id, me);
    assert.equal(accepted.status, 200, accepted.text);
    assert.equal(accepted.body.collaborator.role, 'viewer');
    assert.equal(
      (await call(app, 'GET', '/api/v1/users/me/invitations/', { token: me.access })).body.count,
      0,
    );
  });
});

describe('email delivery', () => {
  // These tests drive their own senders; the background one would race them for rows.
  before(() => sender.stop());

  /** An outbox row due long ago, so it is first in line for the sender under test. */
  async function seedEmail(to: string) {
    const [row] = await db
      .insert(emailOutbox)
      .values({ to, subject: 'Hello', text: `Hi ${to}`, nextAttemptAt: new Date('2000-01-01T00:00:00Z') })
      .returning();
    return row!;
  }
  const outboxRow = async (id: string) =>
    (await db.select().from(emailOutbox).where(eq(emailOutbox.id, id)))[0]!;
  const hoursFromNow = (hours: number) => () => new Date(Date.now() + hours * 3_600_000);

  it('without EMAIL_HOST, messages become .eml files under DATA_DIR/outbox', async () => {
    const config = testConfig();
    assert.equal(config.email.host, null);
    const mailer = createMailer(config, app.ctx.logger);
    assert.ok(mailer instanceof FileMailer);
    assert.equal(mailer.dir, path.join(testDataDir, 'outbox'));
    assert.ok(createMailer(testConfig(smtpEnv), app.ctx.logger) instanceof SmtpMailer);

    const to = uniqueEmail('file');
    const row = await seedEmail(to);
    const fileSender = createEmailSender({ ...app.ctx, config }, { recipients: MINE, batchSize: 500 });
    await fileSender.runOnce();
    assert.equal((await outboxRow(row.id)).status, 'sent');
    const files = fs.readdirSync(mailer.dir).filter((f) => f.endsWith('.eml'));
    const mine = files
      .map((f) => fs.readFileSync(path.join(mailer.dir, f), 'utf8'))
      .filter((text) => text.includes(`To: ${to}`));
    assert.equal(mine.length, 1);
    assert.match(mine[0]!, /Subject: Hello/);
    assert.ok(
      testApp.logs.some((l) => typeof l.path === 'string' && String(l.path).endsWith('.eml')),
      'path logged',
    );
  });

  it('SMTP down: the row stays pending with attempts and last_error; a later run sends it', async () => {
    const to = uniqueEmail('retry');
    const row = await seedEmail(to);
    const down = testConfig({ ...smtpEnv, EMAIL_PORT: String(await closedPort()) });
    const failing = createEmailSender({ ...app.ctx, config: down }, { recipients: MINE, batchSize: 500 });
    await failing.runOnce();
    const failed = await outboxRow(row.id);
    assert.equal(failed.status, 'pending');
    assert.equal(failed.attempts, 1);
    assert.ok(failed.lastError && failed.lastError.length > 0);
    assert.ok(failed.nextAttemptAt.getTime() > Date.now() + 20_000, 'retry is backed off');
    // Not due yet: an immediate second pass leaves it alone.
    await failing.runOnce();
    assert.equal((await outboxRow(row.id)).attempts, 1);

    const working = createEmailSender(app.ctx, { recipients: MINE, batchSize: 500, clock: hoursFromNow(2) });
    await working.runOnce();
    const sent = await outboxRow(row.id);
    assert.equal(sent.status, 'sent');
    assert.equal(sent.attempts, 2);
    assert.ok(sent.sentAt);
    assert.equal(sent.lastError, null);
    assert.match((await waitForMail(to)).text, new RegExp(`Hi ${to}`));
  });

  it('gives up after maxAttempts: status failed, logged', async () => {
    const row = await seedEmail(uniqueEmail('doomed'));
    const down = testConfig({ ...smtpEnv, EMAIL_PORT: String(await closedPort()) });
    const ctx = { ...app.ctx, config: down };
    await createEmailSender(ctx, { recipients: MINE, batchSize: 500, maxAttempts: 2 }).runOnce();
    assert.equal((await outboxRow(row.id)).status, 'pending');
    await createEmailSender(ctx, {
      recipients: MINE,
      batchSize: 500,
      maxAttempts: 2,
      clock: hoursFromNow(2),
    }).runOnce();
    const failed = await outboxRow(row.id);
    assert.equal(failed.status, 'failed');
    assert.equal(failed.attempts, 2);
    assert.ok(testApp.logs.some((l) => l.emailId === row.id && l.level === 'error'));
  });

  it('a send that hangs times out and is retried later', async () => {
    const row = await seedEmail(uniqueEmail('hang'));
    const mailer = { send: () => new Promise<void>(() => undefined) };
    await createEmailSender(app.ctx, {
      recipients: MINE,
      mailer,
      batchSize: 500,
      sendTimeoutMs: 50,
    }).runOnce();
    const after = await outboxRow(row.id);
    assert.equal(after.status, 'pending');
    assert.equal(after.attempts, 1);
    assert.match(after.lastError ?? '', /timed out/);
  });

  it('two senders draining at once send every message exactly once', async () => {
    const recipients = Array.from({ length: 12 }, () => uniqueEmail('once'));
    for (const to of recipients) await seedEmail(to);
    const deliveries: string[] = [];
    const mailer = {
      async send(message: MailMessage) {
        await new Promise((resolve) => setTimeout(resolve, 5));
        deliveries.push(message.to);
      },
    };
    const drain = async () => {
      const s = createEmailSender(app.ctx, { recipients: MINE, mailer, batchSize: 3 });
      while ((await s.runOnce()) > 0);
    };
    await Promise.all([drain(), drain()]);
    for (const to of recipients) assert.equal(deliveries.filter((d) => d === to).length, 1, to);
  });
});
