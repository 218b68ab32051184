import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger } from '../src/platform/logger.ts';
import type { Conn } from '../src/realtime/connection.ts';
import { LocalRoom } from '../src/realtime/local-room.ts';
import { headCursor, readTripLog } from '../src/realtime/trip-log.ts';
import { buildTestApp, call } from './helpers/app.ts';
import { testDatabase } from './helpers/database.ts';
import { createUser } from './helpers/factories.ts';
import { makeTrip } from './helpers/realtime.ts';

describe('live relay when published frames never come (Redis away)', () => {
  it('relays a backlog of changes after one grace period, not one grace period per change', async () => {
    const { app } = await buildTestApp();
    const owner = await createUser(app);
    const trip = await makeTrip(app, owner);
    const database = await testDatabase();
    const start = await headCursor(database, trip.id);
    // Written while this room hears nothing: like changes committed during a pub/sub outage.
    for (let i = 0; i < 5; i++) {
      const response = await call(app, 'POST', `/api/v1/trips/${trip.id}/messages/`, {
        token: owner.access,
        body: { content: `backlog ${i}` },
      });
      assert.equal(response.status, 201, response.text);
    }
    const backlog = await readTripLog(database, { tripId: trip.id, after: start, limit: 100 });
    assert.ok(backlog.length >= 5, `${backlog.length} changes logged`);

    const delivered: string[] = [];
    const room = new LocalRoom(trip.id, start, {
      database,
      logger: createLogger('silent'),
      // This instance presents overdue changes itself: one frame per change.
      present: async (entries) =>
        entries.map((entry) => ({
          tripId: trip.id,
          cursor: entry.cursor,
          audience: 'chat.read' as const,
          effect: null,
          frame: '{}',
        })),
    });
    // Only what relay() touches: the role and deliver().
    const conn = {
      role: 'owner',
      deliver: (cursor: { txid: bigint }) => delivered.push(String(cursor.txid)),
    };
    room.conns.add(conn as unknown as Conn);
    const started = Date.now();
    room.wake();
    while (delivered.length < backlog.length && Date.now() - started < 15_000)
      await new Promise((resolve) => setTimeout(resolve, 20));
    const ms = Date.now() - started;
    room.close();
    assert.equal(delivered.length, backlog.length, 'every change relayed');
    // One grace period (1 s) for the whole backlog; it used to be one per change (here 5 s or more).
    assert.ok(ms < 3000, `relayed in ${ms} ms`);
  });
});
