import assert from 'node:assert/strict';
import type { FastifyInstance } from 'fastify';
import { buildTestApp, call, type TestApp } from './app.ts';
import { createUser, type TestUser } from './factories.ts';
import { WsClient } from './ws-client.ts';
import { closeAtEnd } from './database.ts';

export interface RealtimeApp extends TestApp {
  /** ws://127.0.0.1:<port> */
  wsBase: string;
  /** Opens a trip socket for `user` (token in the query unless `headers` are given) and closes it at the end. */
  connect(
    tripId: string,
    user: TestUser | null,
    options?: { path?: string; query?: string; headers?: Record<string, string> },
  ): Promise<WsClient>;
  /** Connects and consumes the connect frames (history, presence). */
  join(tripId: string, user: TestUser): Promise<WsClient>;
}

/** The real app listening on a real port (sockets cannot be injected end to end). */
export async function startRealtimeApp(
  overrides: Record<string, string | undefined> = {},
): Promise<RealtimeApp> {
  const test = await buildTestApp(overrides);
  const address = await test.app.listen({ port: 0, host: '127.0.0.1' });
  const wsBase = address.replace(/^http/, 'ws');
  const connect: RealtimeApp['connect'] = async (tripId, user, options = {}) => {
    const params = [user && !options.headers ? `token=${user.access}` : '', options.query ?? '']
      .filter(Boolean)
      .join('&');
    const url = `${wsBase}${options.path ?? '/ws/chat/'}${tripId}/${params ? `?${params}` : ''}`;
    const client = await WsClient.connect(url, { headers: options.headers });
    closeAtEnd(async () => client.close());
    return client;
  };
  const join: RealtimeApp['join'] = async (tripId, user) => {
    const client = await connect(tripId, user);
    await client.next('message_history');
    await client.next('presence');
    return client;
  };
  return Object.assign(test, { wsBase, connect, join });
}

/** A fresh trip owned by `owner`. */
export async function makeTrip(
  app: FastifyInstance,
  owner: TestUser,
  title = 'Lisbon',
): Promise<{ id: string }> {
  const response = await call(app, 'POST', '/api/v1/trips/', { token: owner.access, body: { title } });
  assert.equal(response.status, 201, response.text);
  return response.body;
}

/** Adds `user` to the trip with `role` (through the API, as an owner would). */
export async function addMember(
  app: FastifyInstance,
  tripId: string,
  owner: TestUser,
  user: TestUser,
  role: 'owner' | 'editor' | 'viewer',
): Promise<{ id: string }> {
  const response = await call(app, 'POST', `/api/v1/trips/${tripId}/collaborators/${user.id}/`, {
    token: owner.access,
    body: { role },
  });
  assert.equal(response.status, 201, response.text);
  return response.body;
}

/** A trip with an owner, an editor and a viewer, all fresh users. */
export async function tripWithMembers(app: FastifyInstance) {
  const owner = await createUser(app, { first_name: 'Olga' });
  const editor = await createUser(app, { first_name: 'Eddie' });
  const viewer = await createUser(app, { first_name: 'Vera' });
  const trip = await makeTrip(app, owner);
  await addMember(app, trip.id, owner, editor, 'editor');
  await addMember(app, trip.id, owner, viewer, 'viewer');
  await systemMessages(app, trip.id, owner, 2);
  return { trip, owner, editor, viewer };
}

/** Waits until the trip's chat holds `count` system messages (joins are announced after commit). */
export async function systemMessages(app: FastifyInstance, tripId: string, member: TestUser, count: number) {
  const deadline = Date.now() + 5000;
  for (;;) {
    const page = await call(app, 'GET', `/api/v1/trips/${tripId}/messages/?limit=100`, {
      token: member.access,
    });
    const system = (page.body.results as any[]).filter((m) => m.message_type === 'system');
    if (system.length >= count || Date.now() > deadline) return system;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
