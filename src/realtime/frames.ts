import type { MessageView } from '../modules/chat/schemas.ts';

export interface PresenceUser {
  id: string;
  email: string;
  username: string;
  full_name: string;
}

/**
 * The server → client wire format: frame type → payload. Frames that come from the change log
 * carry the `cursor` a client sends back as `?since=` to resume.
 */
export interface ServerFrames {
  message_history: { messages: MessageView[]; has_more: boolean; before?: string | null; cursor?: string };
  presence: { users: PresenceUser[] };
  chat_message: { message: MessageView; cursor?: string; version?: number };
  message_edited: { message: MessageView; cursor?: string; version?: number };
  message_deleted: { message_id: string; cursor?: string; version?: number };
  typing: { user_id: string; user_email: string; is_typing: boolean };
  trip_event: { event: string; data: unknown; version: number; cursor: string };
  pong: Record<string, never>;
  error: { message: string; code: string; details?: Record<string, unknown>; client_id?: string };
  resync_required: { reason: 'too_old' | 'invalid_cursor'; cursor: string };
  resumed: { cursor: string; replayed: number };
}

export type FrameType = keyof ServerFrames;

/** Serializes one frame; callers serialize once and send the same text to every socket. */
export function frame<K extends FrameType>(type: K, payload: ServerFrames[K]): string {
  return JSON.stringify({ type, ...payload });
}
