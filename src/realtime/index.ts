import websocket from '@fastify/websocket';
import type { FastifyInstance } from 'fastify';
import { AppError } from '../http/errors.ts';
import { CLOSE } from './close-codes.ts';
import { presentChanges } from './change-frames.ts';
import { channelOf } from './envelope.ts';
import { installAfterCommitWait } from './after-commit.ts';
import { Hub } from './hub.ts';
import { announceJoins } from './join-announcer.ts';
import { MemoryPresenceStore, RedisPresenceStore } from './presence-store.ts';
import { startPublisher, type WatchedTrips } from './publisher.ts';
import { runSession } from './session.ts';

declare module 'fastify' {
  interface FastifyInstance {
    /** This instance's sockets (counts for metrics; tests inspect it). */
    realtime: Hub;
  }
}

const SOCKET_PATHS = ['/ws/chat/:trip_id/', '/ws/trips/:trip_id/'];

/**
 * The trip socket (docs/realtime.md): the WebSocket plugin, the two socket paths, the publisher
 * that turns committed changes into frames, and this instance's hub. Call once, on the root app.
 */
export async function installRealtime(app: FastifyInstance): Promise<void> {
  const { ctx } = app;
  const mediaUrl = (key: string) => ctx.media.publicPath(key);
  const presence =
    ctx.platform.redis && ctx.config.redis
      ? new RedisPresenceStore(ctx.platform.redis, ctx.config.redis.keyPrefix)
      : new MemoryPresenceStore();
  const hub = new Hub(ctx, presence, (entries) => presentChanges(ctx.db, mediaUrl, entries));
  const redis = ctx.platform.redis;
  const prefix = ctx.config.redis?.keyPrefix ?? '';
  // With Redis, any instance may watch: ask Redis who subscribes (unless this instance watches
  // them all itself, as for a post from a socket here); without Redis, only this one can.
  const watched: WatchedTrips = redis
    ? async (tripIds) => {
        if (tripIds.every((id) => hub.watching(id))) return new Set(tripIds);
        const reply = (await redis
          .pubsub('NUMSUB', ...tripIds.map((id) => prefix + channelOf(id)))
          .catch(() => null)) as (string | number)[] | null;
        // Redis unreachable: publish anyway rather than risk silence (the publish fails fast).
        if (!reply) return new Set(tripIds);
        return new Set(tripIds.filter((_, i) => hub.watching(tripIds[i]!) || Number(reply[2 * i + 1]) > 0));
      }
    : async (tripIds) => new Set(tripIds.filter((id) => hub.watching(id)));
  const stopPublisher = startPublisher(ctx, mediaUrl, watched, (tripIds) => hub.wake(tripIds));
  const joinsSettled = announceJoins(ctx);
  app.decorate('realtime', hub);
  installAfterCommitWait(app);
  // Added before the plugin's own preClose, so sockets get 1001 (not a bare close) on shutdown.
  app.addHook('preClose', async () => hub.close());
  // Requests still finishing keep publishing (other instances' sockets need their changes); their
  // responses wait for that work (after-commit.ts), so by now little or nothing is in flight.
  app.addHook('onClose', async () => {
    await joinsSettled();
    await stopPublisher();
  });

  await app.register(websocket, {
    options: { maxPayload: ctx.config.realtime.maxFrameBytes },
    // Socket errors (a frame over the size cap, a reset) are the client's; ws already closes with
    // the right code, so log and let the close handshake finish rather than cutting it off.
    errorHandler(error, socket, request) {
      request.log.info({ err: error }, 'socket error');
      if (socket.readyState === 1) socket.close(CLOSE.internalError, 'internal error');
      setTimeout(() => socket.terminate(), 3000).unref();
    },
  });
  for (const url of SOCKET_PATHS) {
    app.route({
      method: 'GET',
      url,
      schema: { hide: true },
      // A plain GET gets the error envelope like every other path, naming what to do instead.
      handler: async () => {
        throw new AppError(
          426,
          'upgrade_required',
          'This endpoint speaks WebSocket only (docs/realtime.md).',
        );
      },
      wsHandler: (socket, request) => runSession(ctx, hub, socket, request),
    });
  }
}
