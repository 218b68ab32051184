import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { and, eq } from 'drizzle-orm';
import { tripMembers } from '../src/db/schema/index.ts';
import { inTransaction } from '../src/modules/changes/unit-of-work.ts';
import { createItem } from '../src/modules/itineraries/create-item.ts';
import { buildTestApp, call } from './helpers/app.ts';
import { testDatabase } from './helpers/database.ts';
import { createUser, type TestUser } from './helpers/factories.ts';
import { OfflineClient } from './sync-harness.ts';

const { app } = await buildTestApp();
const { kind } = await testDatabase();
const API = '/api/v1';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function ok(user: TestUser, method: 'POST' | 'PATCH', url: string, body?: unknown) {
  const response = await call(app, method, `${API}${url}`, { token: user.access, body });
  assert.ok(response.status < 300, `${method} ${url}: ${response.status} ${response.text}`);
  return response.body;
}

describe('sync feed under concurrent writers', () => {
  it(
    'never skips a change committed while a page was being read (snapshot start and log)',
    { skip: kind === 'pglite' ? 'PGlite has a single connection: writers cannot overlap' : false },
    async () => {
      const owner = await createUser(app);
      const trip = await ok(owner, 'POST', '/trips/', {
        title: 'Busy',
        start_date: '2030-01-01',
        end_date: '2030-01-31',
      });
      // One day per writer: items of one day queue on the day's lock, separate days overlap freely.
      const days = [];
      for (let d = 0; d < 6; d++)
        days.push(
          await ok(owner, 'POST', '/itineraries/', {
            trip: trip.id,
            date: `2030-01-${String(d + 1).padStart(2, '0')}`,
          }),
        );
      const written = new Set<string>();
      let writing = true;

      // REST writers: create items, then edit each (upserts must show the last edit).
      const restWriters = days.slice(0, 4).map(async (day, w) => {
        for (let i = 0; i < 12; i++) {
          const item = await ok(owner, 'POST', `/itineraries/${day.id}/items/`, { title: `w${w}-${i}` });
          written.add(item.id);
          await ok(owner, 'PATCH', `/itineraries/items/${item.id}/`, { description: `edited ${i}` });
        }
      });
      // Slow writers hold their transaction open after writing, so commits land out of sequence order:
      // exactly what a plain sequence cursor gets wrong.
      const slowWriters = days.slice(4).map(async (day) => {
        for (let i = 0; i < 10; i++) {
          const id = randomUUID();
          await inTransaction(app.ctx, async (unit) => {
            await createItem(unit, { userId: owner.id, dayId: day.id, input: { id, title: `slow ${i}` } });
            await sleep(Math.random() * 25);
          });
          written.add(id);
        }
      });
      // The reader starts from nothing while the writers run, then follows the log in small pages.
      const reader = new OfflineClient(app, owner);
      const reading = (async () => {
        await sleep(5);
        while (writing) {
          await reader.pull(7);
          await sleep(3);
        }
      })();
      await Promise.all([...restWriters, ...slowWriters]);
      writing = false;
      await reading;
      await reader.pull();

      const held = new Set(reader.all('item').map((h) => h.id));
      const missing = [...written].filter((id) => !held.has(id));
      assert.deepEqual(missing, [], 'every committed item reached the reader');
      assert.equal(held.size, written.size);
      assert.ok(
        reader
          .all('item')
          .every((h) => h.object.title.startsWith('slow') || h.object.description.startsWith('edited')),
      );
      const fresh = new OfflineClient(app, owner);
      await fresh.pull();
      assert.deepEqual(reader.state(), fresh.state());
      assert.ok(reader.pages > 5, `the reader polled while writers ran (${reader.pages} pages)`);
    },
  );

  it(
    'never skips a membership change committed late: joins and leaves held open while pages are read',
    { skip: kind === 'pglite' ? 'PGlite has a single connection: writers cannot overlap' : false },
    async () => {
      const owner = await createUser(app);
      const member = await createUser(app);
      const trips: string[] = [];
      for (let t = 0; t < 12; t++) {
        const trip = await ok(owner, 'POST', '/trips/', { title: `Trip ${t}` });
        await ok(owner, 'POST', `/itineraries/`, { trip: trip.id, date: '2030-02-01' });
        trips.push(trip.id);
      }
      // The member starts in the odd trips; slow transactions join the even ones and leave the odd.
      for (const tripId of trips.filter((_, t) => t % 2))
        await ok(owner, 'POST', `/trips/${tripId}/collaborators/${member.id}/`, { role: 'viewer' });
      const reader = new OfflineClient(app, member);
      await reader.pull(3);
      let writing = true;
      const writers = trips.map(async (tripId, t) => {
        await sleep(Math.random() * 40);
        await inTransaction(app.ctx, async (unit) => {
          if (t % 2 === 0)
            await unit.tx.insert(tripMembers).values({ tripId, userId: member.id, role: 'editor' });
          else
            await unit.tx
              .delete(tripMembers)
              .where(and(eq(tripMembers.tripId, tripId), eq(tripMembers.userId, member.id)));
          await sleep(Math.random() * 30);
        });
      });
      const reading = (async () => {
        while (writing) {
          await reader.pull(4);
          await sleep(2);
        }
      })();
      await Promise.all(writers);
      writing = false;
      await reading;
      await reader.pull();
      assert.deepEqual(
        reader
          .all('trip')
          .map((h) => h.id)
          .sort(),
        trips.filter((_, t) => t % 2 === 0).sort(),
      );
      const fresh = new OfflineClient(app, member);
      await fresh.pull();
      assert.deepEqual(reader.state(), fresh.state());
    },
  );
});
