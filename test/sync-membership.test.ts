/**
 * The sync cursor carries no trip list: the trips a client holds follow from its log position and
 * the membership log. Many trips, memberships changing between pages (also during a snapshot),
 * every path that changes a membership, and format-1 cursors from clients in the field.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { and, eq, sql } from 'drizzle-orm';
import { invitations, membershipLog } from '../src/db/schema/index.ts';
import { hashToken } from '../src/modules/invitations/tokens.ts';
import { decodeSyncCursor, isLegacy } from '../src/modules/sync/cursor.ts';
import { buildTestApp, call } from './helpers/app.ts';
import { countQueries, testDatabase } from './helpers/database.ts';
import { createUser, uniqueEmail, type TestUser } from './helpers/factories.ts';
import { OfflineClient, SYNC, settle } from './sync-harness.ts';

const { app } = await buildTestApp();
const { db } = await testDatabase();
const API = '/api/v1';

/** A cursor is 24 characters while following the log, 112 while a snapshot is being sent. */
const MAX_CURSOR = 112;

async function ok(user: TestUser, method: 'POST' | 'PATCH' | 'DELETE', url: string, body?: unknown) {
  const response = await call(app, method, `${API}${url}`, { token: user.access, body });
  assert.ok(response.status < 300, `${method} ${url}: ${response.status} ${response.text}`);
  return response.body;
}

/** A trip with a day, two items and a poll. */
async function plannedTrip(owner: TestUser, title = 'Trip') {
  const trip = await ok(owner, 'POST', '/trips/', {
    title,
    start_date: '2030-06-01',
    end_date: '2030-06-09',
  });
  const day = await ok(owner, 'POST', '/itineraries/', { trip: trip.id, date: '2030-06-01' });
  const items = [
    await ok(owner, 'POST', `/itineraries/${day.id}/items/`, { title: 'One' }),
    await ok(owner, 'POST', `/itineraries/${day.id}/items/`, { title: 'Two' }),
  ];
  await ok(owner, 'POST', '/polls/', { trip: trip.id, question: 'When?', options: ['Early', 'Late'] });
  return { trip, day, items };
}

const addMember = (tripId: string, by: TestUser, user: TestUser, role = 'editor') =>
  ok(by, 'POST', `/trips/${tripId}/collaborators/${user.id}/`, { role });
const removeMember = (tripId: string, by: TestUser, user: TestUser) =>
  ok(by, 'DELETE', `/trips/${tripId}/collaborators/${user.id}/`);

async function freshState(user: TestUser) {
  const client = new OfflineClient(app, user);
  await client.pull();
  return client.state();
}

/** One page by hand, applied to the client; returns the page body. */
async function pullPage(client: OfflineClient, limit: number) {
  await settle();
  const query = new URLSearchParams({ limit: String(limit) });
  if (client.cursor) query.set('cursor', client.cursor);
  const response = await call(app, 'GET', `${SYNC}?${query}`, { token: client.user.access });
  assert.equal(response.status, 200, response.text);
  for (const entry of response.body.changes) client.apply(entry);
  client.cursor = response.body.cursor;
  return response.body;
}

const tripIds = (client: OfflineClient) =>
  client
    .all('trip')
    .map((h) => h.id)
    .sort();

/** `count` trips owned by the user, written in bulk (the trigger logs each membership). */
async function bulkTrips(userId: string, count: number): Promise<string[]> {
  const ids = Array.from({ length: count }, () => randomUUID());
  const list = `{${ids.join(',')}}`;
  await db.execute(sql`
    insert into trips (id, title, creator_id)
    select id, 'Bulk ' || n, ${userId}::uuid from unnest(${list}::uuid[]) with ordinality t(id, n)`);
  await db.execute(sql`
    insert into trip_members (trip_id, user_id, role)
    select id, ${userId}::uuid, 'owner' from unnest(${list}::uuid[]) id`);
  return ids;
}

/** The membership log rows of a user, oldest first, as [trip, op]. */
async function logOf(userId: string) {
  const rows = await db
    .select({ trip: membershipLog.tripId, op: membershipLog.op })
    .from(membershipLog)
    .where(eq(membershipLog.userId, userId))
    .orderBy(membershipLog.txid, membershipLog.seq);
  return rows.map((r) => [r.trip, r.op]);
}

/** A format-1 cursor as the previous server version wrote it: position, known trips, pending bitmap. */
function legacyCursor(
  position: { txid: bigint; seq: bigint },
  known: string[],
  snapshotting = false,
): string {
  const sorted = [...known].sort();
  const header = Buffer.alloc(39);
  header.writeUInt8(1, 0);
  header.writeBigUInt64BE(position.txid, 1);
  header.writeBigUInt64BE(position.seq, 9);
  header.writeUInt8(snapshotting ? 2 : 0, 17);
  header.writeUInt32BE(sorted.length, 35);
  const bitmap = Buffer.alloc(Math.ceil(sorted.length / 8), snapshotting ? 0xff : 0);
  const ids = sorted.map((id) => Buffer.from(id.replace(/-/g, ''), 'hex'));
  return Buffer.concat([header, ...ids, bitmap]).toString('base64url');
}

function positionOf(cursor: string) {
  const decoded = decodeSyncCursor(cursor);
  assert.ok(decoded && !isLegacy(decoded));
  return decoded.position;
}

describe('sync cursor: fixed size', () => {
  it('a user with 1,200 trips pages through all of them with a cursor of fixed size', async () => {
    const user = await createUser(app);
    const ids = await bulkTrips(user.id, 1200);
    const client = new OfflineClient(app, user);
    const lengths = new Set<number>();
    let pages = 0;
    for (let more = true; more; pages++) {
      const page = await pullPage(client, 500);
      lengths.add(client.cursor!.length);
      more = page.has_more;
    }
    assert.ok(pages >= 5, `${pages} pages`);
    assert.ok(Math.max(...lengths) <= MAX_CURSOR, `cursor lengths ${[...lengths]}`);
    assert.deepEqual(tripIds(client), [...ids].sort());
    assert.equal(client.all('collaborator').length, 1200);
    assert.equal(client.cursor!.length, 24, 'caught up: position only');

    // A caught-up cursor fits a URL, and the next pull is empty.
    assert.deepEqual(await client.pull(), []);
    // Losing one of the 1,200 is one tombstone.
    await ok(user, 'DELETE', `/trips/${ids[600]}/`);
    assert.deepEqual(
      (await client.pull()).map((e) => [e.entity, e.op, e.id]),
      [['trip', 'delete', ids[600]]],
    );
    assert.equal(client.all('trip').length, 1199);
  });

  it('a snapshot page costs the same statements with 1 trip or 1,200', async () => {
    const few = await createUser(app);
    await plannedTrip(few);
    const many = await createUser(app);
    await bulkTrips(many.id, 1200);
    const first = (user: TestUser) =>
      countQueries(() => call(app, 'GET', `${SYNC}?limit=1`, { token: user.access }));
    const a = await first(few);
    const b = await first(many);
    assert.equal(a.result.body.changes.length, 1);
    assert.equal(b.result.body.changes.length, 1);
    assert.equal(a.count, b.count);
  });
});

describe('sync cursor: memberships changing between pages', () => {
  it('joined, left, removed and deleted trips between pulls: whole trips and tombstones', async () => {
    const user = await createUser(app);
    const other = await createUser(app);
    const left = await plannedTrip(other, 'Left');
    const removed = await plannedTrip(other, 'Removed');
    const deleted = await plannedTrip(other, 'Deleted');
    const kept = await plannedTrip(other, 'Kept');
    for (const t of [left, removed, deleted, kept]) await addMember(t.trip.id, other, user);
    const client = new OfflineClient(app, user);
    await client.pull();
    assert.equal(client.all('trip').length, 4);

    const joined = await plannedTrip(other, 'Joined');
    await addMember(joined.trip.id, other, user, 'viewer');
    await removeMember(left.trip.id, user, user);
    await removeMember(removed.trip.id, other, user);
    await ok(other, 'DELETE', `/trips/${deleted.trip.id}/`);
    await ok(other, 'PATCH', `/itineraries/items/${kept.items[0].id}/`, { title: 'Edited' });
    await ok(other, 'PATCH', `/itineraries/items/${removed.items[0].id}/`, { title: 'Not for you' });
    const received = await client.pull(3);
    const tombstones = received.filter((e) => e.op === 'delete').map((e) => [e.entity, e.id]);
    assert.deepEqual(
      tombstones.sort(),
      [
        ['trip', left.trip.id],
        ['trip', removed.trip.id],
        ['trip', deleted.trip.id],
      ].sort(),
    );
    assert.ok(!received.some((e) => e.op === 'upsert' && e.trip === removed.trip.id));
    assert.equal(client.get('item', kept.items[0].id)!.object.title, 'Edited');
    assert.deepEqual(tripIds(client), [kept.trip.id, joined.trip.id].sort());
    assert.equal(client.get('trip', joined.trip.id)!.object.user_role, 'viewer');
    assert.deepEqual(client.state(), await freshState(user));
  });

  it('memberships that change while a first sync is being sent: the client still ends at the server state', async () => {
    const user = await createUser(app);
    const other = await createUser(app);
    const trips = [];
    for (let i = 0; i < 4; i++) {
      const owner = i % 2 ? user : other;
      trips.push(await plannedTrip(owner, `T${i}`));
      if (owner === other) await addMember(trips[i]!.trip.id, other, user);
    }
    const client = new OfflineClient(app, user);
    const first = await pullPage(client, 3);
    assert.equal(first.has_more, true);
    assert.ok(client.cursor!.length <= MAX_CURSOR);
    // Trips already sent and trips not yet sent change membership.
    await removeMember(trips[0]!.trip.id, other, user);
    await ok(user, 'DELETE', `/trips/${trips[1]!.trip.id}/`);
    const gained = await plannedTrip(other, 'Gained during the snapshot');
    await addMember(gained.trip.id, other, user);
    await pullPage(client, 3);
    const later = await plannedTrip(other, 'Gained later still');
    await addMember(later.trip.id, other, user);
    await ok(other, 'DELETE', `/itineraries/items/${trips[2]!.items[0].id}/`);
    await client.pull(3);
    assert.deepEqual(
      tripIds(client),
      [trips[2]!.trip.id, trips[3]!.trip.id, gained.trip.id, later.trip.id].sort(),
    );
    assert.deepEqual(client.state(), await freshState(user));
  });

  it('a trip gained while a snapshot of gained trips is in progress', async () => {
    const user = await createUser(app);
    const other = await createUser(app);
    const client = new OfflineClient(app, user);
    await client.pull();
    const a = await plannedTrip(other, 'A');
    await addMember(a.trip.id, other, user);
    // The join is read, then the snapshot of trip A is sent a page at a time.
    let page = await pullPage(client, 2);
    assert.equal(page.has_more, true);
    page = await pullPage(client, 2);
    assert.equal(page.has_more, true);
    const b = await plannedTrip(other, 'B');
    await addMember(b.trip.id, other, user);
    await ok(other, 'PATCH', `/itineraries/items/${a.items[1].id}/`, { title: 'Changed mid-snapshot' });
    await client.pull(2);
    assert.deepEqual(tripIds(client), [a.trip.id, b.trip.id].sort());
    assert.equal(client.get('item', a.items[1].id)!.object.title, 'Changed mid-snapshot');
    assert.deepEqual(client.state(), await freshState(user));
  });

  it('removed and added back between pulls: what was deleted meanwhile is gone', async () => {
    const user = await createUser(app);
    const other = await createUser(app);
    const t = await plannedTrip(other);
    await addMember(t.trip.id, other, user);
    const client = new OfflineClient(app, user);
    await client.pull();
    await removeMember(t.trip.id, other, user);
    await ok(other, 'DELETE', `/itineraries/items/${t.items[0].id}/`);
    await addMember(t.trip.id, other, user, 'viewer');
    await client.pull();
    assert.equal(client.get('item', t.items[0].id), undefined);
    assert.equal(client.get('trip', t.trip.id)!.object.user_role, 'viewer');
    assert.deepEqual(client.state(), await freshState(user));
  });
});

describe('membership log', () => {
  it('every path that changes a membership logs it in the same transaction', async () => {
    const owner = await createUser(app);
    const friend = await createUser(app);
    const trip = await ok(owner, 'POST', '/trips/', { title: 'Logged' });
    await addMember(trip.id, owner, friend);
    await removeMember(trip.id, owner, friend);
    // Accepting an invitation (signed in), then leaving.
    const token = randomBytes(32).toString('base64url');
    await db.insert(invitations).values({
      tripId: trip.id,
      email: friend.email,
      role: 'viewer',
      tokenHash: hashToken(token),
      invitedById: owner.id,
      expiresAt: new Date(Date.now() + 86_400_000),
    });
    const accepted = await call(app, 'POST', `${API}/invitations/${token}/accept/`, { token: friend.access });
    assert.equal(accepted.status, 200, accepted.text);
    await removeMember(trip.id, friend, friend);
    // Registering with a pending invitation joins at once.
    const email = uniqueEmail('invited');
    await db.insert(invitations).values({
      tripId: trip.id,
      email,
      role: 'editor',
      tokenHash: hashToken(randomBytes(32).toString('base64url')),
      invitedById: owner.id,
      expiresAt: new Date(Date.now() + 86_400_000),
    });
    const newcomer = await createUser(app, { email });
    // A refused change logs nothing: the last owner cannot leave.
    const refused = await call(app, 'DELETE', `${API}/trips/${trip.id}/collaborators/${owner.id}/`, {
      token: owner.access,
    });
    assert.equal(refused.status, 400, refused.text);
    // Deleting the trip: every member leaves.
    await ok(owner, 'DELETE', `/trips/${trip.id}/`);

    assert.deepEqual(await logOf(owner.id), [
      [trip.id, 'join'],
      [trip.id, 'leave'],
    ]);
    assert.deepEqual(await logOf(friend.id), [
      [trip.id, 'join'],
      [trip.id, 'leave'],
      [trip.id, 'join'],
      [trip.id, 'leave'],
    ]);
    assert.deepEqual(await logOf(newcomer.id), [
      [trip.id, 'join'],
      [trip.id, 'leave'],
    ]);
    // A membership's join position is its join entry's.
    const [join] = await db
      .select()
      .from(membershipLog)
      .where(and(eq(membershipLog.userId, newcomer.id), eq(membershipLog.op, 'join')));
    const changes: any = await db.execute(
      sql`select count(*)::int as n from changes where seq = ${join!.seq.toString()}::bigint`,
    );
    assert.equal(
      (changes.rows ?? changes)[0].n,
      0,
      'the log shares the change sequence: no seq is used twice',
    );
  });
});

describe('format-1 cursors', () => {
  it('are converted in place: lost trips become tombstones and the feed goes on from their position', async () => {
    const user = await createUser(app);
    const other = await createUser(app);
    const kept = await plannedTrip(user, 'Kept');
    const lost = await plannedTrip(other, 'Lost');
    await addMember(lost.trip.id, other, user);
    const client = new OfflineClient(app, user);
    await client.pull();
    // What the previous version would have handed this client for the same state.
    client.cursor = legacyCursor(positionOf(client.cursor!), [kept.trip.id, lost.trip.id]);
    await removeMember(lost.trip.id, other, user);
    await ok(user, 'PATCH', `/itineraries/items/${kept.items[0].id}/`, { title: 'After the upgrade' });
    const gained = await plannedTrip(other, 'Gained');
    await addMember(gained.trip.id, other, user);
    const received = await client.pull();
    assert.deepEqual(received[0], {
      entity: 'trip',
      op: 'delete',
      id: lost.trip.id,
      trip: lost.trip.id,
      version: null,
      object: null,
    });
    // Not resent whole: only what changed.
    assert.ok(!received.some((e) => e.op === 'upsert' && e.entity === 'poll' && e.trip === kept.trip.id));
    assert.equal(client.get('item', kept.items[0].id)!.object.title, 'After the upgrade');
    assert.ok(client.cursor!.length <= MAX_CURSOR);
    assert.deepEqual(client.state(), await freshState(user));
  });

  it('mid-snapshot, or not listing a trip the caller holds: every known trip is dropped and sent again', async () => {
    const user = await createUser(app);
    const a = await plannedTrip(user, 'A');
    const b = await plannedTrip(user, 'B');
    const client = new OfflineClient(app, user);
    await client.pull();
    const position = positionOf(client.cursor!);
    for (const [cursor, dropped] of [
      [legacyCursor(position, [a.trip.id, b.trip.id], true), [a.trip.id, b.trip.id]],
      [legacyCursor(position, [a.trip.id]), [a.trip.id]],
    ] as const) {
      const stale = new OfflineClient(app, user);
      for (const held of client.store.values())
        stale.store.set(`${held.entity}:${held.id}`, structuredClone(held));
      stale.cursor = cursor;
      const received = await stale.pull();
      assert.deepEqual(
        received.filter((e) => e.op === 'delete').map((e) => e.id),
        [...dropped].sort(),
      );
      assert.equal(received.filter((e) => e.entity === 'trip' && e.op === 'upsert').length, 2);
      assert.deepEqual(stale.state(), client.state());
    }
  });

  it('a push with a format-1 cursor is applied and returns it unchanged', async () => {
    const user = await createUser(app);
    const cursor = legacyCursor({ txid: 1n, seq: 1n }, []);
    const response = await call(app, 'POST', SYNC, {
      token: user.access,
      body: { client_id: 'legacy', mutations: [], cursor },
    });
    assert.equal(response.status, 200, response.text);
    assert.equal(response.body.cursor, cursor);
  });
});
