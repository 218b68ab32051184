/**
 * Garbage on the trip socket: refused handshakes (bad tokens, ids, origins, resume cursors), then
 * hostile frames one at a time, each followed by a `ping`. Pass = every refused handshake closes
 * with a documented code (or an HTTP error in the envelope), every frame leaves the socket
 * answering `ping` (or closes it with a documented code), error frames carry `code` and `message`,
 * a frame over the size cap closes with 1009, and the server keeps answering /health/.
 */
import { Prng } from './prng.ts';
import type { Transport } from './transport.ts';
import { hostileFrame, type HostileFrame } from './ws-hostile.ts';
import { DOCUMENTED_CLOSE_CODES, open, terminateAll, waitFor, waitUntil, type Socket } from './ws-socket.ts';
import { createWorld, substitute, type World } from './world.ts';

export interface WsReport {
  available: boolean;
  framesSent: number;
  sockets: number;
  handshakes: number;
  closes: Map<number, number>;
  serverFrames: Map<string, number>;
  findings: string[];
}

/** Hostile frames per socket: with a ping after each, this stays under the 60-per-10-s frame limit. */
const BURST = 20;

function handshakeCases(rng: Prng): [string, string, Record<string, string>?][] {
  const cases: [string, string, Record<string, string>?][] = [
    ['no token', '/ws/chat/§trip§/'],
    ['garbage token', '/ws/chat/§trip§/?token=garbage'],
    ['refresh token as access', '/ws/chat/§trip§/?token=§refresh§'],
    ['stranger', '/ws/chat/§trip§/?token=§token:stranger§'],
    ['not a member of trip2', '/ws/chat/§trip2§/?token=§token:editor§'],
    ['random trip', `/ws/chat/${rng.uuid()}/?token=§token:editor§`],
    ['malformed trip', '/ws/chat/not-a-uuid/?token=§token:editor§'],
    ['long trip id', `/ws/chat/${'a'.repeat(300)}/?token=§token:editor§`],
    ['NUL trip id', '/ws/chat/%00/?token=§token:editor§'],
    ['bad percent trip id', '/ws/chat/%E0%A4%A/?token=§token:editor§'],
    ['bad header token', '/ws/trips/§trip§/', { authorization: 'Bearer garbage' }],
    ['foreign origin', '/ws/chat/§trip§/?token=§token:editor§', { origin: 'https://evil.test' }],
    ['repeated token', '/ws/chat/§trip§/?token=garbage&token=§token:editor§'],
  ];
  for (const since of [
    'garbage',
    '',
    'a'.repeat(2000),
    '-1',
    '0',
    '99999999999999999999.1',
    '1.99999999999999999999',
    '%00',
    '1e999',
  ])
    cases.push([
      `since=${since.slice(0, 20)}`,
      `/ws/chat/§trip§/?token=§token:editor§&since=${encodeURIComponent(since)}`,
    ]);
  return cases;
}

/** Runs the socket fuzz; `available: false` when the app has no /ws/chat/ endpoint. */
export async function runWsFuzz(options: {
  baseUrl: string;
  http: Transport;
  seed: number;
  frames: number;
}): Promise<WsReport> {
  const report: WsReport = {
    available: false,
    framesSent: 0,
    sockets: 0,
    handshakes: 0,
    closes: new Map(),
    serverFrames: new Map(),
    findings: [],
  };
  const wsBase = options.baseUrl.replace(/^http/, 'ws');
  const probe = await open(`${wsBase}/ws/chat/${new Prng(1).uuid()}/`);
  if ('httpStatus' in probe && probe.httpStatus === 404) return report;
  if ('failed' in probe) throw new Error(`socket probe failed: ${probe.failed}`);
  if ('ws' in probe) await probe.closed;
  report.available = true;
  const rng = new Prng(options.seed ^ 0x5eed);
  const world: World = await createWorld(options.http, { chat: true });
  const closeSeen = (code: number) => report.closes.set(code, (report.closes.get(code) ?? 0) + 1);
  try {
    for (const [label, path, headers] of handshakeCases(rng)) {
      report.handshakes++;
      await hostileHandshake(report, label, wsBase + substitute(path, world), headers ?? {}, closeSeen);
    }
    let refusals = 0;
    while (report.framesSent < options.frames) {
      const caller = rng.pick(['editor', 'viewer', 'owner']);
      const socket = await open(`${wsBase}/ws/chat/${world.trip}/?token=${world[`token:${caller}`]}`);
      if (!('ws' in socket)) {
        report.findings.push(
          `connect as ${caller}: ${'failed' in socket ? socket.failed : `HTTP ${socket.httpStatus}`}`,
        );
        break;
      }
      report.sockets++;
      if (!(await waitFor(socket, (f) => f.type === 'presence', 5000))) {
        // Refused with a documented code (4029: too many sockets while earlier ones wind down): retry.
        if (socket.closeCode !== null && DOCUMENTED_CLOSE_CODES.has(socket.closeCode) && refusals++ < 20) {
          closeSeen(socket.closeCode);
          await new Promise((r) => setTimeout(r, 200));
          continue;
        }
        report.findings.push(`connect as ${caller}: no history/presence (closed ${socket.closeCode})`);
        break;
      }
      await burst(report, socket, rng, world, options.frames);
      for (const f of socket.frames)
        report.serverFrames.set(f.type, (report.serverFrames.get(f.type) ?? 0) + 1);
      if (socket.closeCode === null) socket.ws.close(1000);
      closeSeen((await socket.closed).code);
    }
    const health = await options.http.send({ method: 'GET', url: '/health/', headers: {} });
    if (health.status !== 200) report.findings.push(`GET /health/ after the socket fuzz: ${health.status}`);
  } finally {
    terminateAll();
  }
  return report;
}

async function hostileHandshake(
  report: WsReport,
  label: string,
  url: string,
  headers: Record<string, string>,
  closeSeen: (code: number) => void,
) {
  const socket = await open(url, headers);
  if ('failed' in socket)
    return void report.findings.push(`handshake ${label}: no answer (${socket.failed})`);
  if ('httpStatus' in socket) {
    if (socket.httpStatus < 400 || socket.verdict)
      report.findings.push(`handshake ${label}: HTTP ${socket.httpStatus} ${socket.verdict?.reason ?? ''}`);
    return;
  }
  // Refused sockets close at once; accepted ones (a resume cursor the server tolerates) send presence.
  await waitFor(socket, (f) => f.type === 'presence', 5000);
  if (socket.closeCode !== null) {
    const closed = await socket.closed;
    closeSeen(closed.code);
    if (!DOCUMENTED_CLOSE_CODES.has(closed.code))
      report.findings.push(`handshake ${label}: closed ${closed.code} ${closed.reason}`);
    return;
  }
  socket.ws.send('{"type":"ping"}');
  if (!(await waitFor(socket, (f) => f.type === 'pong', 3000)))
    report.findings.push(`handshake ${label}: open but silent`);
  socket.ws.close();
  await socket.closed;
}

/** Up to BURST hostile frames, each followed by a ping that must be answered; an oversized one last. */
async function burst(
  report: WsReport,
  socket: Socket,
  rng: Prng,
  world: World,
  limit: number,
): Promise<void> {
  const pongs = () => socket.frames.filter((f) => f.type === 'pong').length;
  let oversized: HostileFrame | null = null;
  for (let i = 0; i < BURST && report.framesSent < limit; i++) {
    const frame = hostileFrame(rng);
    report.framesSent++;
    // Over the cap the socket closes (1009): send that one last, so the rest are exercised.
    if (frame.label === 'huge') {
      oversized = frame;
      continue;
    }
    const before = pongs();
    socket.ws.send(typeof frame.data === 'string' ? substitute(frame.data, world) : frame.data, {
      binary: frame.binary ?? false,
    });
    socket.ws.send('{"type":"ping"}');
    if (!(await waitUntil(socket, () => pongs() > before, 5000))) {
      const code = socket.closeCode;
      if (code === null) report.findings.push(`no pong after frame [${frame.label}]`);
      else if (!DOCUMENTED_CLOSE_CODES.has(code))
        report.findings.push(`closed ${code} after frame [${frame.label}]`);
      return;
    }
  }
  for (const f of socket.frames) {
    if (f.type === 'error' && (typeof f.code !== 'string' || typeof f.message !== 'string'))
      report.findings.push(`error frame without code/message: ${JSON.stringify(f).slice(0, 200)}`);
    if (f.type === '(not JSON)') report.findings.push(`server sent a non-JSON frame: ${f.raw}`);
  }
  if (oversized) {
    socket.ws.send(oversized.data);
    const errorsBefore = socket.frames.filter((f) => f.type === 'error').length;
    const answered = await waitUntil(
      socket,
      () => socket.frames.filter((f) => f.type === 'error').length > errorsBefore,
      5000,
    );
    if (!answered && socket.closeCode === null)
      report.findings.push('an oversized frame got neither an error nor a close');
    else if (socket.closeCode !== null && !DOCUMENTED_CLOSE_CODES.has(socket.closeCode))
      report.findings.push(`closed ${socket.closeCode} after an oversized frame`);
  }
}

/** The socket fuzz summary, as lines. */
export function formatWsReport(report: WsReport): string[] {
  if (!report.available)
    return ['websocket: /ws/chat/{trip_id}/ not served by this build — frame fuzz skipped'];
  const closes = [...report.closes]
    .sort((a, b) => a[0] - b[0])
    .map(([c, n]) => `${c}×${n}`)
    .join(' ');
  const frames = [...report.serverFrames]
    .sort((a, b) => b[1] - a[1])
    .map(([t, n]) => `${t}×${n}`)
    .join(' ');
  return [
    `websocket: ${report.handshakes} hostile handshakes, ${report.framesSent} hostile frames over ${report.sockets} sockets`,
    `  close codes: ${closes}`,
    `  server frames: ${frames}`,
    `  findings: ${report.findings.length}`,
    ...report.findings.slice(0, 30).map((f) => `  ✗ ${f}`),
  ];
}
