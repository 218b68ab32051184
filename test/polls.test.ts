import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { and, asc, count, eq } from 'drizzle-orm';
import { changes, pollOptions, polls, pollVotes, tripMembers, type Role } from '../src/db/schema/index.ts';
import { buildTestApp, call } from './helpers/app.ts';
import { countQueries, testDatabase } from './helpers/database.ts';
import { createUser, type TestUser } from './helpers/factories.ts';

const { app } = await buildTestApp();
const { db } = await testDatabase();

const API = '/api/v1';
const future = (ms = 86_400_000) => new Date(Date.now() + ms).toISOString();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface TripSetup {
  tripId: string;
  owner: TestUser;
  editor: TestUser;
  viewer: TestUser;
  stranger: TestUser;
}

/** Adds a member directly: the collaborators API is another module's concern. */
async function addMember(tripId: string, user: TestUser, role: Role) {
  await db.insert(tripMembers).values({ tripId, userId: user.id, role });
}

/** A fresh trip with an owner, an editor, a viewer and a stranger (not a member). */
async function setupTrip(): Promise<TripSetup> {
  const [owner, editor, viewer, stranger] = await Promise.all([
    createUser(app),
    createUser(app),
    createUser(app),
    createUser(app),
  ]);
  const trip = await call(app, 'POST', `${API}/trips/`, { token: owner.access, body: { title: 'Lisbon' } });
  assert.equal(trip.status, 201, trip.text);
  await addMember(trip.body.id, editor, 'editor');
  await addMember(trip.body.id, viewer, 'viewer');
  return { tripId: trip.body.id, owner, editor, viewer, stranger };
}

/** Creates a poll through the API, asserting 201. */
async function createPoll(user: TestUser, tripId: string, body: Record<string, unknown> = {}) {
  const response = await call(app, 'POST', `${API}/polls/`, {
    token: user.access,
    body: { trip: tripId, question: 'Where to eat?', options: ['Tasca', 'Pasteis', 'Ramiro'], ...body },
  });
  assert.equal(response.status, 201, response.text);
  return response.body;
}

const vote = (user: TestUser, pollId: string, optionId: string) =>
  call(app, 'POST', `${API}/polls/${pollId}/vote/`, { token: user.access, body: { option_id: optionId } });

async function pollRowsIn(tripId: string) {
  return db.select().from(polls).where(eq(polls.tripId, tripId));
}

async function votesIn(pollId: string) {
  return db.select().from(pollVotes).where(eq(pollVotes.pollId, pollId));
}

async function changesOf(entityId: string) {
  return db.select().from(changes).where(eq(changes.entityId, entityId)).orderBy(asc(changes.seq));
}

async function changeCount(tripId: string) {
  const [row] = await db.select({ n: count() }).from(changes).where(eq(changes.tripId, tripId));
  return Number(row!.n);
}

function assertFieldError(response: { status: number; body: any }, field: string, pattern?: RegExp) {
  assert.equal(response.status, 400, JSON.stringify(response.body));
  const problems = response.body.error.details[field];
  assert.ok(Array.isArray(problems) && problems.length > 0, `expected a problem on ${field}`);
  if (pattern) assert.match(problems.join(' '), pattern);
}

describe('POST polls/', () => {
  it('creates a poll with its options and answers the full object', async () => {
    const t = await setupTrip();
    const closesAt = future();
    const response = await call(app, 'POST', `${API}/polls/`, {
      token: t.editor.access,
      body: {
        trip: t.tripId,
        question: '  Where to eat?  ',
        description: 'Friday night',
        closes_at: closesAt,
        options: [' Tasca ', 'Pasteis'],
      },
    });
    assert.equal(response.status, 201, response.text);
    const poll = response.body;
    assert.equal(response.headers.etag, '"1"');
    assert.deepEqual(Object.keys(poll).sort(), [
      'allow_multiple',
      'closes_at',
      'created_at',
      'created_by',
      'description',
      'id',
      'is_active',
      'is_open',
      'options',
      'question',
      'total_votes',
      'trip',
      'updated_at',
      'user_has_voted',
      'version',
    ]);
    assert.equal(poll.trip, t.tripId);
    assert.equal(poll.created_by.id, t.editor.id);
    assert.equal(poll.question, 'Where to eat?');
    assert.equal(poll.description, 'Friday night');
    assert.equal(poll.is_active, true);
    assert.equal(poll.is_open, true);
    assert.equal(poll.allow_multiple, false);
    assert.equal(new Date(poll.closes_at).getTime(), new Date(closesAt).getTime());
    assert.equal(poll.total_votes, 0);
    assert.equal(poll.user_has_voted, false);
    assert.equal(poll.version, 1);
    assert.deepEqual(
      poll.options.map((o: any) => [o.text, o.order, o.vote_count, o.user_voted]),
      [
        ['Tasca', 0, 0, false],
        ['Pasteis', 1, 0, false],
      ],
    );
    const [change] = await changesOf(poll.id);
    assert.equal(change!.entity, 'poll');
    assert.equal(change!.op, 'insert');
    assert.equal(change!.tripId, t.tripId);
    assert.equal(change!.actorId, t.editor.id);
  });

  it('defaults: active, single choice, no deadline; an owner may create too', async () => {
    const t = await setupTrip();
    const poll = await createPoll(t.owner, t.tripId, { allow_multiple: true, is_active: false });
    assert.equal(poll.allow_multiple, true);
    assert.equal(poll.is_active, false);
    assert.equal(poll.is_open, false);
    const plain = await createPoll(t.owner, t.tripId);
    assert.equal(plain.is_active, true);
    assert.equal(plain.allow_multiple, false);
    assert.equal(plain.closes_at, null);
    assert.equal(plain.description, '');
  });

  it('refuses bad input with field errors and writes nothing', async () => {
    const t = await setupTrip();
    const base = { trip: t.tripId, question: 'Q?', options: ['A', 'B'] };
    const cases: [Record<string, unknown>, string, RegExp?][] = [
      [{ options: ['Only one'] }, 'options', /at least 2/],
      [{ options: Array.from({ length: 21 }, (_, i) => `Option ${i}`) }, 'options', /no more than 20/],
      [{ options: ['Paris', ' paris  ', 'Rome'] }, 'options', /Duplicate option "paris"/],
      [{ options: ['PARIS', 'Paris'] }, 'options', /Duplicate/],
      [{ options: ['A', '   '] }, 'options', /Option 2 may not be blank/],
      [{ options: ['A', 'x'.repeat(201)] }, 'options', /more than 200/],
      [{ options: ['A', 5] }, 'options.1'],
      [{ options: undefined }, 'options', /required/],
      [{ question: undefined }, 'question', /required/],
      [{ question: '   ' }, 'question', /blank/],
      [{ question: 'q'.repeat(501) }, 'question', /500/],
      [{ closes_at: new Date(Date.now() - 60_000).toISOString() }, 'closes_at', /future/],
      [{ closes_at: 'tomorrow' }, 'closes_at'],
      [{ trip: undefined }, 'trip', /required/],
      [{ trip: 'not-a-uuid' }, 'trip'],
      [{ is_active: 'yes' }, 'is_active'],
    ];
    for (const [override, field, pattern] of cases) {
      const response = await call(app, 'POST', `${API}/polls/`, {
        token: t.owner.access,
        body: { ...base, ...override },
      });
      assertFieldError(response, field, pattern);
    }
    assert.equal((await pollRowsIn(t.tripId)).length, 0);
    assert.equal(await changeCount(t.tripId), 2, 'only the trip and owner rows from creating the trip');
  });

  it('accepts 20 options and 200 characters after trimming', async () => {
    const t = await setupTrip();
    const options = Array.from({ length: 20 }, (_, i) => `${i} ${'x'.repeat(195)}  `);
    const poll = await createPoll(t.owner, t.tripId, { options });
    assert.equal(poll.options.length, 20);
    assert.equal(poll.options[19].text.length, 198);
    assert.equal(poll.options[19].order, 19);
  });

  it('viewer 403, stranger 404, and nothing is written', async () => {
    const t = await setupTrip();
    const body = { trip: t.tripId, question: 'Q?', options: ['A', 'B'] };
    const viewer = await call(app, 'POST', `${API}/polls/`, { token: t.viewer.access, body });
    assert.equal(viewer.status, 403);
    assert.equal(viewer.body.error.type, 'permission_denied');
    const stranger = await call(app, 'POST', `${API}/polls/`, { token: t.stranger.access, body });
    assert.equal(stranger.status, 404);
    const missingTrip = await call(app, 'POST', `${API}/polls/`, {
      token: t.owner.access,
      body: { ...body, trip: randomUUID() },
    });
    assert.equal(missingTrip.status, 404);
    assert.equal((await pollRowsIn(t.tripId)).length, 0);
    assert.equal((await call(app, 'POST', `${API}/polls/`, { body })).status, 401);
  });

  it('a retried create with the same client id returns the original, once', async () => {
    const t = await setupTrip();
    const id = randomUUID();
    const first = await createPoll(t.editor, t.tripId, { id });
    assert.equal(first.id, id);
    const again = await call(app, 'POST', `${API}/polls/`, {
      token: t.editor.access,
      body: { id, trip: t.tripId, question: 'Where to eat?', options: ['Tasca', 'Pasteis', 'Ramiro'] },
    });
    assert.equal(again.status, 201);
    assert.equal(again.headers['idempotent-replayed'], 'true');
    assert.deepEqual(again.body, first);
    assert.equal((await pollRowsIn(t.tripId)).length, 1);
    assert.equal((await changesOf(id)).length, 1);
    const options = await db.select().from(pollOptions).where(eq(pollOptions.pollId, id));
    assert.equal(options.length, 3);

    // Another user (even an owner of the same trip) cannot claim that id.
    const other = await call(app, 'POST', `${API}/polls/`, {
      token: t.owner.access,
      body: { id, trip: t.tripId, question: 'Mine?', options: ['A', 'B'] },
    });
    assert.equal(other.status, 409);
    assert.ok(other.body.error.details.id);
  });

  it('a retried create with the same Idempotency-Key returns the original, once', async () => {
    const t = await setupTrip();
    const headers = { 'idempotency-key': `poll-${randomUUID()}` };
    const body = { trip: t.tripId, question: 'Museum?', options: ['Yes', 'No'] };
    const first = await call(app, 'POST', `${API}/polls/`, { token: t.owner.access, body, headers });
    assert.equal(first.status, 201);
    const second = await call(app, 'POST', `${API}/polls/`, { token: t.owner.access, body, headers });
    assert.equal(second.status, 201);
    assert.equal(second.headers['idempotent-replayed'], 'true');
    assert.deepEqual(second.body, first.body);
    assert.equal((await pollRowsIn(t.tripId)).length, 1);
    const reused = await call(app, 'POST', `${API}/polls/`, {
      token: t.owner.access,
      body: { ...body, question: 'Different?' },
      headers,
    });
    assert.equal(reused.status, 422);
    assert.equal((await pollRowsIn(t.tripId)).length, 1);
  });
});

describe('GET polls/', () => {
  it('lists a trip’s polls for members, newest first, in the page envelope', async () => {
    const t = await setupTrip();
    const older = await createPoll(t.owner, t.tripId, { question: 'Older?' });
    const closed = await createPoll(t.editor, t.tripId, { question: 'Closed?', is_active: false });
    const other = await setupTrip();
    await createPoll(other.owner, other.tripId);

    const list = await call(app, 'GET', `${API}/polls/?trip_id=${t.tripId}`, { token: t.viewer.access });
    assert.equal(list.status, 200);
    assert.equal(list.body.count, 2);
    assert.equal(list.body.next, null);
    assert.equal(list.body.previous, null);
    assert.deepEqual(
      list.body.results.map((p: any) => p.id),
      [closed.id, older.id],
    );
    assert.equal(list.body.results[1].options.length, 3);

    const alias = await call(app, 'GET', `${API}/polls/?trip=${t.tripId}`, { token: t.viewer.access });
    assert.equal(alias.body.count, 2);
    const active = await call(app, 'GET', `${API}/polls/?trip=${t.tripId}&is_active=true`, {
      token: t.viewer.access,
    });
    assert.deepEqual(
      active.body.results.map((p: any) => p.id),
      [older.id],
    );
    const inactive = await call(app, 'GET', `${API}/polls/?trip=${t.tripId}&is_active=false`, {
      token: t.viewer.access,
    });
    assert.deepEqual(
      inactive.body.results.map((p: any) => p.id),
      [closed.id],
    );
    const paged = await call(app, 'GET', `${API}/polls/?trip=${t.tripId}&page_size=1`, {
      token: t.viewer.access,
    });
    assert.equal(paged.body.results.length, 1);
    assert.match(paged.body.next, /page=2/);
  });

  it('requires trip_id (400), hides other trips (404)', async () => {
    const t = await setupTrip();
    assertFieldError(
      await call(app, 'GET', `${API}/polls/`, { token: t.owner.access }),
      'trip_id',
      /required/,
    );
    assertFieldError(
      await call(app, 'GET', `${API}/polls/?trip_id=${t.tripId}&trip=${randomUUID()}`, {
        token: t.owner.access,
      }),
      'trip',
    );
    const stranger = await call(app, 'GET', `${API}/polls/?trip_id=${t.tripId}`, {
      token: t.stranger.access,
    });
    assert.equal(stranger.status, 404);
    const unknown = await call(app, 'GET', `${API}/polls/?trip_id=${randomUUID()}`, {
      token: t.owner.access,
    });
    assert.equal(unknown.status, 404);
  });

  it('takes the same number of SQL statements for 2 polls as for 12 (with options and votes)', async () => {
    const t = await setupTrip();
    const voters = await Promise.all([createUser(app), createUser(app), createUser(app)]);
    for (const voter of voters) await addMember(t.tripId, voter, 'viewer');
    const addPolls = async (n: number) => {
      for (let i = 0; i < n; i++) {
        const poll = await createPoll(t.editor, t.tripId, { allow_multiple: i % 2 === 0 });
        for (const [k, voter] of voters.entries()) {
          const response = await vote(voter, poll.id, poll.options[k % 3].id);
          assert.equal(response.status, 201);
        }
      }
    };
    const list = () => call(app, 'GET', `${API}/polls/?trip_id=${t.tripId}`, { token: voters[0]!.access });
    await addPolls(2);
    const small = await countQueries(list);
    assert.equal(small.result.body.count, 2);
    await addPolls(10);
    const large = await countQueries(list);
    assert.equal(large.result.body.count, 12);
    assert.equal(large.result.body.results[0].total_votes, 3);
    assert.equal(large.count, small.count, large.statements.join('\n'));

    const pollId = large.result.body.results[0].id;
    const detail = await countQueries(() =>
      call(app, 'GET', `${API}/polls/${pollId}/`, { token: t.owner.access }),
    );
    const results = await countQueries(() =>
      call(app, 'GET', `${API}/polls/${pollId}/results/`, { token: t.owner.access }),
    );
    const fresh = await createPoll(t.editor, t.tripId);
    const emptyDetail = await countQueries(() =>
      call(app, 'GET', `${API}/polls/${fresh.id}/`, { token: t.owner.access }),
    );
    const emptyResults = await countQueries(() =>
      call(app, 'GET', `${API}/polls/${fresh.id}/results/`, { token: t.owner.access }),
    );
    assert.equal(detail.count, emptyDetail.count);
    assert.equal(results.count, emptyResults.count);
  });
});

describe('GET/PATCH/PUT/DELETE polls/{id}/', () => {
  it('members read a poll with its ETag; strangers get 404', async () => {
    const t = await setupTrip();
    const poll = await createPoll(t.owner, t.tripId);
    const read = await call(app, 'GET', `${API}/polls/${poll.id}/`, { token: t.viewer.access });
    assert.equal(read.status, 200);
    assert.equal(read.headers.etag, '"1"');
    assert.deepEqual({ ...read.body, is_open: true }, poll);
    assert.equal(
      (await call(app, 'GET', `${API}/polls/${poll.id}/`, { token: t.stranger.access })).status,
      404,
    );
    assert.equal(
      (await call(app, 'GET', `${API}/polls/${randomUUID()}/`, { token: t.owner.access })).status,
      404,
    );
    assert.equal((await call(app, 'GET', `${API}/polls/nope/`, { token: t.owner.access })).status, 404);
  });

  it('the creator closes, reopens, moves and removes the deadline, rewords; each write is logged', async () => {
    const t = await setupTrip();
    const poll = await createPoll(t.editor, t.tripId);
    const patch = (body: unknown, method: 'PATCH' | 'PUT' = 'PATCH') =>
      call(app, method, `${API}/polls/${poll.id}/`, { token: t.editor.access, body });

    const closed = await patch({ is_active: false });
    assert.equal(closed.status, 200);
    assert.equal(closed.body.is_active, false);
    assert.equal(closed.body.is_open, false);
    assert.equal(closed.body.version, 2);
    assert.equal(closed.headers.etag, '"2"');
    const reopened = await patch({ is_active: true }, 'PUT');
    assert.equal(reopened.status, 200);
    assert.equal(reopened.body.is_open, true);
    const deadline = future(3_600_000);
    const moved = await patch({ closes_at: deadline, question: ' Dinner? ', description: 'Sat' });
    assert.equal(new Date(moved.body.closes_at).getTime(), new Date(deadline).getTime());
    assert.equal(moved.body.question, 'Dinner?');
    assert.equal(moved.body.description, 'Sat');
    const cleared = await patch({ closes_at: null });
    assert.equal(cleared.body.closes_at, null);
    assert.equal(cleared.body.version, 5);
    const unchanged = await patch({ question: 'Dinner?' });
    assert.equal(unchanged.body.version, 5, 'no change, no new version');

    const log = await changesOf(poll.id);
    assert.deepEqual(
      log.map((c) => [c.op, c.version, [...c.fields].sort()]),
      [
        ['insert', 1, ['allow_multiple', 'closes_at', 'description', 'is_active', 'options', 'question']],
        ['update', 2, ['is_active']],
        ['update', 3, ['is_active']],
        ['update', 4, ['closes_at', 'description', 'question']],
        ['update', 5, ['closes_at']],
      ],
    );
  });

  it('refuses a past deadline or blank question and writes nothing', async () => {
    const t = await setupTrip();
    const poll = await createPoll(t.owner, t.tripId);
    const past = await call(app, 'PATCH', `${API}/polls/${poll.id}/`, {
      token: t.owner.access,
      body: { closes_at: new Date(Date.now() - 1000).toISOString(), question: 'New?' },
    });
    assertFieldError(past, 'closes_at', /future/);
    const blank = await call(app, 'PATCH', `${API}/polls/${poll.id}/`, {
      token: t.owner.access,
      body: { question: '  ' },
    });
    assertFieldError(blank, 'question');
    const [row] = await db.select().from(polls).where(eq(polls.id, poll.id));
    assert.equal(row!.version, 1);
    assert.equal(row!.question, 'Where to eat?');
    assert.equal((await changesOf(poll.id)).length, 1);
  });

  it('an editor who is not the creator gets 403; a trip owner may edit and delete', async () => {
    const t = await setupTrip();
    const otherEditor = await createUser(app);
    await addMember(t.tripId, otherEditor, 'editor');
    const poll = await createPoll(t.editor, t.tripId);
    const url = `${API}/polls/${poll.id}/`;
    for (const user of [otherEditor, t.viewer]) {
      assert.equal(
        (await call(app, 'PATCH', url, { token: user.access, body: { is_active: false } })).status,
        403,
      );
      assert.equal((await call(app, 'DELETE', url, { token: user.access })).status, 403);
    }
    assert.equal((await call(app, 'PATCH', url, { token: t.stranger.access, body: {} })).status, 404);
    assert.equal((await call(app, 'DELETE', url, { token: t.stranger.access })).status, 404);
    assert.equal((await changesOf(poll.id)).length, 1, 'refused writes leave no change');

    const byOwner = await call(app, 'PATCH', url, { token: t.owner.access, body: { is_active: false } });
    assert.equal(byOwner.status, 200);
    assert.equal(byOwner.body.is_active, false);
    const deleted = await call(app, 'DELETE', url, { token: t.owner.access });
    assert.equal(deleted.status, 204);
    assert.equal((await call(app, 'GET', url, { token: t.owner.access })).status, 404);
    assert.equal((await pollRowsIn(t.tripId)).length, 0);
    const last = (await changesOf(poll.id)).at(-1)!;
    assert.equal(last.op, 'delete');
    assert.equal(last.version, 3);
    assert.equal(last.actorId, t.owner.id);
  });

  it('every vote and withdrawal bumps the poll version once, and its logged version is the stored one', async () => {
    const t = await setupTrip();
    const poll = await createPoll(t.editor, t.tripId);
    const url = `${API}/polls/${poll.id}/vote/`;
    assert.equal((await vote(t.viewer, poll.id, poll.options[0].id)).status, 201);
    assert.equal((await vote(t.viewer, poll.id, poll.options[1].id)).status, 201, 'a replacing vote');
    assert.equal((await call(app, 'DELETE', url, { token: t.viewer.access })).status, 200);
    assert.equal((await vote(t.viewer, poll.id, poll.options[0].id)).status, 201);
    const [row] = await db.select().from(polls).where(eq(polls.id, poll.id));
    assert.equal(row!.version, 1 + 4);
    assert.ok(row!.updatedAt.getTime() >= row!.createdAt.getTime());
    const logged = (await changesOf(poll.id)).filter((c) => c.op === 'update');
    assert.deepEqual(
      logged.map((c) => c.version),
      [2, 3, 4, 5],
    );
    const detail = await call(app, 'GET', `${API}/polls/${poll.id}/`, { token: t.viewer.access });
    assert.equal(detail.body.version, 5);
    assert.equal(detail.body.total_votes, 1);
  });

  it('the creator may delete its poll; its votes go with it', async () => {
    const t = await setupTrip();
    const poll = await createPoll(t.editor, t.tripId);
    assert.equal((await vote(t.viewer, poll.id, poll.options[0].id)).status, 201);
    const deleted = await call(app, 'DELETE', `${API}/polls/${poll.id}/`, { token: t.editor.access });
    assert.equal(deleted.status, 204);
    assert.equal((await votesIn(poll.id)).length, 0);
  });

  it('If-Match: a stale version is a 412 with the current object; the right one passes', async () => {
    const t = await setupTrip();
    const poll = await createPoll(t.owner, t.tripId);
    const url = `${API}/polls/${poll.id}/`;
    await call(app, 'PATCH', url, { token: t.owner.access, body: { description: 'v2' } });
    const stale = await call(app, 'PATCH', url, {
      token: t.owner.access,
      body: { question: 'Lost?' },
      headers: { 'if-match': '"1"' },
    });
    assert.equal(stale.status, 412);
    assert.equal(stale.body.error.type, 'precondition_failed');
    assert.equal(stale.body.error.details.current.id, poll.id);
    assert.equal(stale.body.error.details.current.version, 2);
    assert.equal(stale.body.error.details.current.description, 'v2');
    const staleDelete = await call(app, 'DELETE', url, {
      token: t.owner.access,
      headers: { 'if-match': '"1"' },
    });
    assert.equal(staleDelete.status, 412);
    assert.equal((await pollRowsIn(t.tripId)).length, 1);

    const current = await call(app, 'GET', url, { token: t.owner.access });
    const ok = await call(app, 'PATCH', url, {
      token: t.owner.access,
      body: { question: 'Kept?' },
      headers: { 'if-match': String(current.headers.etag) },
    });
    assert.equal(ok.status, 200);
    assert.equal(ok.body.question, 'Kept?');
    const gone = await call(app, 'DELETE', url, { token: t.owner.access, headers: { 'if-match': '"3"' } });
    assert.equal(gone.status, 204);
  });
});

describe('POST/DELETE polls/{id}/vote/ and GET results/', () => {
  it('a viewer votes; strangers get 404; a single-choice vote replaces the previous one', async () => {
    const t = await setupTrip();
    const poll = await createPoll(t.editor, t.tripId);
    const [a, b] = poll.options;
    const first = await vote(t.viewer, poll.id, a.id);
    assert.equal(first.status, 201, first.text);
    assert.deepEqual(Object.keys(first.body).sort(), ['options', 'poll_id', 'question', 'total_votes']);
    assert.equal(first.body.poll_id, poll.id);
    assert.equal(first.body.total_votes, 1);
    assert.deepEqual(
      first.body.options.map((o: any) => [o.id, o.vote_count, o.user_voted]),
      [
        [a.id, 1, true],
        [b.id, 0, false],
        [poll.options[2].id, 0, false],
      ],
    );
    const replaced = await vote(t.viewer, poll.id, b.id);
    assert.equal(replaced.status, 201);
    assert.deepEqual(
      replaced.body.options.map((o: any) => o.vote_count),
      [0, 1, 0],
    );
    const rows = await votesIn(poll.id);
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.optionId, b.id);
    assert.equal((await vote(t.stranger, poll.id, a.id)).status, 404);
    assert.equal((await vote(t.viewer, randomUUID(), a.id)).status, 404);

    const detail = await call(app, 'GET', `${API}/polls/${poll.id}/`, { token: t.viewer.access });
    assert.equal(detail.body.user_has_voted, true);
    assert.equal(detail.body.total_votes, 1);
    assert.equal(detail.body.version, 3, 'each vote bumps the poll version');
    const ownerView = await call(app, 'GET', `${API}/polls/${poll.id}/`, { token: t.owner.access });
    assert.equal(ownerView.body.user_has_voted, false);
  });

  it('allow_multiple keeps several votes; the same option twice is a 400', async () => {
    const t = await setupTrip();
    const poll = await createPoll(t.owner, t.tripId, { allow_multiple: true });
    const [a, b, c] = poll.options;
    assert.equal((await vote(t.viewer, poll.id, a.id)).status, 201);
    const second = await vote(t.viewer, poll.id, c.id);
    assert.equal(second.status, 201);
    assert.deepEqual(
      second.body.options.map((o: any) => [o.vote_count, o.user_voted]),
      [
        [1, true],
        [0, false],
        [1, true],
      ],
    );
    assert.equal(second.body.total_votes, 2, 'total_votes counts votes, not voters');
    assertFieldError(await vote(t.viewer, poll.id, a.id), 'option_id', /already voted/);
    assert.equal((await votesIn(poll.id)).length, 2);
    assert.equal((await vote(t.editor, poll.id, b.id)).status, 201);

    const single = await createPoll(t.owner, t.tripId);
    assert.equal((await vote(t.viewer, single.id, single.options[0].id)).status, 201);
    assertFieldError(await vote(t.viewer, single.id, single.options[0].id), 'option_id', /already voted/);
    assert.equal((await votesIn(single.id)).length, 1);
  });

  it('refuses an option of another poll or a malformed one, writing nothing', async () => {
    const t = await setupTrip();
    const poll = await createPoll(t.owner, t.tripId);
    const other = await createPoll(t.owner, t.tripId);
    assertFieldError(await vote(t.viewer, poll.id, other.options[0].id), 'option_id', /does not belong/);
    assertFieldError(await vote(t.viewer, poll.id, randomUUID()), 'option_id');
    assertFieldError(await vote(t.viewer, poll.id, 'abc'), 'option_id');
    assertFieldError(
      await call(app, 'POST', `${API}/polls/${poll.id}/vote/`, { token: t.viewer.access, body: {} }),
      'option_id',
      /required/,
    );
    assert.equal((await votesIn(poll.id)).length, 0);
    assert.equal((await votesIn(other.id)).length, 0);
    assert.equal((await changesOf(poll.id)).length, 1);
  });

  it('a closed poll takes no votes and keeps its results', async () => {
    const t = await setupTrip();
    const poll = await createPoll(t.editor, t.tripId);
    assert.equal((await vote(t.viewer, poll.id, poll.options[0].id)).status, 201);
    await call(app, 'PATCH', `${API}/polls/${poll.id}/`, {
      token: t.editor.access,
      body: { is_active: false },
    });
    const refused = await vote(t.owner, poll.id, poll.options[1].id);
    assert.equal(refused.status, 400);
    assert.equal(refused.body.error.type, 'poll_closed');
    assert.ok(refused.body.error.details.non_field_errors);
    const withdraw = await call(app, 'DELETE', `${API}/polls/${poll.id}/vote/`, { token: t.viewer.access });
    assert.equal(withdraw.status, 400);
    assert.equal(withdraw.body.error.type, 'poll_closed');
    assert.equal((await votesIn(poll.id)).length, 1);
  });

  it('a poll past closes_at takes no votes', async () => {
    const t = await setupTrip();
    const closesAt = Date.now() + 1500;
    const poll = await createPoll(t.owner, t.tripId, { closes_at: new Date(closesAt).toISOString() });
    assert.equal(poll.is_open, true);
    assert.equal((await vote(t.viewer, poll.id, poll.options[0].id)).status, 201);
    await sleep(closesAt - Date.now() + 250);
    const late = await vote(t.editor, poll.id, poll.options[0].id);
    assert.equal(late.status, 400);
    assert.equal(late.body.error.type, 'poll_closed');
    const detail = await call(app, 'GET', `${API}/polls/${poll.id}/`, { token: t.owner.access });
    assert.equal(detail.body.is_active, true);
    assert.equal(detail.body.is_open, false);
    assert.equal((await votesIn(poll.id)).length, 1);
  });

  it('withdraws a vote by body, by query, or (single choice) without option_id', async () => {
    const t = await setupTrip();
    const multi = await createPoll(t.owner, t.tripId, { allow_multiple: true });
    const [a, b] = multi.options;
    await vote(t.viewer, multi.id, a.id);
    await vote(t.viewer, multi.id, b.id);
    const url = `${API}/polls/${multi.id}/vote/`;
    assertFieldError(await call(app, 'DELETE', url, { token: t.viewer.access }), 'option_id', /several/);
    const byBody = await call(app, 'DELETE', url, { token: t.viewer.access, body: { option_id: a.id } });
    assert.equal(byBody.status, 200, byBody.text);
    assert.deepEqual(
      byBody.body.options.map((o: any) => [o.vote_count, o.user_voted]),
      [
        [0, false],
        [1, true],
        [0, false],
      ],
    );
    const byQuery = await call(app, 'DELETE', `${url}?option_id=${b.id}`, { token: t.viewer.access });
    assert.equal(byQuery.status, 200);
    assert.equal(byQuery.body.total_votes, 0);
    assertFieldError(
      await call(app, 'DELETE', `${url}?option_id=${b.id}`, { token: t.viewer.access }),
      'option_id',
      /not voted/,
    );

    const single = await createPoll(t.owner, t.tripId);
    const singleUrl = `${API}/polls/${single.id}/vote/`;
    assertFieldError(
      await call(app, 'DELETE', singleUrl, { token: t.viewer.access }),
      'option_id',
      /not voted/,
    );
    await vote(t.viewer, single.id, single.options[2].id);
    const bare = await call(app, 'DELETE', singleUrl, { token: t.viewer.access });
    assert.equal(bare.status, 200);
    assert.equal(bare.body.total_votes, 0);
    assert.equal((await votesIn(single.id)).length, 0);
    assert.equal((await call(app, 'DELETE', singleUrl, { token: t.stranger.access })).status, 404);
  });

  it('results count every member’s votes and mark the caller’s', async () => {
    const t = await setupTrip();
    const poll = await createPoll(t.owner, t.tripId);
    const [a, b, c] = poll.options;
    await vote(t.owner, poll.id, a.id);
    await vote(t.editor, poll.id, a.id);
    await vote(t.viewer, poll.id, c.id);
    const results = await call(app, 'GET', `${API}/polls/${poll.id}/results/`, { token: t.viewer.access });
    assert.equal(results.status, 200);
    assert.deepEqual(results.body, {
      poll_id: poll.id,
      question: poll.question,
      total_votes: 3,
      options: [
        { id: a.id, text: a.text, order: 0, vote_count: 2, user_voted: false },
        { id: b.id, text: b.text, order: 1, vote_count: 0, user_voted: false },
        { id: c.id, text: c.text, order: 2, vote_count: 1, user_voted: true },
      ],
    });
    const stranger = await call(app, 'GET', `${API}/polls/${poll.id}/results/`, { token: t.stranger.access });
    assert.equal(stranger.status, 404);
  });

  it('logs vote inserts and deletes, and a poll update for the new counts', async () => {
    const t = await setupTrip();
    const poll = await createPoll(t.owner, t.tripId);
    const [a, b] = poll.options;
    await vote(t.viewer, poll.id, a.id);
    const [firstVote] = await votesIn(poll.id);
    await vote(t.viewer, poll.id, b.id);
    const [secondVote] = await votesIn(poll.id);
    await call(app, 'DELETE', `${API}/polls/${poll.id}/vote/`, { token: t.viewer.access });

    const voteLog = await db
      .select()
      .from(changes)
      .where(and(eq(changes.tripId, t.tripId), eq(changes.entity, 'vote')))
      .orderBy(asc(changes.seq));
    assert.deepEqual(
      voteLog.map((c) => [c.entityId, c.op, c.actorId]),
      [
        [firstVote!.id, 'insert', t.viewer.id],
        [firstVote!.id, 'delete', t.viewer.id],
        [secondVote!.id, 'insert', t.viewer.id],
        [secondVote!.id, 'delete', t.viewer.id],
      ],
    );
    const pollLog = await changesOf(poll.id);
    assert.deepEqual(
      pollLog.map((c) => [c.op, c.version, c.fields]),
      [
        ['insert', 1, ['question', 'description', 'is_active', 'closes_at', 'allow_multiple', 'options']],
        ['update', 2, ['options', 'total_votes']],
        ['update', 3, ['options', 'total_votes']],
        ['update', 4, ['options', 'total_votes']],
      ],
    );
  });

  it('20 concurrent votes by 20 users are each counted exactly once', async () => {
    const t = await setupTrip();
    const poll = await createPoll(t.owner, t.tripId);
    const voters = await Promise.all(Array.from({ length: 20 }, () => createUser(app)));
    for (const voter of voters) await addMember(t.tripId, voter, 'viewer');
    const responses = await Promise.all(
      voters.map((voter, i) => vote(voter, poll.id, poll.options[i % 3].id)),
    );
    assert.deepEqual(
      responses.map((r) => r.status),
      voters.map(() => 201),
    );
    // Votes on one poll run one after another, and each answers the counts as of its own vote:
    // every total from 1 to 20 exactly once (a ballot read before a lock wait would repeat one).
    assert.deepEqual(
      responses.map((r) => r.body.total_votes).sort((a: number, b: number) => a - b),
      voters.map((_, i) => i + 1),
    );
    const results = await call(app, 'GET', `${API}/polls/${poll.id}/results/`, { token: t.owner.access });
    assert.equal(results.body.total_votes, 20);
    assert.deepEqual(
      results.body.options.map((o: any) => o.vote_count),
      [7, 7, 6],
    );
    assert.equal((await votesIn(poll.id)).length, 20);
    const [row] = await db.select().from(polls).where(eq(polls.id, poll.id));
    assert.equal(row!.version, 21, 'every vote bumped the version once, none lost');
  });

  it('a concurrent double vote by one user on a single-choice poll leaves exactly one vote', async () => {
    const t = await setupTrip();
    const poll = await createPoll(t.owner, t.tripId);
    const [a, b, c] = poll.options;
    const different = await Promise.all([
      vote(t.viewer, poll.id, a.id),
      vote(t.viewer, poll.id, b.id),
      vote(t.viewer, poll.id, c.id),
    ]);
    assert.deepEqual(
      different.map((r) => r.status),
      [201, 201, 201],
    );
    assert.equal((await votesIn(poll.id)).length, 1);

    const same = await Promise.all([vote(t.editor, poll.id, a.id), vote(t.editor, poll.id, a.id)]);
    assert.deepEqual(same.map((r) => r.status).sort(), [201, 400]);
    const mine = (await votesIn(poll.id)).filter((v) => v.userId === t.editor.id);
    assert.equal(mine.length, 1);
  });
});
