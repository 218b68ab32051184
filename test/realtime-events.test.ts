import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { inTransaction } from '../src/modules/changes/unit-of-work.ts';
import { call } from './helpers/app.ts';
import { createUser, uniqueEmail } from './helpers/factories.ts';
import { addMember, makeTrip, startRealtimeApp, tripWithMembers } from './helpers/realtime.ts';

const rt = await startRealtimeApp();
const { app } = rt;
const CURSOR = /^\d+\.\d+$/;

const tripEvent = (event: string) => (f: any) => f.type === 'trip_event' && f.event === event;
const addDay = async (tripId: string, token: string, date = '2030-05-01') => {
  const response = await call(app, 'POST', '/api/v1/itineraries/', { token, body: { trip: tripId, date } });
  assert.equal(response.status, 201, response.text);
  return response.body;
};

describe('live trip events', () => {
  it('pushes itinerary changes with the presented object, version and cursor', async () => {
    const { trip, owner, viewer } = await tripWithMembers(app);
    const socket = await rt.join(trip.id, viewer);
    const day = await addDay(trip.id, owner.access);
    const dayEvent = await socket.next(tripEvent('itinerary.insert'));
    assert.deepEqual(dayEvent.data, day);
    assert.equal(dayEvent.version, 1);
    assert.match(dayEvent.cursor, CURSOR);
    const item = await call(app, 'POST', `/api/v1/itineraries/${day.id}/items/`, {
      token: owner.access,
      body: { title: 'Tram 28' },
    });
    const itemEvent = await socket.next(tripEvent('item.insert'));
    assert.deepEqual(itemEvent.data, item.body);
    assert.equal(
      (await call(app, 'DELETE', `/api/v1/itineraries/items/${item.body.id}/`, { token: owner.access }))
        .status,
      204,
    );
    const deleted = await socket.next(tripEvent('item.delete'));
    assert.deepEqual(deleted.data, { id: item.body.id });
    await call(app, 'PATCH', `/api/v1/trips/${trip.id}/`, { token: owner.access, body: { title: 'Porto' } });
    const tripUpdate = await socket.next(tripEvent('trip.update'));
    assert.equal(tripUpdate.data.title, 'Porto');
    assert.equal(tripUpdate.data.user_role, undefined, 'per-viewer fields are left out of shared frames');
  });

  it('pushes polls and votes without anyone’s per-viewer flags', async () => {
    const { trip, owner, viewer } = await tripWithMembers(app);
    const socket = await rt.join(trip.id, owner);
    const poll = await call(app, 'POST', '/api/v1/polls/', {
      token: owner.access,
      body: { trip: trip.id, question: 'Dinner?', options: ['Fish', 'Meat'] },
    });
    assert.equal(poll.status, 201, poll.text);
    const created = await socket.next(tripEvent('poll.insert'));
    assert.equal(created.data.question, 'Dinner?');
    await call(app, 'POST', `/api/v1/polls/${poll.body.id}/vote/`, {
      token: viewer.access,
      body: { option_id: poll.body.options[0].id },
    });
    const vote = await socket.next(tripEvent('vote.insert'));
    assert.deepEqual(Object.keys(vote.data).sort(), ['id', 'option', 'poll']);
    const counts = await socket.next(tripEvent('poll.update'));
    assert.equal(counts.data.total_votes, 1);
    assert.equal(counts.data.user_has_voted, undefined);
    assert.equal(counts.data.options[0].user_voted, undefined);
    assert.equal(counts.data.options[0].vote_count, 1);
  });

  it('publishes nothing for a rolled-back transaction', async () => {
    const { trip, owner } = await tripWithMembers(app);
    const socket = await rt.join(trip.id, owner);
    const change = (fields: string[]) => ({
      tripId: trip.id,
      entity: 'trip' as const,
      entityId: trip.id,
      op: 'update' as const,
      version: 1,
      actorId: owner.id,
      fields,
    });
    await assert.rejects(
      inTransaction(app.ctx, async (unit) => {
        await unit.record(change(['rolled_back']));
        throw new Error('boom');
      }),
    );
    await inTransaction(app.ctx, (unit) => unit.record(change(['committed'])));
    const event = await socket.next(tripEvent('trip.update'));
    assert.equal(socket.all('trip_event').length, 1, 'only the committed change arrived');
    assert.match(event.cursor, CURSOR);
  });

  it('sends invitation events (emails inside) to owners and editors only; a promotion takes effect live', async () => {
    const { trip, owner, editor, viewer } = await tripWithMembers(app);
    const o = await rt.join(trip.id, owner);
    const e = await rt.join(trip.id, editor);
    const v = await rt.join(trip.id, viewer);
    const email = uniqueEmail('guest');
    assert.equal(
      (await call(app, 'POST', `/api/v1/trips/${trip.id}/invite/`, { token: owner.access, body: { email } }))
        .status,
      202,
    );
    assert.equal((await o.next(tripEvent('invitation.insert'))).data.email, email);
    assert.equal((await e.next(tripEvent('invitation.insert'))).data.email, email);
    assert.ok(await v.none((f) => f.type === 'trip_event' && f.event.startsWith('invitation.')));

    await call(app, 'PATCH', `/api/v1/trips/${trip.id}/collaborators/${viewer.id}/`, {
      token: owner.access,
      body: { role: 'editor' },
    });
    assert.equal((await v.next(tripEvent('collaborator.update'))).data.role, 'editor');
    const second = uniqueEmail('guest');
    await call(app, 'POST', `/api/v1/trips/${trip.id}/invite/`, {
      token: owner.access,
      body: { email: second },
    });
    assert.equal((await v.next(tripEvent('invitation.insert'))).data.email, second);
  });

  it('announces a join live as a system message', async () => {
    const owner = await createUser(app);
    const ana = await createUser(app, { first_name: 'Ana' });
    const trip = await makeTrip(app, owner);
    const socket = await rt.join(trip.id, owner);
    await addMember(app, trip.id, owner, ana, 'viewer');
    await socket.next(tripEvent('collaborator.insert'));
    const announced = await socket.next('chat_message');
    assert.equal(announced.message.message_type, 'system');
    assert.equal(announced.message.content, 'Ana joined the trip');
    assert.equal(announced.message.sender, null);
  });
});

describe('membership changes close sockets', () => {
  it('disconnects a removed member’s sockets at once (4003); the others see the removal', async () => {
    const { trip, owner, editor } = await tripWithMembers(app);
    const o = await rt.join(trip.id, owner);
    const e1 = await rt.join(trip.id, editor);
    const e2 = await rt.join(trip.id, editor);
    const removed = await call(app, 'DELETE', `/api/v1/trips/${trip.id}/collaborators/${editor.id}/`, {
      token: owner.access,
    });
    assert.equal(removed.status, 204);
    for (const socket of [e1, e2]) {
      const closed = await socket.closed;
      assert.equal(closed.code, 4003);
      assert.equal(closed.reason, 'removed from the trip');
    }
    await o.next(tripEvent('collaborator.delete'));
    assert.equal(o.closeInfo, null);
    const again = await rt.connect(trip.id, editor);
    assert.equal((await again.closed).code, 4003);
  });

  it('closes every socket of a deleted trip', async () => {
    const { trip, owner, viewer } = await tripWithMembers(app);
    const o = await rt.join(trip.id, owner);
    const v = await rt.join(trip.id, viewer);
    await call(app, 'DELETE', `/api/v1/trips/${trip.id}/`, { token: owner.access });
    for (const socket of [o, v]) {
      await socket.next(tripEvent('trip.delete'));
      assert.equal((await socket.closed).code, 4003);
    }
  });
});
