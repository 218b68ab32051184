/**
 * The HTTP scenarios of `npm run bench`, each a request generator over the seeded data. Requests
 * rotate over users and trips (every connection a different caller at any moment), and writes are
 * spread so that concurrent connections never queue on one row lock.
 */
import { START } from '../../src/modules/changes/read-changes.ts';
import { encodeSyncCursor } from '../../src/modules/sync/cursor.ts';
import type { NextRequest } from './http-load.ts';
import { PASSWORD, type Seeded } from './seed.ts';

export interface Scenario {
  name: string;
  /** Reads and writes have different targets against the TS planner (5× and 3×). */
  kind: 'read' | 'write' | 'login';
  /** Called once per load run (each concurrency), so per-run state starts clean. */
  next: () => NextRequest;
}

export function scenarios(seeded: Seeded, tokens: string[]): Scenario[] {
  const { users, trips } = seeded;
  const memberships = trips.flatMap((trip) => trip.members.map((m) => ({ trip, user: m.user })));
  const days = trips.flatMap((trip) => trip.days.map((day) => ({ day, owner: trip.members[0]!.user })));
  // A member other than the owner (whose vote is seeded), for every poll.
  const ballots = trips.flatMap((trip) => trip.polls.map((poll) => ({ poll, user: trip.members[1]!.user })));
  const voted = ballots.map(() => false);
  // A device catching up: a 100-entry page of its trips' and memberships' log from the beginning.
  const cursor = encodeSyncCursor({ position: START, snapshot: null });
  const pick = <T>(list: T[], w: number, n: number) => list[(w * 7919 + n * 31) % list.length]!;

  return [
    { name: 'GET /health/', kind: 'read', next: () => () => ({ method: 'GET', path: '/health/' }) },
    {
      name: 'login',
      kind: 'login',
      next: () => (w, n) => ({
        method: 'POST',
        path: '/api/v1/auth/login/',
        body: { email: pick(users, w, n).email, password: PASSWORD },
      }),
    },
    {
      name: 'trip list',
      kind: 'read',
      next: () => (w, n) => ({ method: 'GET', path: '/api/v1/trips/', token: pick(tokens, w, n) }),
    },
    {
      name: 'trip detail',
      kind: 'read',
      next: () => (w, n) => {
        const m = pick(memberships, w, n);
        return { method: 'GET', path: `/api/v1/trips/${m.trip.id}/`, token: tokens[m.user] };
      },
    },
    {
      name: 'days with items',
      kind: 'read',
      next: () => (w, n) => {
        const m = pick(memberships, w, n);
        return { method: 'GET', path: `/api/v1/itineraries/?trip_id=${m.trip.id}`, token: tokens[m.user] };
      },
    },
    {
      name: 'create item',
      kind: 'write',
      // Connection w works through days w, w+32, …: two connections never hold one day's lock.
      next: () => (w, n) => {
        const d = days[(w + n * 32) % days.length]!;
        return {
          method: 'POST',
          path: `/api/v1/itineraries/${d.day}/items/`,
          token: tokens[d.owner],
          body: { title: `Bench item ${n}`, start_time: '10:00', location: 'Bench' },
        };
      },
    },
    {
      name: 'vote / unvote',
      kind: 'write',
      // Each connection owns one ballot and alternates vote and withdrawal on it.
      next: () => (w) => {
        const b = ballots[w % ballots.length]!;
        const path = `/api/v1/polls/${b.poll.id}/vote/`;
        voted[w] = !voted[w];
        return voted[w]
          ? { method: 'POST', path, token: tokens[b.user], body: { option_id: b.poll.options[1] } }
          : { method: 'DELETE', path, token: tokens[b.user] };
      },
    },
    {
      name: 'sync feed page',
      kind: 'read',
      next: () => (w, n) => {
        const u = (w * 7919 + n * 31) % users.length;
        return { method: 'GET', path: `/api/v1/sync/?cursor=${cursor}&limit=100`, token: tokens[u] };
      },
    },
  ];
}
