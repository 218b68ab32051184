/**
 * Every trip-scoped endpoint × {anonymous, stranger, viewer, editor, owner}: the expected status
 * of each cell is written in the table below, and each cell runs against a fresh trip so one
 * cell's writes (a delete, a leave) cannot change another's answer.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { invitations, tripMembers } from '../src/db/schema/index.ts';
import { hashToken } from '../src/modules/auth/refresh-tokens.ts';
import { buildTestApp, call } from './helpers/app.ts';
import { testDatabase } from './helpers/database.ts';
import { createUser, uniqueEmail, type TestUser } from './helpers/factories.ts';

const { app } = await buildTestApp();
const { db } = await testDatabase();

const ACTORS = ['anonymous', 'stranger', 'viewer', 'editor', 'owner'] as const;
type Actor = (typeof ACTORS)[number];

interface Fixture {
  trip: string;
  day: string;
  item: string;
  poll: string;
  option: string;
  invitation: string;
  /** A member who is neither the actor nor an owner, as the target of removals and role changes. */
  bystander: TestUser;
  /** A registered user outside the trip, for direct adds. */
  outsider: TestUser;
}

const people: Record<Exclude<Actor, 'anonymous'>, TestUser> = {
  stranger: await createUser(app),
  viewer: await createUser(app),
  editor: await createUser(app),
  owner: await createUser(app),
};

async function ok(method: 'POST' | 'GET', url: string, token: string, body?: unknown) {
  const response = await call(app, method, url, { token, body });
  assert.ok(response.status < 300, `${method} ${url}: ${response.status} ${response.text}`);
  return response.body;
}

/** A fresh trip owned by `owner` with an editor, a viewer, a bystander, a day with an item, a poll and an invitation. */
async function fixture(): Promise<Fixture> {
  const owner = people.owner.access;
  const trip = (await ok('POST', '/api/v1/trips/', owner, { title: 'Matrix trip' })).id;
  const bystander = await createUser(app);
  const outsider = await createUser(app);
  await db.insert(tripMembers).values([
    { tripId: trip, userId: people.editor.id, role: 'editor' },
    { tripId: trip, userId: people.viewer.id, role: 'viewer' },
    { tripId: trip, userId: bystander.id, role: 'viewer' },
  ]);
  const day = (await ok('POST', '/api/v1/itineraries/', owner, { trip, date: '2027-01-01' })).id;
  const item = (await ok('POST', `/api/v1/itineraries/${day}/items/`, owner, { title: 'Breakfast' })).id;
  const poll = await ok('POST', '/api/v1/polls/', owner, {
    trip,
    question: 'Where?',
    options: ['Here', 'There'],
  });
  const [invitation] = await db
    .insert(invitations)
    .values({
      tripId: trip,
      email: uniqueEmail('invitee'),
      role: 'viewer',
      tokenHash: hashToken(randomUUID()),
      invitedById: people.owner.id,
      expiresAt: new Date(Date.now() + 86_400_000),
    })
    .returning();
  return {
    trip,
    day,
    item,
    poll: poll.id,
    option: poll.options[0].id,
    invitation: invitation!.id,
    bystander,
    outsider,
  };
}

type Request = { method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'; url: string; body?: unknown };
type Cell = (f: Fixture, actor: Actor) => Request | Promise<Request>;
// anonymous, stranger, viewer, editor, owner
type Expect = [number, number, number, number, number];

const MATRIX: [string, Cell, Expect][] = [
  // trips
  ['GET trips/', () => ({ method: 'GET', url: '/api/v1/trips/' }), [401, 200, 200, 200, 200]],
  [
    'POST trips/',
    () => ({ method: 'POST', url: '/api/v1/trips/', body: { title: 'Another' } }),
    [401, 201, 201, 201, 201],
  ],
  ['GET trips/{id}', (f) => ({ method: 'GET', url: `/api/v1/trips/${f.trip}/` }), [401, 404, 200, 200, 200]],
  [
    'PATCH trips/{id}',
    (f) => ({ method: 'PATCH', url: `/api/v1/trips/${f.trip}/`, body: { title: 'Renamed' } }),
    [401, 404, 403, 200, 200],
  ],
  [
    'PUT trips/{id}',
    (f) => ({ method: 'PUT', url: `/api/v1/trips/${f.trip}/`, body: { title: 'Replaced' } }),
    [401, 404, 403, 200, 200],
  ],
  [
    'DELETE trips/{id}',
    (f) => ({ method: 'DELETE', url: `/api/v1/trips/${f.trip}/` }),
    [401, 404, 403, 403, 204],
  ],
  // collaborators
  [
    'GET trips/{id}/collaborators',
    (f) => ({ method: 'GET', url: `/api/v1/trips/${f.trip}/collaborators/` }),
    [401, 404, 200, 200, 200],
  ],
  [
    'POST trips/{id}/invite (new email)',
    (f) => ({
      method: 'POST',
      url: `/api/v1/trips/${f.trip}/invite/`,
      body: { email: uniqueEmail('new'), role: 'viewer' },
    }),
    [401, 404, 403, 202, 202],
  ],
  [
    'POST trips/{id}/invite (existing user)',
    (f) => ({
      method: 'POST',
      url: `/api/v1/trips/${f.trip}/invite/`,
      body: { email: f.outsider.email, role: 'editor' },
    }),
    [401, 404, 403, 201, 201],
  ],
  [
    'POST trips/{id}/invite (as owner)',
    (f) => ({
      method: 'POST',
      url: `/api/v1/trips/${f.trip}/invite/`,
      body: { email: f.outsider.email, role: 'owner' },
    }),
    [401, 404, 403, 403, 201],
  ],
  [
    'POST trips/{id}/collaborators/{user}',
    (f) => ({
      method: 'POST',
      url: `/api/v1/trips/${f.trip}/collaborators/${f.outsider.id}/`,
      body: { role: 'viewer' },
    }),
    [401, 404, 403, 201, 201],
  ],
  [
    'PATCH trips/{id}/collaborators/{user}',
    (f) => ({
      method: 'PATCH',
      url: `/api/v1/trips/${f.trip}/collaborators/${f.bystander.id}/`,
      body: { role: 'editor' },
    }),
    [401, 404, 403, 403, 200],
  ],
  [
    'DELETE trips/{id}/collaborators/{other}',
    (f) => ({ method: 'DELETE', url: `/api/v1/trips/${f.trip}/collaborators/${f.bystander.id}/` }),
    [401, 404, 403, 403, 204],
  ],
  // Leaving: any member may remove themself, except the last owner.
  [
    'DELETE trips/{id}/collaborators/{self}',
    (f, actor) => ({
      method: 'DELETE',
      url: `/api/v1/trips/${f.trip}/collaborators/${actor === 'anonymous' ? f.bystander.id : people[actor].id}/`,
    }),
    [401, 404, 204, 204, 400],
  ],
  [
    'GET trips/{id}/invitations',
    (f) => ({ method: 'GET', url: `/api/v1/trips/${f.trip}/invitations/` }),
    [401, 404, 403, 200, 200],
  ],
  [
    'DELETE trips/{id}/invitations/{inv}',
    (f) => ({ method: 'DELETE', url: `/api/v1/trips/${f.trip}/invitations/${f.invitation}/` }),
    [401, 404, 403, 204, 204],
  ],
  // itineraries and items
  [
    'GET itineraries/?trip_id',
    (f) => ({ method: 'GET', url: `/api/v1/itineraries/?trip_id=${f.trip}` }),
    [401, 404, 200, 200, 200],
  ],
  [
    'POST itineraries/',
    (f) => ({ method: 'POST', url: '/api/v1/itineraries/', body: { trip: f.trip, date: '2027-01-02' } }),
    [401, 404, 403, 201, 201],
  ],
  [
    'GET itineraries/{day}',
    (f) => ({ method: 'GET', url: `/api/v1/itineraries/${f.day}/` }),
    [401, 404, 200, 200, 200],
  ],
  [
    'PATCH itineraries/{day}',
    (f) => ({ method: 'PATCH', url: `/api/v1/itineraries/${f.day}/`, body: { title: 'Arrival' } }),
    [401, 404, 403, 200, 200],
  ],
  [
    'DELETE itineraries/{day}',
    (f) => ({ method: 'DELETE', url: `/api/v1/itineraries/${f.day}/` }),
    [401, 404, 403, 204, 204],
  ],
  [
    'GET itineraries/{day}/items',
    (f) => ({ method: 'GET', url: `/api/v1/itineraries/${f.day}/items/` }),
    [401, 404, 200, 200, 200],
  ],
  [
    'POST itineraries/{day}/items',
    (f) => ({ method: 'POST', url: `/api/v1/itineraries/${f.day}/items/`, body: { title: 'Lunch' } }),
    [401, 404, 403, 201, 201],
  ],
  [
    'POST itineraries/{day}/items/reorder',
    (f) => ({
      method: 'POST',
      url: `/api/v1/itineraries/${f.day}/items/reorder/`,
      body: { item_ids: [f.item] },
    }),
    [401, 404, 403, 200, 200],
  ],
  [
    'GET itineraries/items/{item}',
    (f) => ({ method: 'GET', url: `/api/v1/itineraries/items/${f.item}/` }),
    [401, 404, 200, 200, 200],
  ],
  [
    'PATCH itineraries/items/{item}',
    (f) => ({ method: 'PATCH', url: `/api/v1/itineraries/items/${f.item}/`, body: { location: 'Café' } }),
    [401, 404, 403, 200, 200],
  ],
  [
    'PATCH itinerary-items/{item} (alias)',
    (f) => ({ method: 'PATCH', url: `/api/v1/itinerary-items/${f.item}/`, body: { location: 'Bar' } }),
    [401, 404, 403, 200, 200],
  ],
  [
    'DELETE itineraries/items/{item}',
    (f) => ({ method: 'DELETE', url: `/api/v1/itineraries/items/${f.item}/` }),
    [401, 404, 403, 204, 204],
  ],
  // polls (created by the owner: an editor who did not create it may not edit it)
  [
    'GET polls/?trip_id',
    (f) => ({ method: 'GET', url: `/api/v1/polls/?trip_id=${f.trip}` }),
    [401, 404, 200, 200, 200],
  ],
  [
    'POST polls/',
    (f) => ({
      method: 'POST',
      url: '/api/v1/polls/',
      body: { trip: f.trip, question: 'When?', options: ['Now', 'Later'] },
    }),
    [401, 404, 403, 201, 201],
  ],
  [
    'GET polls/{poll}',
    (f) => ({ method: 'GET', url: `/api/v1/polls/${f.poll}/` }),
    [401, 404, 200, 200, 200],
  ],
  [
    'PATCH polls/{poll}',
    (f) => ({ method: 'PATCH', url: `/api/v1/polls/${f.poll}/`, body: { is_active: false } }),
    [401, 404, 403, 403, 200],
  ],
  [
    'DELETE polls/{poll}',
    (f) => ({ method: 'DELETE', url: `/api/v1/polls/${f.poll}/` }),
    [401, 404, 403, 403, 204],
  ],
  [
    'POST polls/{poll}/vote',
    (f) => ({ method: 'POST', url: `/api/v1/polls/${f.poll}/vote/`, body: { option_id: f.option } }),
    [401, 404, 201, 201, 201],
  ],
  [
    'DELETE polls/{poll}/vote',
    async (f, actor) => {
      // Each member votes first, so withdrawing is possible.
      if (actor !== 'anonymous' && actor !== 'stranger')
        await ok('POST', `/api/v1/polls/${f.poll}/vote/`, people[actor].access, { option_id: f.option });
      return { method: 'DELETE', url: `/api/v1/polls/${f.poll}/vote/?option_id=${f.option}` };
    },
    [401, 404, 200, 200, 200],
  ],
  [
    'GET polls/{poll}/results',
    (f) => ({ method: 'GET', url: `/api/v1/polls/${f.poll}/results/` }),
    [401, 404, 200, 200, 200],
  ],
];

describe('authorization matrix', () => {
  it(`${MATRIX.length} endpoints × ${ACTORS.length} callers: every status as written`, async () => {
    const mismatches: string[] = [];
    for (const [name, cell, expected] of MATRIX) {
      for (const [index, actor] of ACTORS.entries()) {
        const f = await fixture();
        const request = await cell(f, actor);
        const token = actor === 'anonymous' ? undefined : people[actor].access;
        const response = await call(app, request.method, request.url, { token, body: request.body });
        if (response.status !== expected[index]) {
          mismatches.push(
            `${name} as ${actor}: expected ${expected[index]}, got ${response.status} ${response.text.slice(0, 160)}`,
          );
        } else if (response.status >= 400) {
          assert.equal(response.body.error.code, response.status, `${name} as ${actor}: envelope`);
        }
      }
    }
    assert.deepEqual(mismatches, [], `${mismatches.length} mismatches:\n${mismatches.join('\n')}`);
  });
});
