/**
 * Close codes a client sees (docs/realtime.md). The upgrade is always accepted first and then
 * closed with one of these, because browsers hide the HTTP status of a refused upgrade.
 */
export const CLOSE = {
  /** Server shutting down: reconnect (to another instance) with `since`. */
  goingAway: 1001,
  /** A frame larger than WS_MAX_FRAME_BYTES (sent by the ws library itself). */
  tooBig: 1009,
  internalError: 1011,
  /** Missing, invalid or expired token (also when it expires while connected). */
  unauthorized: 4001,
  /** Not a member, no such trip, removed from the trip, trip deleted, or a foreign Origin. */
  forbidden: 4003,
  /** The socket's send buffer passed WS_MAX_BUFFERED_BYTES: the client reads too slowly. */
  slowConsumer: 4008,
  /** Too many sockets for this user, or far past the frame rate limit. */
  tooMany: 4029,
} as const;
