/** What `npm run bench` prints: the measurements, then one PASS/MISS line per target of issue 7. */
import type { FanoutResult } from './chat-fanout.ts';
import type { LoadResult } from './http-load.ts';
import { fixed, printTable, whole } from './table.ts';
import { REFERENCE, TARGET, requiredRps, verdict } from './targets.ts';

/** A process's resident memory; `sharedMb` of it also counts in other processes (node's code). */
export type Rss = { pid: number; mb: number; sharedMb: number };

/** A scenario's reported run (the median of its rounds by req/s) and every round's req/s. */
export type MeasuredRun = LoadResult & { rounds: number[] };

export interface Measured {
  /** How the service and the floors ran: compiled (dist/, as production) or through tsx. */
  runtime: 'compiled' | 'tsx';
  scenarios: { name: string; results: MeasuredRun[] }[];
  floors: { bare?: MeasuredRun[]; query?: MeasuredRun[] };
  /** Each rate's reported run (the median p99 of its rounds) and every round's p99. */
  chat: (FanoutResult & { roundsP99: number[] })[];
  /** Each worker's resident memory after the run, 2 s after start (idle), and the floor's. */
  rss: Rss[];
  rssIdle: Rss[];
  floorRss: Rss[];
  floorRssIdle: Rss[];
  kinds: Record<string, 'read' | 'write' | 'login'>;
}

const atConcurrency = (results: LoadResult[] | undefined, c: number) =>
  results?.find((r) => r.concurrency === c);
const highest = (results: LoadResult[]) => results.reduce((a, b) => (b.concurrency > a.concurrency ? b : a));

export function printResults(m: Measured): void {
  const rows: string[][] = [];
  const add = (name: string, results: MeasuredRun[]) => {
    for (const r of results) {
      const bare = atConcurrency(m.floors.bare, r.concurrency)?.rps ?? NaN;
      const query = atConcurrency(m.floors.query, r.concurrency)?.rps ?? NaN;
      rows.push([
        name,
        String(r.concurrency),
        whole(r.rps),
        fixed(r.p50, 2),
        fixed(r.p99, 2),
        String(r.errors),
        fixed(r.rps / bare, 3),
        fixed(r.rps / query, 3),
        r.rounds.map(whole).join(' / '),
      ]);
    }
  };
  if (m.floors.bare) add('floor: bare Fastify, tiny JSON', m.floors.bare);
  if (m.floors.query) add('floor: bare Fastify + 1 pk query', m.floors.query);
  for (const s of m.scenarios) add(s.name, s.results);
  console.log(
    '\nHTTP scenarios (each: the run with the median req/s of its rounds, whose req/s are all listed, errors counted over all of them; ' +
      'latency per request; ratios = req/s ÷ floor req/s; the floors took turns with GET /health/ ' +
      'and trip detail)',
  );
  printTable(
    ['scenario', 'conc', 'req/s', 'p50 ms', 'p99 ms', 'errors', '÷ bare', '÷ 1-query', 'rounds req/s'],
    rows,
  );
  for (const s of m.scenarios)
    for (const r of s.results)
      if (r.firstError) console.log(`  first error, ${s.name} at ${r.concurrency}: ${r.firstError}`);

  if (m.chat.length > 0) {
    console.log(
      '\nchat fan-out (one trip, one socket per member; latency = send → each socket receives; ' +
        'each rate: the round with the median p99, or one that lost messages)',
    );
    printTable(
      [
        'sockets',
        'msg/s asked',
        'msg/s sent',
        'sent',
        'delivered',
        'lost',
        'p50 ms',
        'p99 ms',
        'max ms',
        'error frames',
        'rounds p99 ms',
      ],
      m.chat.map((c) => [
        String(c.sockets),
        String(c.rate),
        whole(c.achievedRate),
        String(c.sent),
        `${c.delivered}/${c.expected}`,
        String(c.lost),
        fixed(c.p50, 2),
        fixed(c.p99, 2),
        fixed(c.max, 1),
        String(c.errors),
        c.roundsP99.map((p) => fixed(p, 2)).join(' / '),
      ]),
    );
  }
  const rss = (label: string, list: Rss[]) => {
    if (list.length > 0)
      console.log(
        `${label}: ${list.map((p) => `pid ${p.pid} ${fixed(p.mb)} MB (${fixed(p.sharedMb)} shared)`).join(', ')}`,
      );
  };
  console.log(
    `\nworker RSS (${m.runtime === 'tsx' ? 'through tsx' : 'compiled, as npm run start:prod'}; ` +
      '"shared": resident pages other processes map too, mostly the node binary\'s code):',
  );
  rss('RSS idle after start', m.rssIdle);
  rss('RSS after the run', m.rss);
  rss('floor RSS idle after start', m.floorRssIdle);
  rss('floor RSS after its run', m.floorRss);
}

export function printVerdicts(m: Measured, context: { embedded: boolean; workers: number }): void {
  const rows: string[][] = [];
  const notes: string[] = [];
  const line = (check: string, measured: string, target: string, pass: boolean) =>
    rows.push([check, measured, target, verdict(pass)]);
  for (const s of m.scenarios) {
    const top = highest(s.results);
    const kind = m.kinds[s.name] ?? 'read';
    const ref = REFERENCE[s.name];
    const needed = requiredRps(s.name, kind);
    if (ref && needed !== null) {
      const vs = [
        ref.django !== null ? `${fixed(top.rps / ref.django)}× Django ${ref.django}` : '',
        ref.planner !== null ? `${fixed(top.rps / ref.planner)}× TS ${ref.planner}` : '',
      ]
        .filter(Boolean)
        .join(', ');
      const rule =
        kind === 'login'
          ? '≥3× Django'
          : `≥10× Django${ref.planner !== null ? `, ≥${kind === 'write' ? 3 : 5}× TS` : ''}`;
      line(
        `${s.name}: req/s at ${top.concurrency}, no errors`,
        `${whole(top.rps)} (${vs}), ${top.errors} err`,
        `≥ ${whole(needed)} (${rule})`,
        top.rps >= needed && top.errors === 0,
      );
    }
    // The p99 target is for the seed surface's reads (the original system's, Part A of the
    // spec: the scenarios with a Django figure). The sync feed is ours (Part B); its p99 is
    // printed below the table, with no target.
    if (kind === 'read' && ref?.django != null)
      line(
        `${s.name}: p99 at ${top.concurrency}`,
        `${fixed(top.p99, 2)} ms`,
        `< ${TARGET.readP99Ms} ms`,
        top.p99 < TARGET.readP99Ms,
      );
    else if (kind === 'read')
      notes.push(
        `${s.name} (not of the seed surface, no target): p50 ${fixed(top.p50, 2)} ms, ` +
          `p99 ${fixed(top.p99, 2)} ms at ${top.concurrency}, ${whole(top.rps)} req/s`,
      );
  }
  const ratio = (name: string, floor: LoadResult[] | undefined, share: number, label: string) => {
    const s = m.scenarios.find((x) => x.name === name);
    if (!s || !floor) return;
    const top = highest(s.results);
    const base = atConcurrency(floor, top.concurrency)!.rps;
    line(
      `${name} ÷ ${label} at ${top.concurrency}`,
      `${whole(top.rps)} ÷ ${whole(base)} = ${Math.round((100 * top.rps) / base)} %`,
      `≥ ${share * 100} %`,
      top.rps >= share * base,
    );
  };
  ratio('GET /health/', m.floors.bare, TARGET.healthVsBare, 'bare-Fastify floor');
  ratio('trip detail', m.floors.query, TARGET.detailVsQuery, 'one-query floor');
  for (const c of m.chat) {
    const limit = c.rate <= 50 ? TARGET.chatP99At50 : TARGET.chatP99At500;
    line(
      `chat fan-out ${c.sockets} sockets at ${c.rate} msg/s: sustained, none lost, p99`,
      `${whole(c.achievedRate)} msg/s, ${c.lost} lost, ${fixed(c.p99, 2)} ms`,
      `≥ ${Math.round(c.rate * 0.98)} msg/s, 0 lost, < ${limit} ms`,
      c.achievedRate >= c.rate * 0.98 && c.lost === 0 && c.p99 < limit,
    );
  }
  if (m.rss.length > 0) {
    const worst = Math.max(...m.rss.map((p) => p.mb));
    line(
      `RSS per worker (${m.rss.length})`,
      `max ${fixed(worst)} MB`,
      `≤ ${TARGET.rssMb} MB`,
      worst <= TARGET.rssMb,
    );
  }
  const misses = rows.filter((r) => r[3] === 'MISS').length;
  console.log(
    `\ntargets of issue 7${context.embedded ? ' (EMBEDDED run: for reference only, the targets are for PostgreSQL + Redis)' : ''}` +
      ` — ${context.workers} worker(s); Django and TS-planner figures are the issue's, at concurrency 32`,
  );
  printTable(['check', 'measured', 'target', 'verdict'], rows);
  console.log(`${rows.length - misses} PASS, ${misses} MISS`);
  for (const note of notes) console.log(note);
}
