/**
 * The objects a fuzz batch aims at: a trip with an owner, an editor and a viewer, a day, an item,
 * a poll, a pending invitation and a chat message, plus a stranger with a trip of their own. All
 * are made through the API itself. Requests name them by placeholder (`§trip§`), so the generated
 * sequence does not depend on the ids the server hands out.
 */
import { randomUUID } from 'node:crypto';
import type { Transport, WireResponse } from './transport.ts';

export const PASSWORD = 'Sturdy-Koala-Orbit-42';
export const CALLERS = ['anonymous', 'garbage', 'stranger', 'viewer', 'editor', 'owner'] as const;
export type Caller = (typeof CALLERS)[number];

/** Trip dates (days and items are dated inside them). */
export const TRIP_START = '2030-01-01';
export const TRIP_END = '2030-01-10';

export type World = Record<string, string>;

export interface WorldOptions {
  /** Reads the accept token of the invitation emailed to `email` (from the outbox), if it can. */
  invitationToken?: (email: string) => Promise<string | null>;
  /** Whether the app serves chat (the message fixtures are skipped otherwise). */
  chat: boolean;
}

const MODIFIERS: Record<string, (value: string) => string> = {
  upper: (v) => v.toUpperCase(),
  braces: (v) => `{${v}}`,
  extra: (v) => `${v}x`,
  trunc: (v) => v.slice(0, -1),
  nodash: (v) => v.replace(/-/g, ''),
  spaced: (v) => `%20${v}%20`,
};

/** Replaces every `§name§` (or `§name|modifier§`) with the world's value. */
export function substitute(text: string, world: World): string {
  return text.replace(/§([\w:.-]+)(?:\|(\w+))?§/g, (whole, name: string, modifier?: string) => {
    const value = world[name];
    if (value === undefined) return whole;
    return modifier ? (MODIFIERS[modifier]?.(value) ?? value) : value;
  });
}

/** Builds a fresh world; throws if the basic fixtures cannot be made (the app is broken). */
export async function createWorld(transport: Transport, options: WorldOptions): Promise<World> {
  const tag = randomUUID().slice(0, 8);
  const json = async (method: string, url: string, token: string | null, body?: unknown): Promise<any> => {
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response: WireResponse = await transport.send({
      method,
      url,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (response.status < 200 || response.status >= 300)
      throw new Error(
        `fixture ${method} ${url} → ${response.status} ${response.transportError ?? response.text.slice(0, 300)}`,
      );
    return response.text ? JSON.parse(response.text) : null;
  };
  const register = async (role: string) => {
    const email = `fuzz-${role}-${tag}@example.test`;
    const body = await json('POST', '/api/v1/auth/register/', null, {
      email,
      password: PASSWORD,
      password_confirm: PASSWORD,
      username: `fuzz_${role}_${tag}`,
    });
    return {
      id: body.user.id as string,
      email,
      access: body.tokens.access as string,
      refresh: body.tokens.refresh as string,
    };
  };

  const [owner, editor, viewer, stranger] = await Promise.all(
    ['owner', 'editor', 'viewer', 'stranger'].map(register),
  );
  const w: World = {
    'token:owner': owner!.access,
    'token:editor': editor!.access,
    'token:viewer': viewer!.access,
    'token:stranger': stranger!.access,
    'user:owner': owner!.id,
    'user:editor': editor!.id,
    'user:viewer': viewer!.id,
    'user:stranger': stranger!.id,
    'email:owner': owner!.email,
    'email:stranger': stranger!.email,
    refresh: editor!.refresh,
    'refresh:stranger': stranger!.refresh,
  };
  const trip = await json('POST', '/api/v1/trips/', owner!.access, {
    title: `Fuzz ${tag}`,
    start_date: TRIP_START,
    end_date: TRIP_END,
  });
  w.trip = trip.id;
  w.trip2 = (await json('POST', '/api/v1/trips/', stranger!.access, { title: `Other ${tag}` })).id;
  await json('POST', `/api/v1/trips/${w.trip}/collaborators/${editor!.id}/`, owner!.access, {
    role: 'editor',
  });
  await json('POST', `/api/v1/trips/${w.trip}/collaborators/${viewer!.id}/`, owner!.access, {
    role: 'viewer',
  });
  w.day = (
    await json('POST', '/api/v1/itineraries/', owner!.access, {
      trip: w.trip,
      date: TRIP_START,
      title: 'Day 1',
    })
  ).id;
  w.item = (
    await json('POST', `/api/v1/itineraries/${w.day}/items/`, owner!.access, {
      title: 'Museum',
      start_time: '10:00',
    })
  ).id;
  const poll = await json('POST', '/api/v1/polls/', owner!.access, {
    trip: w.trip,
    question: 'Where to eat?',
    options: ['Tasca', 'Cervejaria'],
    allow_multiple: true,
  });
  w.poll = poll.id;
  w.option = poll.options[0].id;
  w.option2 = poll.options[1].id;
  const invitee = `fuzz-invitee-${tag}@example.test`;
  await json('POST', `/api/v1/trips/${w.trip}/invite/`, owner!.access, { email: invitee, role: 'viewer' });
  const invitations = await json('GET', `/api/v1/trips/${w.trip}/invitations/`, owner!.access);
  w.invitation = invitations.results[0].id;
  w.inviteToken = (await options.invitationToken?.(invitee)) ?? 'x'.repeat(43);
  if (options.chat) {
    const message = await json('POST', `/api/v1/trips/${w.trip}/messages/`, editor!.access, {
      content: 'hello',
    });
    w.message = message.id;
    w.room = message.chat_room;
  }
  w.message ??= randomUUID();
  w.room ??= randomUUID();
  return w;
}

/** The reverse of `substitute`, for printing: fixture ids and tokens shown by name. */
export function unsubstitute(text: string, world: World): string {
  let out = text;
  for (const [name, value] of Object.entries(world).sort((a, b) => b[1].length - a[1].length))
    if (value.length >= 8) out = out.split(value).join(`§${name}§`);
  return out;
}
