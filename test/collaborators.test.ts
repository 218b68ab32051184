import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { and, eq, sql } from 'drizzle-orm';
import { changes, emailOutbox, invitations, tripMembers } from '../src/db/schema/index.ts';
import { buildTestApp, call, type Response } from './helpers/app.ts';
import { countQueries, testDatabase } from './helpers/database.ts';
import { createUser, type TestUser } from './helpers/factories.ts';

const { app } = await buildTestApp();
const { db } = await testDatabase();

type Role = 'owner' | 'editor' | 'viewer';

async function createTrip(owner: TestUser, title = 'Lofoten') {
  const response = await call(app, 'POST', '/api/v1/trips/', { token: owner.access, body: { title } });
  assert.equal(response.status, 201, response.text);
  return response.body as { id: string; title: string };
}

const members = (tripId: string) => `/api/v1/trips/${tripId}/collaborators/`;
const member = (tripId: string, userId: string) => `/api/v1/trips/${tripId}/collaborators/${userId}/`;

/** Adds `user` through the API as `by` (an owner by default). */
async function add(tripId: string, by: TestUser, user: TestUser, role: Role) {
  const response = await call(app, 'POST', member(tripId, user.id), { token: by.access, body: { role } });
  assert.equal(response.status, 201, response.text);
  return response.body;
}

/** A trip with an owner, an editor and a viewer. */
async function tripWithTeam() {
  const [owner, editor, viewer, stranger] = await Promise.all([
    createUser(app, { first_name: 'Olga', last_name: 'Owner' }),
    createUser(app),
    createUser(app),
    createUser(app),
  ]);
  const trip = await createTrip(owner);
  await add(trip.id, owner, editor, 'editor');
  await add(trip.id, owner, viewer, 'viewer');
  return { trip, owner, editor, viewer, stranger };
}

const roleOf = async (tripId: string, userId: string) =>
  (
    await db
      .select({ role: tripMembers.role })
      .from(tripMembers)
      .where(and(eq(tripMembers.tripId, tripId), eq(tripMembers.userId, userId)))
  )[0]?.role ?? null;

const changesOf = (tripId: string) =>
  db
    .select()
    .from(changes)
    .where(and(eq(changes.tripId, tripId), eq(changes.entity, 'collaborator')));

function assertError(response: Response<any>, status: number, type?: string) {
  assert.equal(response.status, status, `expected ${status}, got ${response.status}: ${response.text}`);
  assert.equal(response.body.error.code, status);
  if (type) assert.equal(response.body.error.type, type);
  return response.body.error;
}

describe('list collaborators', () => {
  it('any member sees every collaborator with user, role and inviter', async () => {
    const { trip, owner, editor, viewer } = await tripWithTeam();
    const response = await call(app, 'GET', members(trip.id), { token: viewer.access });
    assert.equal(response.status, 200);
    const list = response.body as any[];
    assert.deepEqual(
      list.map((c) => [c.user.id, c.role]),
      [
        [owner.id, 'owner'],
        [editor.id, 'editor'],
        [viewer.id, 'viewer'],
      ],
    );
    const editorRow = list[1];
    assert.deepEqual(Object.keys(editorRow).sort(), [
      'id',
      'invited_by',
      'invited_by_user',
      'joined_at',
      'role',
      'user',
      'version',
    ]);
    assert.equal(editorRow.invited_by, owner.id);
    assert.equal(editorRow.invited_by_user.full_name, 'Olga Owner');
    assert.equal(editorRow.user.email, editor.email);
    assert.equal('password_hash' in editorRow.user, false);
  });

  it('a stranger gets 404, no token 401, a malformed id 404', async () => {
    const { trip, stranger } = await tripWithTeam();
    assertError(await call(app, 'GET', members(trip.id), { token: stranger.access }), 404, 'not_found');
    assertError(await call(app, 'GET', members(trip.id)), 401);
    assertError(await call(app, 'GET', members('not-a-uuid'), { token: stranger.access }), 404);
  });

  it('runs the same number of statements for 3 and 8 members', async () => {
    const small = await tripWithTeam();
    const big = await tripWithTeam();
    for (const extra of await Promise.all(Array.from({ length: 5 }, () => createUser(app))))
      await add(big.trip.id, big.owner, extra, 'viewer');
    const a = await countQueries(() =>
      call(app, 'GET', members(small.trip.id), { token: small.owner.access }),
    );
    const b = await countQueries(() => call(app, 'GET', members(big.trip.id), { token: big.owner.access }));
    assert.equal(a.result.body.length, 3);
    assert.equal(b.result.body.length, 8);
    // A background email sender polling the same database is not part of the request.
    const own = (statements: string[]) => statements.filter((q) => !q.includes('email_outbox')).length;
    assert.equal(own(a.statements), own(b.statements));
    assert.ok(own(a.statements) <= 4, `${own(a.statements)} statements`);
  });
});

describe('add a collaborator directly', () => {
  it('owner adds a user: 201 collaborator, change recorded, notice email queued', async () => {
    const [owner, guest] = await Promise.all([createUser(app), createUser(app)]);
    const trip = await createTrip(owner, 'Kyoto spring');
    const response = await call(app, 'POST', member(trip.id, guest.id), {
      token: owner.access,
      body: { role: 'editor' },
    });
    assert.equal(response.status, 201, response.text);
    assert.equal(response.body.user.id, guest.id);
    assert.equal(response.body.role, 'editor');
    assert.equal(response.body.invited_by, owner.id);
    assert.equal(response.body.version, 1);
    assert.equal(response.headers.etag, '"1"');
    assert.equal(await roleOf(trip.id, guest.id), 'editor');
    const logged = await changesOf(trip.id);
    const insert = logged.find((c) => c.entityId === response.body.id);
    assert.ok(insert, 'collaborator change recorded');
    assert.equal(insert.op, 'insert');
    assert.equal(insert.actorId, owner.id);
    const mail = await db.select().from(emailOutbox).where(eq(emailOutbox.to, guest.email));
    assert.equal(mail.length, 1);
    assert.match(mail[0]!.subject, /Kyoto spring/);
    assert.match(mail[0]!.text, new RegExp(`/api/v1/trips/${trip.id}/`));
  });

  it('role defaults to viewer; an editor may add editors and viewers', async () => {
    const { trip, editor } = await tripWithTeam();
    const [a, b] = await Promise.all([createUser(app), createUser(app)]);
    const first = await call(app, 'POST', member(trip.id, a.id), { token: editor.access });
    assert.equal(first.status, 201, first.text);
    assert.equal(first.body.role, 'viewer');
    assert.equal((await add(trip.id, editor, b, 'editor')).role, 'editor');
  });

  it('an editor cannot grant owner (403) and nothing is written', async () => {
    const { trip, editor } = await tripWithTeam();
    const guest = await createUser(app);
    const before = (await changesOf(trip.id)).length;
    const response = await call(app, 'POST', member(trip.id, guest.id), {
      token: editor.access,
      body: { role: 'owner' },
    });
    assertError(response, 403, 'permission_denied');
    assert.equal(await roleOf(trip.id, guest.id), null);
    assert.equal((await changesOf(trip.id)).length, before);
  });

  it('an owner may grant owner', async () => {
    const { trip, owner } = await tripWithTeam();
    const guest = await createUser(app);
    assert.equal((await add(trip.id, owner, guest, 'owner')).role, 'owner');
  });

  it('role strings are validated: 400 on role, nothing written', async () => {
    const { trip, owner } = await tripWithTeam();
    const guest = await createUser(app);
    const before = (await changesOf(trip.id)).length;
    for (const role of ['superuser', 'OWNER', '', 7]) {
      const response = await call(app, 'POST', member(trip.id, guest.id), {
        token: owner.access,
        body: { role },
      });
      const error = assertError(response, 400, 'validation_error');
      assert.ok(error.details.role, `role problem listed for ${JSON.stringify(role)}`);
    }
    assert.equal(await roleOf(trip.id, guest.id), null);
    assert.equal((await changesOf(trip.id)).length, before);
    const mail = await db.select().from(emailOutbox).where(eq(emailOutbox.to, guest.email));
    assert.equal(mail.length, 0);
  });

  it('already a member is a 400 on user_id; an unknown user is a 404', async () => {
    const { trip, owner, viewer } = await tripWithTeam();
    const again = await call(app, 'POST', member(trip.id, viewer.id), {
      token: owner.access,
      body: { role: 'editor' },
    });
    assert.ok(assertError(again, 400, 'validation_error').details.user_id);
    assert.equal(await roleOf(trip.id, viewer.id), 'viewer', 'role unchanged');
    assertError(
      await call(app, 'POST', member(trip.id, randomUUID()), { token: owner.access, body: {} }),
      404,
      'not_found',
    );
  });

  it('a viewer gets 403, a stranger 404', async () => {
    const { trip, viewer, stranger } = await tripWithTeam();
    const guest = await createUser(app);
    assertError(await call(app, 'POST', member(trip.id, guest.id), { token: viewer.access, body: {} }), 403);
    assertError(
      await call(app, 'POST', member(trip.id, guest.id), { token: stranger.access, body: {} }),
      404,
    );
    assert.equal(await roleOf(trip.id, guest.id), null);
  });
});

describe('invite permissions', () => {
  it('a viewer cannot invite (403); an editor cannot invite as owner (403); nothing written', async () => {
    const { trip, editor, viewer } = await tripWithTeam();
    const email = `nobody-${randomUUID().slice(0, 8)}@example.test`;
    const url = `/api/v1/trips/${trip.id}/invite/`;
    assertError(await call(app, 'POST', url, { token: viewer.access, body: { email } }), 403);
    assertError(
      await call(app, 'POST', url, { token: editor.access, body: { email, role: 'owner' } }),
      403,
      'permission_denied',
    );
    const stored = await db
      .select()
      .from(invitations)
      .where(sql`lower(${invitations.email}) = ${email}`);
    assert.equal(stored.length, 0);
  });

  it('an invite role is validated (400 on role)', async () => {
    const { trip, owner } = await tripWithTeam();
    const response = await call(app, 'POST', `/api/v1/trips/${trip.id}/invite/`, {
      token: owner.access,
      body: { email: 'x@example.test', role: 'admin' },
    });
    assert.ok(assertError(response, 400, 'validation_error').details.role);
  });
});

describe('change a role', () => {
  it('the owner promotes a viewer: 200, version bumped, change recorded', async () => {
    const { trip, owner, viewer } = await tripWithTeam();
    const response = await call(app, 'PATCH', member(trip.id, viewer.id), {
      token: owner.access,
      body: { role: 'editor' },
    });
    assert.equal(response.status, 200, response.text);
    assert.equal(response.body.role, 'editor');
    assert.equal(response.body.version, 2);
    assert.equal(response.headers.etag, '"2"');
    assert.equal(await roleOf(trip.id, viewer.id), 'editor');
    const update = (await changesOf(trip.id)).find((c) => c.op === 'update');
    assert.ok(update);
    assert.deepEqual(update.fields, ['role']);
    assert.equal(update.version, 2);
  });

  it('only the owner changes roles: editor and viewer 403, stranger 404', async () => {
    const { trip, editor, viewer, stranger } = await tripWithTeam();
    for (const caller of [editor, viewer])
      assertError(
        await call(app, 'PATCH', member(trip.id, viewer.id), {
          token: caller.access,
          body: { role: 'editor' },
        }),
        403,
      );
    assertError(
      await call(app, 'PATCH', member(trip.id, viewer.id), {
        token: stranger.access,
        body: { role: 'editor' },
      }),
      404,
    );
    assert.equal(await roleOf(trip.id, viewer.id), 'viewer');
  });

  it('an invalid role is a 400 and nothing changes', async () => {
    const { trip, owner, viewer } = await tripWithTeam();
    for (const body of [{ role: 'god' }, {}]) {
      const response = await call(app, 'PATCH', member(trip.id, viewer.id), { token: owner.access, body });
      assert.ok(assertError(response, 400, 'validation_error').details.role);
    }
    assert.equal(await roleOf(trip.id, viewer.id), 'viewer');
    assert.equal((await changesOf(trip.id)).filter((c) => c.op === 'update').length, 0);
  });

  it('the last owner cannot be demoted; with a second owner they can', async () => {
    const { trip, owner, editor } = await tripWithTeam();
    const demote = await call(app, 'PATCH', member(trip.id, owner.id), {
      token: owner.access,
      body: { role: 'editor' },
    });
    assert.ok(assertError(demote, 400, 'last_owner').details.role);
    assert.equal(await roleOf(trip.id, owner.id), 'owner');

    await call(app, 'PATCH', member(trip.id, editor.id), { token: owner.access, body: { role: 'owner' } });
    const again = await call(app, 'PATCH', member(trip.id, owner.id), {
      token: owner.access,
      body: { role: 'viewer' },
    });
    assert.equal(again.status, 200, again.text);
    assert.equal(await roleOf(trip.id, owner.id), 'viewer');
  });

  it('If-Match: a stale version is a 412 with the current collaborator', async () => {
    const { trip, owner, viewer } = await tripWithTeam();
    const response = await call(app, 'PATCH', member(trip.id, viewer.id), {
      token: owner.access,
      body: { role: 'editor' },
      headers: { 'if-match': '"7"' },
    });
    const error = assertError(response, 412, 'precondition_failed');
    assert.equal(error.details.current.role, 'viewer');
    assert.equal(error.details.current.version, 1);
  });

  it('an unknown member is a 404', async () => {
    const { trip, owner, stranger } = await tripWithTeam();
    assertError(
      await call(app, 'PATCH', member(trip.id, stranger.id), {
        token: owner.access,
        body: { role: 'editor' },
      }),
      404,
    );
  });
});

describe('remove a collaborator or leave', () => {
  it('the owner removes a member: 204, row gone, delete change recorded', async () => {
    const { trip, owner, editor } = await tripWithTeam();
    const response = await call(app, 'DELETE', member(trip.id, editor.id), { token: owner.access });
    assert.equal(response.status, 204, response.text);
    assert.equal(await roleOf(trip.id, editor.id), null);
    const deleted = (await changesOf(trip.id)).find((c) => c.op === 'delete');
    assert.ok(deleted);
    assert.equal(deleted.actorId, owner.id);
    // The removed member no longer sees the trip.
    assertError(await call(app, 'GET', members(trip.id), { token: editor.access }), 404);
  });

  it('an editor cannot remove others (403); a stranger gets 404', async () => {
    const { trip, editor, viewer, stranger } = await tripWithTeam();
    assertError(await call(app, 'DELETE', member(trip.id, viewer.id), { token: editor.access }), 403);
    assertError(await call(app, 'DELETE', member(trip.id, viewer.id), { token: stranger.access }), 404);
    assert.equal(await roleOf(trip.id, viewer.id), 'viewer');
  });

  it('any member can leave', async () => {
    const { trip, editor, viewer } = await tripWithTeam();
    for (const user of [viewer, editor]) {
      const response = await call(app, 'DELETE', member(trip.id, user.id), { token: user.access });
      assert.equal(response.status, 204, response.text);
      assert.equal(await roleOf(trip.id, user.id), null);
    }
    assert.equal((await changesOf(trip.id)).filter((c) => c.op === 'delete').length, 2);
  });

  it('the last owner can neither leave nor be removed; a co-owner can remove the other', async () => {
    const { trip, owner, editor } = await tripWithTeam();
    assertError(
      await call(app, 'DELETE', member(trip.id, owner.id), { token: owner.access }),
      400,
      'last_owner',
    );
    assert.equal(await roleOf(trip.id, owner.id), 'owner');

    await call(app, 'PATCH', member(trip.id, editor.id), { token: owner.access, body: { role: 'owner' } });
    const removed = await call(app, 'DELETE', member(trip.id, owner.id), { token: editor.access });
    assert.equal(removed.status, 204, removed.text);
    assertError(
      await call(app, 'DELETE', member(trip.id, editor.id), { token: editor.access }),
      400,
      'last_owner',
    );
    assert.equal(await roleOf(trip.id, editor.id), 'owner');
  });

  it('two owners leaving at the same time: exactly one succeeds', async () => {
    const { trip, owner, editor } = await tripWithTeam();
    await call(app, 'PATCH', member(trip.id, editor.id), { token: owner.access, body: { role: 'owner' } });
    const results = await Promise.all([
      call(app, 'DELETE', member(trip.id, owner.id), { token: owner.access }),
      call(app, 'DELETE', member(trip.id, editor.id), { token: editor.access }),
    ]);
    assert.deepEqual(results.map((r) => r.status).sort(), [204, 400]);
    const owners = await db
      .select()
      .from(tripMembers)
      .where(and(eq(tripMembers.tripId, trip.id), eq(tripMembers.role, 'owner')));
    assert.equal(owners.length, 1);
  });

  it('removing a non-member is a 404', async () => {
    const { trip, owner, stranger } = await tripWithTeam();
    assertError(await call(app, 'DELETE', member(trip.id, stranger.id), { token: owner.access }), 404);
  });
});
