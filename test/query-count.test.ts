import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { tripMembers } from '../src/db/schema/index.ts';
import { buildTestApp, call } from './helpers/app.ts';
import { countQueries, testDatabase } from './helpers/database.ts';
import { createUser, type TestUser } from './helpers/factories.ts';

const { app } = await buildTestApp();
const { db } = await testDatabase();

/** A user in `n` trips, each with three other collaborators. */
async function userWithTrips(n: number): Promise<TestUser> {
  const me = await createUser(app);
  const friends = [await createUser(app), await createUser(app), await createUser(app)];
  for (let i = 0; i < n; i++) {
    const trip = await call(app, 'POST', '/api/v1/trips/', {
      token: me.access,
      body: { title: `Trip ${i}` },
    });
    await db.insert(tripMembers).values(
      friends.map((f, j) => ({
        tripId: trip.body.id,
        userId: f.id,
        role: j === 0 ? ('editor' as const) : ('viewer' as const),
        invitedById: me.id,
      })),
    );
  }
  return me;
}

describe('queries do not grow with the page', () => {
  it('listing 5 and 50 trips with collaborators takes the same number of SQL statements', async () => {
    const small = await userWithTrips(5);
    const large = await userWithTrips(50);
    const five = await countQueries(() =>
      call(app, 'GET', '/api/v1/trips/?page_size=100', { token: small.access }),
    );
    const fifty = await countQueries(() =>
      call(app, 'GET', '/api/v1/trips/?page_size=100', { token: large.access }),
    );
    assert.equal(five.result.body.results.length, 5);
    assert.equal(fifty.result.body.results.length, 50);
    assert.equal(fifty.result.body.results[0].collaborator_count, 4);
    assert.equal(
      five.count,
      fifty.count,
      `5 trips: ${five.count} statements, 50 trips: ${fifty.count}\n${fifty.statements.join('\n')}`,
    );
    assert.ok(five.count <= 4, `expected at most 4 statements, got ${five.count}`);
  });

  it('trip detail takes a fixed number of statements whatever the collaborator count', async () => {
    const a = await userWithTrips(1);
    const tripA = (await call(app, 'GET', '/api/v1/trips/', { token: a.access })).body.results[0];
    const b = await createUser(app);
    const tripB = (
      await call(app, 'POST', '/api/v1/trips/', { token: b.access, body: { title: 'Big group' } })
    ).body;
    for (let i = 0; i < 12; i++) {
      const friend = await createUser(app);
      await db
        .insert(tripMembers)
        .values({ tripId: tripB.id, userId: friend.id, role: 'viewer', invitedById: b.id });
    }
    const small = await countQueries(() =>
      call(app, 'GET', `/api/v1/trips/${tripA.id}/`, { token: a.access }),
    );
    const large = await countQueries(() =>
      call(app, 'GET', `/api/v1/trips/${tripB.id}/`, { token: b.access }),
    );
    assert.equal(large.result.body.collaborator_count, 13);
    assert.equal(small.count, large.count);
  });
});
