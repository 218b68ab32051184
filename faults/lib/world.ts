import type http from 'node:http';
import { expectJson, request } from './http.ts';

export const PASSWORD = 'Sturdy-Koala-Orbit-42';

export interface Member {
  id: string;
  email: string;
  token: string;
}

export interface World {
  tripId: string;
  /** members[0] owns the trip; the others are editors. */
  members: Member[];
  dayIds: string[];
}

/**
 * The data a scenario works on, made through the API of `base`: `users` registered users sharing
 * one trip (the first owns it, the rest are editors) with `days` days, each with `items` items.
 */
export async function buildWorld(
  agent: http.Agent,
  base: string,
  options: { users: number; days: number; items?: number },
): Promise<World> {
  const stamp = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  const members: Member[] = [];
  for (let i = 0; i < options.users; i++) {
    const email = `faults-${stamp}-${i}@example.test`;
    const body = expectJson(
      await request(agent, base, 'POST', '/api/v1/auth/register/', {
        body: { email, password: PASSWORD, password_confirm: PASSWORD },
      }),
      'register',
      201,
    );
    members.push({ id: body.user.id, email, token: body.tokens.access });
  }
  const owner = members[0]!;
  const trip = expectJson(
    await request(agent, base, 'POST', '/api/v1/trips/', {
      token: owner.token,
      body: { title: 'Fault trip' },
    }),
    'create trip',
    201,
  );
  for (const member of members.slice(1))
    expectJson(
      await request(agent, base, 'POST', `/api/v1/trips/${trip.id}/collaborators/${member.id}/`, {
        token: owner.token,
        body: { role: 'editor' },
      }),
      'add collaborator',
      200,
      201,
    );
  const dayIds: string[] = [];
  for (let d = 0; d < options.days; d++) {
    const date = new Date(Date.UTC(2030, 0, 1 + d)).toISOString().slice(0, 10);
    const day = expectJson(
      await request(agent, base, 'POST', '/api/v1/itineraries/', {
        token: owner.token,
        body: { trip: trip.id, date, title: `Day ${d + 1}` },
      }),
      'create day',
      201,
    );
    dayIds.push(day.id);
    for (let i = 0; i < (options.items ?? 0); i++)
      expectJson(
        await request(agent, base, 'POST', `/api/v1/itineraries/${day.id}/items/`, {
          token: owner.token,
          body: { title: `Item ${i + 1}`, location: 'Somewhere' },
        }),
        'create item',
        201,
      );
  }
  return { tripId: trip.id, members, dayIds };
}
