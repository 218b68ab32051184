/**
 * Chat fan-out over the trip socket: `tokens.length` sockets (one per member) in one trip, every
 * socket taking turns to send `chat_message` at `rate` messages/s for `seconds`; latency is from
 * the send to each socket's receipt of that message (one clock: this process). A message not
 * received by a socket within `drainMs` after the last send counts as lost.
 */
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { percentile, type Target } from './http-load.ts';

export interface FanoutResult {
  sockets: number;
  rate: number;
  sent: number;
  expected: number;
  delivered: number;
  lost: number;
  /** Messages per second actually sent (the sender falls behind when the machine is saturated). */
  achievedRate: number;
  p50: number;
  p99: number;
  max: number;
  errors: number;
}

export async function chatFanout(
  target: Target,
  options: { tripId: string; tokens: string[]; rate: number; seconds: number; drainMs?: number },
): Promise<FanoutResult> {
  const { rate, seconds } = options;
  const run = Math.random().toString(36).slice(2, 8);
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  let errors = 0;
  const marker = /"client_id":"(f[a-z0-9]+-\d+)"/;
  const sockets: WebSocket[] = [];
  for (const token of options.tokens) {
    const ws = new WebSocket(`ws://${target.host}:${target.port}/ws/chat/${options.tripId}/?token=${token}`);
    ws.on('message', (data) => {
      // Only the marker is read: parsing every frame would measure this process, not the server.
      const text = String(data);
      if (text.startsWith('{"type":"error"')) errors++;
      if (!text.startsWith('{"type":"chat_message"')) return;
      const start = sentAt.get(marker.exec(text)?.[1] ?? '');
      if (start !== undefined) latencies.push(performance.now() - start);
    });
    await once(ws, 'open');
    sockets.push(ws);
  }
  await new Promise((resolve) => setTimeout(resolve, 1000)); // history, presence and joins settle
  const total = Math.round(rate * seconds);
  const started = performance.now();
  for (let n = 0; n < total; n++) {
    const wait = started + (n * 1000) / rate - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    const id = `f${run}-${n}`;
    sentAt.set(id, performance.now());
    sockets[n % sockets.length]!.send(
      JSON.stringify({ type: 'chat_message', content: `fan-out ${n}`, client_id: id }),
    );
  }
  const sendSeconds = (performance.now() - started) / 1000;
  const expected = total * sockets.length;
  const deadline = performance.now() + (options.drainMs ?? 5000);
  while (latencies.length < expected && performance.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 20));
  for (const ws of sockets) ws.close();
  const sorted = Float64Array.from(latencies).sort();
  return {
    sockets: sockets.length,
    rate,
    sent: total,
    expected,
    delivered: latencies.length,
    lost: expected - latencies.length,
    achievedRate: total / sendSeconds,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted.at(-1) ?? NaN,
    errors,
  };
}
