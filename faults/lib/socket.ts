import { once } from 'node:events';
import WebSocket from 'ws';

/** A trip socket that remembers every chat message it received (by id and by content). */
export interface ChatSocket {
  ws: WebSocket;
  /** message id → content, for every chat_message frame received. */
  received: Map<string, string>;
  /** Resolves true once a message with this content arrives (false after `ms`). */
  waitForContent(content: string, ms: number): Promise<boolean>;
  /** The close code once closed (null while open). */
  closeCode(): number | null;
  close(): void;
}

/** Connects to the trip's socket and resolves once the history frame arrived (the socket is live). */
export async function connectChat(base: string, tripId: string, token: string): Promise<ChatSocket> {
  const ws = new WebSocket(`${base.replace(/^http/, 'ws')}/ws/chat/${tripId}/?token=${token}`);
  const received = new Map<string, string>();
  const waiters = new Set<{ content: string; resolve: (ok: boolean) => void }>();
  let code: number | null = null;
  ws.on('close', (closeCode) => (code = closeCode));
  ws.on('error', () => undefined);
  ws.on('message', (data) => {
    const frame = JSON.parse(String(data)) as { type: string; message?: { id: string; content: string } };
    if (frame.type !== 'chat_message' || !frame.message) return;
    received.set(frame.message.id, frame.message.content);
    for (const waiter of waiters)
      if (waiter.content === frame.message.content) {
        waiters.delete(waiter);
        waiter.resolve(true);
      }
  });
  const history = new Promise<void>((resolve, reject) => {
    ws.on('message', (data) => String(data).startsWith('{"type":"message_history"') && resolve());
    ws.once('close', (closeCode) => reject(new Error(`socket closed with ${closeCode} before its history`)));
  });
  await once(ws, 'open');
  await history;
  return {
    ws,
    received,
    waitForContent: (content, ms) =>
      [...received.values()].includes(content)
        ? Promise.resolve(true)
        : new Promise<boolean>((resolve) => {
            const waiter = { content, resolve };
            waiters.add(waiter);
            setTimeout(() => {
              if (waiters.delete(waiter)) resolve(false);
            }, ms);
          }),
    closeCode: () => code,
    close: () => ws.close(),
  };
}
