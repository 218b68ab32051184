import type { FastifyRequest } from 'fastify';
import type { RawData, WebSocket } from 'ws';
import type { AppContext } from '../context.ts';
import { redactUrl } from '../platform/logger.ts';
import { metrics } from '../platform/metrics.ts';
import { encodeCursor } from '../modules/changes/read-changes.ts';
import { roomOfTrip } from '../modules/chat/queries.ts';
import { admitFrame, handleFrame, historyFrame, type FrameContext } from './chat-frames.ts';
import { CLOSE } from './close-codes.ts';
import { Conn } from './connection.ts';
import { admit, queryParam } from './handshake.ts';
import type { Hub } from './hub.ts';
import { replay } from './replay.ts';

const HISTORY_SIZE = 50;
// setTimeout takes at most a 32-bit delay; a later expiry is re-armed when this one fires.
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * One socket from upgrade to close: admit (close 4001/4003/4029), join the trip's room, send
 * history and presence, replay what a resuming client missed, then handle its frames in order.
 */
export async function runSession(
  ctx: AppContext,
  hub: Hub,
  ws: WebSocket,
  request: FastifyRequest,
): Promise<void> {
  const started = Date.now();
  const log = ctx.logger.child({ ws: redactUrl(request.url), req_id: request.id });
  // Frames a client sends right after the upgrade must wait for admission, not be dropped.
  const inbox: [RawData, boolean][] = [];
  let onFrame: ((data: RawData, binary: boolean) => void) | null = null;
  ws.on('message', (data, binary) => (onFrame ? onFrame(data, binary) : inbox.push([data, binary])));

  const tripId = (request.params as { trip_id: string }).trip_id;
  const admitted = await admit(ctx, request, tripId);
  if (!admitted.ok) {
    log.info({ code: admitted.code, reason: admitted.reason }, 'socket refused');
    ws.close(admitted.code, admitted.reason);
    return;
  }
  const { realtime } = ctx.config;
  if ((await hub.presence.socketsOf(admitted.user.id).catch(() => 0)) >= realtime.maxSocketsPerUser) {
    ws.close(CLOSE.tooMany, 'too many connections');
    return;
  }
  const conn = new Conn(ws, admitted.user, tripId, admitted.memberId, admitted.role, realtime);
  let closed = ws.readyState !== 1;
  let expiry: NodeJS.Timeout | undefined;
  metrics.wsConnections.inc();
  ws.on('pong', () => (conn.alive = true));
  ws.on('close', (code) => {
    closed = true;
    metrics.wsConnections.dec();
    clearTimeout(expiry);
    hub.leave(conn);
    log.info(
      { user_id: conn.user.id, trip: tripId, code, duration_ms: Date.now() - started },
      'socket closed',
    );
    if (hub.closing) return;
    void hub.presence
      .remove(hub.entryOf(conn))
      .then(() => hub.presenceChanged(tripId))
      .catch((error: unknown) => log.warn({ err: error }, 'presence update failed'));
  });
  const armExpiry = (): NodeJS.Timeout | undefined => {
    if (admitted.expiresAt === null) return undefined;
    const wait = admitted.expiresAt - Date.now();
    if (wait > MAX_TIMER_MS) return setTimeout(() => (expiry = armExpiry()), MAX_TIMER_MS);
    return setTimeout(() => conn.close(CLOSE.unauthorized, 'token expired'), Math.max(0, wait));
  };
  expiry = armExpiry();
  if (closed) return;

  const { start } = await hub.join(conn);
  if (closed) return hub.leave(conn);
  const fc: FrameContext = { ctx, hub, conn, room: await roomOfTrip(ctx.db, tripId) };
  const since = queryParam(request, 'since');
  conn.send(await historyFrame(fc, null, HISTORY_SIZE, since ?? encodeCursor(start)));
  await hub.presence.add(hub.entryOf(conn), hub.presenceTtlMs).catch(() => undefined);
  if (closed) return void hub.presence.remove(hub.entryOf(conn)).catch(() => undefined);
  conn.send(await hub.presenceFrame(tripId));
  hub.presenceChanged(tripId);
  conn.goLive(since === undefined ? start : await replay(ctx, conn, since, start));
  log.info({ user_id: conn.user.id, trip: tripId }, 'socket open');

  // Frames are handled one at a time, in the order sent; the rate limit applies on arrival.
  let chain = Promise.resolve();
  onFrame = (data, binary) => {
    if (!admitFrame(conn)) return;
    const text = binary ? null : data.toString();
    chain = chain.then(() =>
      text === null
        ? conn.send(JSON.stringify({ type: 'error', code: 'invalid_frame', message: 'Send text frames.' }))
        : handleFrame(fc, text),
    );
  };
  for (const [data, binary] of inbox.splice(0)) onFrame(data, binary);
}
