import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { and, eq, sql } from 'drizzle-orm';
import {
  changes,
  chatRooms,
  itineraries,
  memberCounts,
  tripMembers,
  trips,
  users,
} from '../src/db/schema/index.ts';
import { buildTestApp, call } from './helpers/app.ts';
import { testDatabase } from './helpers/database.ts';
import { createUser, GOOD_PASSWORD, type TestUser } from './helpers/factories.ts';

const { app } = await buildTestApp();
const { db } = await testDatabase();

async function createTrip(user: TestUser, body: Record<string, unknown> = {}) {
  const response = await call(app, 'POST', '/api/v1/trips/', {
    token: user.access,
    body: { title: 'Porto weekend', ...body },
  });
  assert.equal(response.status, 201, response.text);
  return response.body;
}

/** Adds a member straight in the database (the collaborator endpoints have their own tests). */
async function addMember(tripId: string, user: TestUser, role: 'owner' | 'editor' | 'viewer') {
  await db.insert(tripMembers).values({ tripId, userId: user.id, role });
}

const tripCount = async (userId: string) =>
  (await db.select().from(trips).where(eq(trips.creatorId, userId))).length;

describe('create trip', () => {
  it('201 with the full object; creator is owner; a chat room exists; changes recorded', async () => {
    const user = await createUser(app);
    const response = await call(app, 'POST', '/api/v1/trips/', {
      token: user.access,
      body: {
        title: '  Lisbon  ',
        description: 'Food',
        start_date: '2026-05-01',
        end_date: '2026-05-07T12:00:00Z',
        status: 'planned',
      },
    });
    assert.equal(response.status, 201);
    const trip = response.body;
    assert.equal(trip.title, 'Lisbon');
    assert.equal(trip.start_date, '2026-05-01');
    assert.equal(trip.end_date, '2026-05-07', 'the date part of a datetime is used');
    assert.equal(trip.status, 'planned');
    assert.equal(trip.visibility, 'private');
    assert.equal(trip.user_role, 'owner');
    assert.equal(trip.version, 1);
    assert.equal(trip.creator.id, user.id);
    assert.equal(trip.collaborator_count, 1);
    assert.equal(trip.collaborators[0].user.id, user.id);
    assert.equal(trip.collaborators[0].role, 'owner');
    assert.ok(trip.permissions.includes('trip.delete'));
    assert.equal(response.headers.etag, '"1"');
    assert.equal((await db.select().from(chatRooms).where(eq(chatRooms.tripId, trip.id))).length, 1);
    const logged = await db.select().from(changes).where(eq(changes.tripId, trip.id));
    assert.deepEqual(logged.map((c) => [c.entity, c.op, c.version, c.actorId]).sort(), [
      ['collaborator', 'insert', 1, user.id],
      ['trip', 'insert', 1, user.id],
    ]);
  });

  it('field errors for every bad input, and nothing written', async () => {
    const user = await createUser(app);
    const cases: [Record<string, unknown>, string][] = [
      [{}, 'title'],
      [{ title: '' }, 'title'],
      [{ title: '   ' }, 'title'],
      [{ title: 'x'.repeat(201) }, 'title'],
      [{ title: 'T', start_date: '2026-05-07', end_date: '2026-05-01' }, 'end_date'],
      [{ title: 'T', start_date: '2026-02-30' }, 'start_date'],
      [{ title: 'T', start_date: 'tomorrow' }, 'start_date'],
      [{ title: 'T', status: 'dreaming' }, 'status'],
      [{ title: 'T', visibility: 'everyone' }, 'visibility'],
      [{ title: 42 }, 'title'],
      [{ title: 'T', id: 'not-a-uuid' }, 'id'],
    ];
    for (const [body, field] of cases) {
      const response = await call(app, 'POST', '/api/v1/trips/', { token: user.access, body });
      assert.equal(response.status, 400, JSON.stringify(body));
      assert.ok(
        response.body.error.details[field],
        `${JSON.stringify(body)} → details.${field}: ${response.text}`,
      );
    }
    assert.equal(await tripCount(user.id), 0);
  });

  it('a retry with the same client id returns the first result and writes nothing more', async () => {
    const user = await createUser(app);
    const id = randomUUID();
    const first = await createTrip(user, { id, title: 'Offline trip' });
    const again = await call(app, 'POST', '/api/v1/trips/', {
      token: user.access,
      body: { id, title: 'Offline trip' },
    });
    assert.equal(again.status, 201);
    assert.equal(again.body.id, first.id);
    assert.equal(again.headers['idempotent-replayed'], 'true');
    assert.equal(await tripCount(user.id), 1);
    // Someone else's id is a conflict, not a takeover.
    const other = await createUser(app);
    const clash = await call(app, 'POST', '/api/v1/trips/', {
      token: other.access,
      body: { id, title: 'Mine' },
    });
    assert.equal(clash.status, 409);
  });

  it('Idempotency-Key: retries replay; concurrent duplicates create one trip; reuse for another body is 422', async () => {
    const user = await createUser(app);
    const headers = { 'idempotency-key': `key-${randomUUID()}` };
    const results = await Promise.all(
      Array.from({ length: 5 }, () =>
        call(app, 'POST', '/api/v1/trips/', { token: user.access, headers, body: { title: 'Once' } }),
      ),
    );
    assert.deepEqual(
      results.map((r) => r.status),
      [201, 201, 201, 201, 201],
    );
    assert.equal(new Set(results.map((r) => r.body.id)).size, 1);
    assert.equal(await tripCount(user.id), 1);
    const other = await call(app, 'POST', '/api/v1/trips/', {
      token: user.access,
      headers,
      body: { title: 'Different' },
    });
    assert.equal(other.status, 422);
    assert.equal(other.body.error.type, 'idempotency_key_reused');
  });
});

describe('list trips', () => {
  it('lists only my trips with filters, search, ordering and absolute page links', async () => {
    const me = await createUser(app);
    const stranger = await createUser(app);
    await createTrip(stranger, { title: 'Not mine' });
    for (const [title, status, start] of [
      ['Alps hike', 'planned', '2026-07-01'],
      ['Beach 100% fun_time', 'draft', '2026-06-01'],
      ['City break', 'planned', null],
    ] as const) {
      await createTrip(me, { title, status, start_date: start });
    }
    const all = await call(app, 'GET', '/api/v1/trips/', { token: me.access });
    assert.equal(all.status, 200);
    assert.equal(all.body.count, 3);
    assert.deepEqual(
      all.body.results.map((t: any) => t.title),
      ['City break', 'Beach 100% fun_time', 'Alps hike'],
    );

    const planned = await call(app, 'GET', '/api/v1/trips/?status=planned&ordering=title', {
      token: me.access,
    });
    assert.deepEqual(
      planned.body.results.map((t: any) => t.title),
      ['Alps hike', 'City break'],
    );
    const search = await call(app, 'GET', '/api/v1/trips/?search=100%25', { token: me.access });
    assert.deepEqual(
      search.body.results.map((t: any) => t.title),
      ['Beach 100% fun_time'],
    );
    const byStart = await call(app, 'GET', '/api/v1/trips/?ordering=start_date', { token: me.access });
    assert.deepEqual(
      byStart.body.results.map((t: any) => t.title),
      ['Beach 100% fun_time', 'Alps hike', 'City break'],
    );

    const page1 = await call(app, 'GET', '/api/v1/trips/?page_size=2&ordering=title', {
      token: me.access,
      headers: { host: 'api.example.test' },
    });
    assert.equal(page1.body.count, 3);
    assert.equal(page1.body.results.length, 2);
    assert.equal(page1.body.previous, null);
    assert.equal(page1.body.next, 'http://api.example.test/api/v1/trips/?page_size=2&ordering=title&page=2');
    const page2 = await call(app, 'GET', '/api/v1/trips/?page_size=2&ordering=title&page=2', {
      token: me.access,
    });
    assert.deepEqual(
      page2.body.results.map((t: any) => t.title),
      ['City break'],
    );
    assert.equal(page2.body.next, null);
    assert.match(page2.body.previous, /page=1/);
  });

  it('orders by when the trip was created, not when I joined it, and follows a corrected created_at', async () => {
    // The list's creation order reads the membership's copy of the trip's created_at
    // (migrations/0007): a later join, and a hand-corrected trip, must sort by the trip.
    const me = await createUser(app);
    const friend = await createUser(app);
    const older = await createTrip(me, { title: 'Older' });
    const theirs = await createTrip(friend, { title: 'Theirs' });
    await createTrip(me, { title: 'Newer' });
    await addMember(theirs.id, me, 'viewer'); // joined last, created second
    const titles = async (query = '') => {
      const response = await call(app, 'GET', `/api/v1/trips/${query}`, { token: me.access });
      assert.equal(response.status, 200, response.text);
      return response.body.results.map((t: { title: string }) => t.title);
    };
    assert.deepEqual(await titles(), ['Newer', 'Theirs', 'Older']);
    assert.deepEqual(await titles('?ordering=created_at'), ['Older', 'Theirs', 'Newer']);
    assert.deepEqual(await titles('?ordering=-created_at&page_size=1&page=2'), ['Theirs']);

    await db
      .update(trips)
      .set({ createdAt: new Date(Date.now() + 86_400_000) })
      .where(eq(trips.id, older.id));
    assert.deepEqual(await titles(), ['Older', 'Newer', 'Theirs']);
    const copies = await db
      .select({ copy: tripMembers.tripCreatedAt, trip: trips.createdAt })
      .from(tripMembers)
      .innerJoin(trips, eq(trips.id, tripMembers.tripId))
      .where(eq(tripMembers.userId, me.id));
    assert.equal(copies.length, 3);
    for (const { copy, trip } of copies) assert.equal(copy.getTime(), trip.getTime());
  });

  it('a repeated list answers the trips as they are now: edits, people, joins, leaves and counts', async () => {
    // The plain list keeps its serialized page and checks it against a fingerprint of the rows on
    // every read (http/response-cache.ts): each change below must show in the very next read.
    const me = await createUser(app);
    const friend = await createUser(app);
    const first = await createTrip(me, { title: 'First' });
    await createTrip(me, { title: 'Second' });
    await addMember(first.id, friend, 'viewer');
    const list = async (query = '') => {
      const response = await call(app, 'GET', `/api/v1/trips/${query}`, { token: me.access });
      assert.equal(response.status, 200, response.text);
      return response;
    };
    const before = await list();
    assert.equal((await list()).text, before.text, 'unchanged rows: the same answer');
    assert.equal(before.body.count, 2);
    const fullPage = await list('?page_size=1&page=2'); // a full page: the count comes from a count
    assert.equal(fullPage.body.count, 2);
    assert.equal(fullPage.body.results[0].title, 'First');

    const patched = await call(app, 'PATCH', `/api/v1/trips/${first.id}/`, {
      token: me.access,
      body: { title: 'First, renamed' },
    });
    assert.equal(patched.status, 200, patched.text);
    assert.deepEqual(
      (await list()).body.results.map((t: { title: string }) => t.title),
      ['Second', 'First, renamed'],
    );

    // A collaborator's profile (only the membership join names them).
    const renamed = await call(app, 'PATCH', '/api/v1/users/me/', {
      token: friend.access,
      body: { first_name: 'Renamed' },
    });
    assert.equal(renamed.status, 200, renamed.text);
    const people = (await list()).body.results[1].collaborators.map(
      (c: { user: { profile: { first_name: string } } }) => c.user.profile.first_name,
    );
    assert.ok(people.includes('Renamed'), JSON.stringify(people));

    // Joining someone else's trip: a new first row, and the full page's count moves.
    const oldestFirst = '?ordering=created_at&page_size=1'; // a full page the join leaves as it is
    assert.equal((await list(oldestFirst)).body.count, 2);
    const theirs = await createTrip(friend, { title: 'Theirs' });
    await addMember(theirs.id, me, 'editor');
    const joined = await list();
    assert.equal(joined.body.count, 3);
    assert.equal(joined.body.results[0].title, 'Theirs');
    assert.equal(joined.body.results[0].user_role, 'editor');
    const oldestAfter = await list(oldestFirst);
    assert.equal(oldestAfter.body.results[0].title, 'First, renamed');
    assert.equal(oldestAfter.body.count, 3, 'the same rows, another count');
    const fullAfter = await list('?page_size=1&page=2');
    assert.equal(fullAfter.body.count, 3);
    assert.equal(fullAfter.body.results[0].title, 'Second');
    assert.notEqual(fullAfter.body.next, null);

    // My role changed, then leaving: both show at once.
    await db
      .update(tripMembers)
      .set({ role: 'viewer' })
      .where(and(eq(tripMembers.tripId, theirs.id), eq(tripMembers.userId, me.id)));
    assert.equal((await list()).body.results[0].user_role, 'viewer');
    await db.delete(tripMembers).where(and(eq(tripMembers.tripId, theirs.id), eq(tripMembers.userId, me.id)));
    const left = await list();
    assert.equal(left.body.count, 2);
    assert.deepEqual(
      left.body.results.map((t: { title: string }) => t.title),
      ['Second', 'First, renamed'],
    );
  });

  it("keeps each user's membership count (the list's count) through joins, leaves and cascades", async () => {
    const owner = await createUser(app);
    const friend = await createUser(app);
    const created = [];
    for (const title of ['One', 'Two', 'Three']) created.push(await createTrip(owner, { title }));
    await addMember(created[0].id, friend, 'viewer');
    await addMember(created[1].id, friend, 'editor');
    await addMember(created[2].id, friend, 'editor');
    const kept = async (user: TestUser) =>
      (await db.select().from(memberCounts).where(eq(memberCounts.userId, user.id)))[0]?.trips ?? 0;
    const counted = async (user: TestUser) =>
      (await db.select().from(tripMembers).where(eq(tripMembers.userId, user.id))).length;
    const listed = async (user: TestUser) =>
      (await call(app, 'GET', '/api/v1/trips/?page_size=1', { token: user.access })).body.count;
    assert.deepEqual([await kept(owner), await kept(friend)], [3, 3]);
    assert.equal(await listed(friend), 3);

    // A leave, a deleted trip (its memberships go by cascade) and a moved membership.
    await db
      .delete(tripMembers)
      .where(and(eq(tripMembers.tripId, created[0].id), eq(tripMembers.userId, friend.id)));
    const deleted = await call(app, 'DELETE', `/api/v1/trips/${created[1].id}/`, { token: owner.access });
    assert.equal(deleted.status, 204, deleted.text);
    const other = await createUser(app);
    await db
      .update(tripMembers)
      .set({ userId: other.id })
      .where(and(eq(tripMembers.tripId, created[2].id), eq(tripMembers.userId, friend.id)));
    for (const user of [owner, friend, other]) assert.equal(await kept(user), await counted(user));
    assert.deepEqual([await kept(owner), await kept(friend), await kept(other)], [2, 0, 1]);
    assert.equal(await listed(owner), 2);
    assert.equal(await listed(friend), 0);

    // A deleted user's memberships go by cascade, and their count row with them.
    await db.delete(users).where(eq(users.id, other.id));
    assert.equal((await db.select().from(memberCounts).where(eq(memberCounts.userId, other.id))).length, 0);
    assert.equal(await kept(owner), await counted(owner));
  });

  it('rejects unknown ordering and status values; clamps page_size to 100', async () => {
    const me = await createUser(app);
    const bad = await call(app, 'GET', '/api/v1/trips/?ordering=price', { token: me.access });
    assert.equal(bad.status, 400);
    assert.ok(bad.body.error.details.ordering);
    assert.equal((await call(app, 'GET', '/api/v1/trips/?status=lost', { token: me.access })).status, 400);
    assert.equal((await call(app, 'GET', '/api/v1/trips/?page=0', { token: me.access })).status, 400);
    const big = await call(app, 'GET', '/api/v1/trips/?page_size=1000', { token: me.access });
    assert.equal(big.status, 200);
    assert.equal(big.body.next, null);
  });
});

describe('trip detail, update, delete', () => {
  it('members read with an ETag; strangers and bad ids get 404', async () => {
    const owner = await createUser(app);
    const viewer = await createUser(app);
    const stranger = await createUser(app);
    const trip = await createTrip(owner);
    await addMember(trip.id, viewer, 'viewer');
    const seen = await call(app, 'GET', `/api/v1/trips/${trip.id}/`, { token: viewer.access });
    assert.equal(seen.status, 200);
    assert.equal(seen.body.user_role, 'viewer');
    assert.equal(seen.body.collaborator_count, 2);
    assert.equal(seen.headers.etag, '"1"');
    assert.ok(!seen.body.permissions.includes('trip.update'));
    assert.equal(
      (await call(app, 'GET', `/api/v1/trips/${trip.id}/`, { token: stranger.access })).status,
      404,
    );
    assert.equal(
      (await call(app, 'GET', `/api/v1/trips/${randomUUID()}/`, { token: owner.access })).status,
      404,
    );
    assert.equal((await call(app, 'GET', '/api/v1/trips/not-a-uuid/', { token: owner.access })).status, 404);
  });

  it('a repeated read answers the trip as it is now: every kind of change shows at once', async () => {
    // Trip detail keeps its serialized answer and checks it against a fingerprint of the rows on
    // every read (http/response-cache.ts): each change below must show in the very next read.
    const owner = await createUser(app);
    const editor = await createUser(app);
    const trip = await createTrip(owner);
    await addMember(trip.id, editor, 'editor');
    const read = async (user: TestUser, headers: Record<string, string> = {}) => {
      const response = await call(app, 'GET', `/api/v1/trips/${trip.id}/`, { token: user.access, headers });
      assert.equal(response.status, 200, response.text);
      return response;
    };
    const first = await read(editor);
    const again = await read(editor);
    assert.equal(again.text, first.text, 'unchanged rows: the same answer');
    assert.equal(again.headers['content-type'], 'application/json; charset=utf-8');
    assert.equal(again.headers.etag, first.headers.etag);

    // The trip itself.
    const patched = await call(app, 'PATCH', `/api/v1/trips/${trip.id}/`, {
      token: owner.access,
      body: { title: 'Lisbon instead' },
    });
    assert.equal(patched.status, 200, patched.text);
    const afterTrip = await read(editor);
    assert.equal(afterTrip.body.title, 'Lisbon instead');
    assert.equal(afterTrip.headers.etag, '"2"');

    // A member's own profile (a users row, not the trip's).
    const renamed = await call(app, 'PATCH', '/api/v1/users/me/', {
      token: owner.access,
      body: { first_name: 'Renamed' },
    });
    assert.equal(renamed.status, 200, renamed.text);
    const afterProfile = await read(editor);
    assert.equal(afterProfile.body.creator.profile.first_name, 'Renamed');
    const ownerEntry = afterProfile.body.collaborators.find((c: { role: string }) => c.role === 'owner');
    assert.equal(ownerEntry.user.profile.first_name, 'Renamed');
    // A member who is neither creator nor inviter: only the membership join names them.
    await read(owner); // the owner's answer is kept from here
    const editorRenamed = await call(app, 'PATCH', '/api/v1/users/me/', {
      token: editor.access,
      body: { last_name: 'Changed' },
    });
    assert.equal(editorRenamed.status, 200, editorRenamed.text);
    const editorEntry = (await read(owner)).body.collaborators.find(
      (c: { user: { id: string } }) => c.user.id === editor.id,
    );
    assert.equal(editorEntry.user.profile.last_name, 'Changed');

    // The caller's role, changed underneath (the answer differs per role: user_role, permissions).
    await db
      .update(tripMembers)
      .set({ role: 'viewer' })
      .where(and(eq(tripMembers.tripId, trip.id), eq(tripMembers.userId, editor.id)));
    const asViewer = await read(editor);
    assert.equal(asViewer.body.user_role, 'viewer');
    assert.ok(!asViewer.body.permissions.includes('trip.update'));

    // An inviter who is not a member (left since): only the membership's invited_by names them.
    const inviter = await createUser(app);
    await db
      .update(tripMembers)
      .set({ invitedById: inviter.id })
      .where(and(eq(tripMembers.tripId, trip.id), eq(tripMembers.userId, editor.id)));
    const invitedBy = async () =>
      (await read(owner)).body.collaborators.find((c: { user: { id: string } }) => c.user.id === editor.id)
        .invited_by_user;
    assert.equal((await invitedBy()).id, inviter.id);
    const inviterRenamed = await call(app, 'PATCH', '/api/v1/users/me/', {
      token: inviter.access,
      body: { first_name: 'Inviter' },
    });
    assert.equal(inviterRenamed.status, 200, inviterRenamed.text);
    assert.equal((await invitedBy()).profile.first_name, 'Inviter');

    // Avatars are absolute URLs as the client reached the server: one answer per address.
    await db.update(users).set({ avatarKey: 'avatars/owner.png' }).where(eq(users.id, owner.id));
    const here = (await read(editor)).body.creator.profile.avatar as string;
    const there = (await read(editor, { host: 'other.example.test' })).body.creator.profile.avatar as string;
    assert.match(here, /avatars\/owner\.png$/);
    assert.match(there, /^https?:\/\/other\.example\.test\/.*avatars\/owner\.png$/);
    assert.notEqual(here, there);
    assert.equal((await read(editor)).body.creator.profile.avatar, here);

    // A member logging in changes their last_login, which the trip presents.
    const lastLogin = async () =>
      (await read(owner)).body.collaborators.find((c: { user: { id: string } }) => c.user.id === editor.id)
        .user.last_login;
    const before = await lastLogin();
    const login = await call(app, 'POST', '/api/v1/auth/login/', {
      body: { email: editor.email, password: GOOD_PASSWORD },
    });
    assert.equal(login.status, 200, login.text);
    const after = await lastLogin();
    assert.ok(after !== null && after !== before, `last_login ${before} → ${after}`);

    // Removed from the trip: 404 at once, although the answer was kept.
    await db
      .delete(tripMembers)
      .where(and(eq(tripMembers.tripId, trip.id), eq(tripMembers.userId, editor.id)));
    const gone = await call(app, 'GET', `/api/v1/trips/${trip.id}/`, { token: editor.access });
    assert.equal(gone.status, 404);
    assert.equal((await read(owner)).body.collaborator_count, 1);
  });

  it('a trip row gets a new version when its people change, not for a password; concurrent edits do not deadlock', async () => {
    // Trip fingerprints read the trip row alone (migrations/0009): these writes must, or must not,
    // make a new version of it (its xmin, the transaction that wrote it).
    const owner = await createUser(app);
    const friend = await createUser(app);
    const shared = [await createTrip(owner), await createTrip(owner)];
    for (const trip of shared) await addMember(trip.id, friend, 'editor');
    const versionOf = async (tripId: string) => {
      const [row] = await db
        .select({ xmin: sql<string>`${trips}.xmin::text || ${trips}.ctid::text` })
        .from(trips)
        .where(eq(trips.id, tripId));
      return row!.xmin;
    };
    const before = await versionOf(shared[0].id);
    const changed = await call(app, 'POST', '/api/v1/auth/password/change/', {
      token: friend.access,
      body: {
        old_password: GOOD_PASSWORD,
        new_password: 'Other-Koala-Orbit-43',
        new_password_confirm: 'Other-Koala-Orbit-43',
      },
    });
    assert.equal(changed.status, 200, changed.text);
    assert.equal(await versionOf(shared[0].id), before, 'a password is not presented');
    await db.update(users).set({ bio: 'Hiker' }).where(eq(users.id, friend.id));
    const afterBio = await versionOf(shared[0].id);
    assert.notEqual(afterBio, before, 'a member’s profile is');

    // People who share trips, editing their profiles at once (each trip row is written once per
    // person, in id order): every edit lands. A person's own concurrent saves answer 412 by design
    // (users/update-me.ts), so each person saves once.
    const others = await Promise.all(Array.from({ length: 6 }, () => createUser(app)));
    for (const person of others) for (const trip of shared) await addMember(trip.id, person, 'viewer');
    const secondBefore = await versionOf(shared[1].id);
    const edits = await Promise.all(
      [owner, friend, ...others].map((person, i) =>
        call(app, 'PATCH', '/api/v1/users/me/', { token: person.access, body: { last_name: `Edit ${i}` } }),
      ),
    );
    assert.deepEqual(
      edits.map((r) => r.status),
      Array(8).fill(200),
    );
    assert.notEqual(await versionOf(shared[1].id), secondBefore);
  });

  it('owner and editor update; viewer 403; PUT needs title; version and change log move', async () => {
    const owner = await createUser(app);
    const editor = await createUser(app);
    const viewer = await createUser(app);
    const trip = await createTrip(owner);
    await addMember(trip.id, editor, 'editor');
    await addMember(trip.id, viewer, 'viewer');
    const patched = await call(app, 'PATCH', `/api/v1/trips/${trip.id}/`, {
      token: editor.access,
      body: { description: 'Port wine', status: 'active' },
    });
    assert.equal(patched.status, 200);
    assert.equal(patched.body.version, 2);
    assert.equal(patched.body.user_role, 'editor');
    assert.equal(patched.headers.etag, '"2"');
    const [logged] = await db
      .select()
      .from(changes)
      .where(and(eq(changes.entityId, trip.id), eq(changes.op, 'update')));
    assert.deepEqual(logged!.fields.sort(), ['description', 'status']);
    assert.equal(logged!.version, 2);
    assert.equal(logged!.actorId, editor.id);

    assert.equal(
      (
        await call(app, 'PATCH', `/api/v1/trips/${trip.id}/`, {
          token: viewer.access,
          body: { title: 'Mine' },
        })
      ).status,
      403,
    );
    const put = await call(app, 'PUT', `/api/v1/trips/${trip.id}/`, {
      token: owner.access,
      body: { description: 'no title' },
    });
    assert.equal(put.status, 400);
    assert.ok(put.body.error.details.title);
    const putOk = await call(app, 'PUT', `/api/v1/trips/${trip.id}/`, {
      token: owner.access,
      body: { title: 'Porto' },
    });
    assert.equal(putOk.status, 200);
    assert.equal(putOk.body.title, 'Porto');
  });

  it('refuses dates that leave itinerary days outside, naming the days', async () => {
    const owner = await createUser(app);
    const trip = await createTrip(owner, { start_date: '2026-05-01', end_date: '2026-05-10' });
    await db.insert(itineraries).values([
      { tripId: trip.id, date: '2026-05-02' },
      { tripId: trip.id, date: '2026-05-09' },
    ]);
    const response = await call(app, 'PATCH', `/api/v1/trips/${trip.id}/`, {
      token: owner.access,
      body: { start_date: '2026-05-03', end_date: '2026-05-08' },
    });
    assert.equal(response.status, 400);
    assert.match(response.body.error.details.start_date[0], /2026-05-02/);
    assert.match(response.body.error.details.end_date[0], /2026-05-09/);
    const [row] = await db.select().from(trips).where(eq(trips.id, trip.id));
    assert.equal(row!.startDate, '2026-05-01');
    assert.equal(row!.version, 1);
  });

  it('If-Match: a stale version is 412 with the current object; two racing updates → one 200, one 412', async () => {
    const owner = await createUser(app);
    const trip = await createTrip(owner);
    const stale = await call(app, 'PATCH', `/api/v1/trips/${trip.id}/`, {
      token: owner.access,
      headers: { 'if-match': '"9"' },
      body: { title: 'X' },
    });
    assert.equal(stale.status, 412);
    assert.equal(stale.body.error.details.current.id, trip.id);
    assert.equal(stale.body.error.details.current.version, 1);
    const racing = await Promise.all(
      ['A', 'B'].map((title) =>
        call(app, 'PATCH', `/api/v1/trips/${trip.id}/`, {
          token: owner.access,
          headers: { 'if-match': '"1"' },
          body: { title },
        }),
      ),
    );
    assert.deepEqual(racing.map((r) => r.status).sort(), [200, 412]);
    const loser = racing.find((r) => r.status === 412)!;
    assert.equal(loser.body.error.details.current.version, 2);
  });

  it('only the owner deletes; everything under the trip goes; a tombstone is logged', async () => {
    const owner = await createUser(app);
    const editor = await createUser(app);
    const trip = await createTrip(owner);
    await addMember(trip.id, editor, 'editor');
    assert.equal(
      (await call(app, 'DELETE', `/api/v1/trips/${trip.id}/`, { token: editor.access })).status,
      403,
    );
    assert.equal(
      (
        await call(app, 'DELETE', `/api/v1/trips/${trip.id}/`, {
          token: owner.access,
          headers: { 'if-match': '"5"' },
        })
      ).status,
      412,
    );
    const deleted = await call(app, 'DELETE', `/api/v1/trips/${trip.id}/`, { token: owner.access });
    assert.equal(deleted.status, 204);
    assert.equal((await db.select().from(trips).where(eq(trips.id, trip.id))).length, 0);
    assert.equal((await db.select().from(tripMembers).where(eq(tripMembers.tripId, trip.id))).length, 0);
    assert.equal((await db.select().from(chatRooms).where(eq(chatRooms.tripId, trip.id))).length, 0);
    const [tombstone] = await db
      .select()
      .from(changes)
      .where(and(eq(changes.entityId, trip.id), eq(changes.op, 'delete')));
    assert.equal(tombstone!.version, 2);
    assert.equal((await call(app, 'GET', `/api/v1/trips/${trip.id}/`, { token: owner.access })).status, 404);
  });
});
