import type { EnvReader } from './parse.ts';

/** Limits of the WebSocket endpoint (docs/realtime.md explains each one to client authors). */
export interface RealtimeConfig {
  /** Largest client frame accepted; a bigger one closes the socket with 1009. */
  maxFrameBytes: number;
  /** Client frames allowed per socket in any 10-second window; extra frames get an error frame. */
  messagesPer10s: number;
  /** Open sockets one user may hold across every instance. */
  maxSocketsPerUser: number;
  /** Ping interval; a peer that misses one whole interval is dropped. Presence lives 3 intervals. */
  heartbeatSec: number;
  /** Bytes queued for one socket beyond which it is closed as a slow consumer (4008). */
  maxBufferedBytes: number;
  /** A resume (`?since=`) that would replay more events than this gets `resync_required`. */
  replayMaxEvents: number;
}

/** Reads the WS_* variables with safe defaults. */
export function readRealtime(r: EnvReader): RealtimeConfig {
  return {
    maxFrameBytes: r.int('WS_MAX_FRAME_BYTES', 64 * 1024, 1024, 16 * 1024 * 1024),
    messagesPer10s: r.int('WS_MESSAGES_PER_10S', 60, 1, 100_000),
    maxSocketsPerUser: r.int('WS_MAX_SOCKETS_PER_USER', 10, 1, 10_000),
    heartbeatSec: r.seconds('WS_HEARTBEAT_SECONDS', 30, 1, 3600),
    maxBufferedBytes: r.int('WS_MAX_BUFFERED_BYTES', 1024 * 1024, 16 * 1024, 1024 * 1024 * 1024),
    replayMaxEvents: r.int('WS_REPLAY_MAX_EVENTS', 1000, 10, 1_000_000),
  };
}
