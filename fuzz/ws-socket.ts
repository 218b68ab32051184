/** A recording WebSocket client for the socket fuzz: every frame kept, refusals and failures told apart. */
import WebSocket from 'ws';
import { judge } from './verdict.ts';

/** Close codes docs/realtime.md documents (normal, going away, too big, 4001, 4003, 4008, 4029). */
export const DOCUMENTED_CLOSE_CODES = new Set([1000, 1001, 1009, 4001, 4003, 4008, 4029]);

export interface Socket {
  ws: WebSocket;
  frames: any[];
  closed: Promise<{ code: number; reason: string }>;
  closeCode: number | null;
}

const opened: WebSocket[] = [];

export type Refusal = { httpStatus: number; verdict: ReturnType<typeof judge> };
export type Failure = { failed: string };

/** Opens a socket; resolves with it, with the HTTP reply that refused the upgrade, or with why it failed. */
export function open(url: string, headers: Record<string, string> = {}): Promise<Socket | Refusal | Failure> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers, handshakeTimeout: 10_000 });
    opened.push(ws);
    const socket: Socket = { ws, frames: [], closeCode: null, closed: null as never };
    socket.closed = new Promise((done) =>
      ws.on('close', (code, reason) => {
        socket.closeCode = code;
        done({ code, reason: String(reason) });
      }),
    );
    ws.on('message', (data) => {
      try {
        socket.frames.push(JSON.parse(String(data)));
      } catch {
        socket.frames.push({ type: '(not JSON)', raw: String(data).slice(0, 200) });
      }
    });
    ws.on('error', (error) => resolve({ failed: error.message }));
    ws.once('open', () => resolve(socket));
    // A refused upgrade is an ordinary HTTP reply: read it (it must be in the envelope), then hang up.
    ws.once('unexpected-response', (req, res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        req.destroy();
        ws.terminate();
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({
          httpStatus: res.statusCode ?? 0,
          verdict: judge({ status: res.statusCode ?? 0, headers: res.headers, text }),
        });
      });
    });
  });
}

/** The first frame matching `test`, waiting up to `ms`; null if none came (or the socket closed). */
export async function waitFor(socket: Socket, test: (frame: any) => boolean, ms: number): Promise<any> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const found = socket.frames.find(test);
    if (found) return found;
    if (socket.closeCode !== null) return null;
    await new Promise((r) => setTimeout(r, 5));
  }
  return null;
}

/** Waits until `condition` holds (true) or the socket closes or `ms` pass (false). */
export async function waitUntil(socket: Socket, condition: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (condition()) return true;
    if (socket.closeCode !== null) return false;
    await new Promise((r) => setTimeout(r, 2));
  }
  return condition();
}

/** Hangs up every socket still open (refused upgrades can leave the client half-open). */
export function terminateAll(): void {
  for (const ws of opened.splice(0)) if (ws.readyState !== WebSocket.CLOSED) ws.terminate();
}
