import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { eq } from 'drizzle-orm';
import pino from 'pino';
import { trips } from '../src/db/schema/index.ts';
import { inTransaction } from '../src/modules/changes/unit-of-work.ts';
import { buildTestApp, call } from './helpers/app.ts';
import { testDatabase } from './helpers/database.ts';
import { createUser } from './helpers/factories.ts';
import { services } from './helpers/env.ts';

describe('unit of work', () => {
  it(
    'runs a transaction aborted by a deadlock again, so both writers succeed',
    {
      skip: services.databaseUrl ? false : 'PGlite has a single connection: writers cannot deadlock',
    },
    async () => {
      const { app } = await buildTestApp();
      const owner = await createUser(app);
      const make = async (title: string) =>
        (await call(app, 'POST', '/api/v1/trips/', { token: owner.access, body: { title } })).body
          .id as string;
      const [first, second] = [await make('A'), await make('B')];
      const { db } = await testDatabase();
      const ctx = { db, changeListeners: [], logger: pino({ level: 'silent' }) };
      // Each writer locks one trip, waits until both hold their first lock, then wants the other's.
      let holding = 0;
      const bothHold = async () => {
        holding++;
        while (holding < 2) await new Promise((resolve) => setTimeout(resolve, 5));
      };
      let runs = 0;
      const writer = (mine: string, theirs: string, title: string) =>
        inTransaction(ctx, async (unit) => {
          runs++;
          await unit.tx.update(trips).set({ title }).where(eq(trips.id, mine));
          if (runs <= 2) await bothHold();
          await unit.tx.update(trips).set({ title }).where(eq(trips.id, theirs));
          return title;
        });
      assert.deepEqual(await Promise.all([writer(first, second, 'X'), writer(second, first, 'Y')]), [
        'X',
        'Y',
      ]);
      assert.equal(runs, 3, 'one of the two was aborted by the deadlock detector and ran again');
      const titles = await db.select({ title: trips.title }).from(trips).where(eq(trips.id, first));
      assert.ok(['X', 'Y'].includes(titles[0]!.title));
    },
  );
});
