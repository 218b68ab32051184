import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sql } from 'drizzle-orm';
import { inTransaction } from '../src/modules/changes/unit-of-work.ts';
import { call } from './helpers/app.ts';
import { testDatabase } from './helpers/database.ts';
import { createUser } from './helpers/factories.ts';
import { makeTrip, startRealtimeApp, tripWithMembers } from './helpers/realtime.ts';

const rt = await startRealtimeApp();
const { app } = rt;
const { kind } = await testDatabase();
const CURSOR = /^\d+\.\d+$/;

const addDay = async (tripId: string, token: string, date = '2030-05-01') => {
  const response = await call(app, 'POST', '/api/v1/itineraries/', { token, body: { trip: tripId, date } });
  assert.equal(response.status, 201, response.text);
  return response.body;
};

describe('resume with ?since=', () => {
  it('replays everything missed in order, then goes live without duplicates', async () => {
    const { trip, owner, editor } = await tripWithMembers(app);
    const first = await rt.connect(trip.id, editor);
    const history = await first.next('message_history');
    await call(app, 'POST', `/api/v1/trips/${trip.id}/messages/`, {
      token: owner.access,
      body: { content: 'seen' },
    });
    const seen = await first.next('chat_message');
    first.close();
    await first.closed;

    const missed: string[] = [];
    for (let i = 0; i < 4; i++) {
      const posted = await call(app, 'POST', `/api/v1/trips/${trip.id}/messages/`, {
        token: owner.access,
        body: { content: `missed ${i}` },
      });
      missed.push(posted.body.id);
    }
    const day = await addDay(trip.id, owner.access);
    const back = await rt.connect(trip.id, editor, { query: `since=${seen.cursor}` });
    const resumedHistory = await back.next('message_history');
    assert.equal(resumedHistory.cursor, seen.cursor, 'history carries the resume point it was asked for');
    const resumed = await back.next('resumed');
    assert.equal(resumed.replayed, 5);
    const replayed = back.frames.filter((f) => f.cursor && !['message_history', 'resumed'].includes(f.type));
    assert.deepEqual(
      replayed.filter((f) => f.type === 'chat_message').map((f) => f.message.id),
      missed,
    );
    assert.equal(replayed.at(-1).event, 'itinerary.insert');
    assert.equal(replayed.at(-1).data.id, day.id);
    const cursors = replayed.map((f) => f.cursor);
    assert.equal(new Set(cursors).size, cursors.length, 'no duplicates');
    assert.equal(resumed.cursor, cursors.at(-1));
    assert.notEqual(history.cursor, resumed.cursor);

    await call(app, 'POST', `/api/v1/trips/${trip.id}/messages/`, {
      token: owner.access,
      body: { content: 'live again' },
    });
    const live = await back.next((f) => f.type === 'chat_message' && f.message.content === 'live again');
    assert.notEqual(live.cursor, resumed.cursor);
    assert.equal(back.all('chat_message').length, 5);
  });

  it('asks for a resync when the cursor is malformed or ahead of the log', async () => {
    const { trip, owner } = await tripWithMembers(app);
    for (const since of ['garbage', '999999999999.1']) {
      const client = await rt.connect(trip.id, owner, { query: `since=${since}` });
      const resync = await client.next('resync_required');
      assert.equal(resync.reason, 'invalid_cursor');
      assert.match(resync.cursor, CURSOR);
    }
  });

  it('asks for a resync when more than WS_REPLAY_MAX_EVENTS were missed', async () => {
    const small = await startRealtimeApp({ WS_REPLAY_MAX_EVENTS: '10' });
    const owner = await createUser(small.app);
    const trip = await makeTrip(small.app, owner);
    const first = await small.connect(trip.id, owner);
    const { cursor } = await first.next('message_history');
    first.close();
    for (let i = 0; i < 11; i++)
      await call(small.app, 'POST', `/api/v1/trips/${trip.id}/messages/`, {
        token: owner.access,
        body: { content: `${i}` },
      });
    const back = await small.connect(trip.id, owner, { query: `since=${cursor}` });
    const resync = await back.next('resync_required');
    assert.equal(resync.reason, 'too_old');
    assert.ok(await back.none((f) => f.type === 'chat_message'));
    await call(small.app, 'POST', `/api/v1/trips/${trip.id}/messages/`, {
      token: owner.access,
      body: { content: 'after' },
    });
    await back.next((f) => f.type === 'chat_message' && f.message.content === 'after');
  });
});

describe('ordering across concurrent writers', () => {
  it(
    'relays a trip’s changes in cursor order even when they commit out of order',
    { skip: kind === 'pglite' ? 'PGlite has a single connection: writers cannot overlap' : false },
    async () => {
      const { trip, owner } = await tripWithMembers(app);
      const socket = await rt.join(trip.id, owner);
      const record = (label: string) => ({
        tripId: trip.id,
        entity: 'trip' as const,
        entityId: trip.id,
        op: 'update' as const,
        version: 1,
        actorId: owner.id,
        fields: [label],
      });
      let releaseSlow!: () => void;
      const recorded = new Promise<void>((resolve) => {
        // The slow writer takes its transaction id first and commits last (a unit writes its log
        // rows at the end, so the id is taken explicitly, as any earlier write would).
        void inTransaction(app.ctx, async (unit) => {
          await unit.tx.execute(sql`select pg_current_xact_id()`);
          await unit.record(record('slow'));
          resolve();
          await new Promise<void>((release) => (releaseSlow = release));
        });
      });
      await recorded;
      await inTransaction(app.ctx, (unit) => unit.record(record('fast')));
      assert.ok(
        await socket.none((f) => f.type === 'trip_event', 300),
        'held back behind the open transaction',
      );
      releaseSlow();
      const a = await socket.next('trip_event');
      const b = await socket.next('trip_event');
      const [ta, tb] = [a.cursor, b.cursor].map((c: string) => BigInt(c.split('.')[0]!));
      assert.ok(ta! < tb!, `cursor order: ${a.cursor} then ${b.cursor}`);
    },
  );
});
