/** Prints a fuzz report: per-operation counts, totals, statuses, and each distinct finding in full. */
import type { FuzzReport } from './engine.ts';
import type { WireRequest } from './transport.ts';
import { unsubstitute, type World } from './world.ts';

const pad = (value: string | number, width: number) => String(value).padStart(width);

const clip = (text: string, max: number) =>
  text.length > max ? `${text.slice(0, max)}…(${text.length} chars)` : text;

function describe(request: WireRequest, world: World): string {
  const named = (text: string) => unsubstitute(text, world);
  const body =
    request.body === undefined
      ? '(no body)'
      : `${request.body.length} bytes: ${clip(JSON.stringify(named(String(request.body))), 300)}`;
  return `${request.method} ${clip(named(request.url), 200)}\n      headers ${clip(named(JSON.stringify(request.headers)), 300)}\n      body ${body}`;
}

/** The human-readable report, as lines. */
export function formatReport(report: FuzzReport): string[] {
  const lines: string[] = [];
  const width = Math.max(...[...report.perOp.keys()].map((k) => k.length), 10);
  lines.push(
    `${'operation'.padEnd(width)} ${pad('sent', 6)} ${pad('2xx', 5)} ${pad('3xx', 4)} ${pad('4xx', 6)} ${pad('5xx', 4)} ${pad('bad', 4)}`,
  );
  const total = { sent: 0, s2xx: 0, s3xx: 0, s4xx: 0, s5xx: 0, findings: 0 };
  for (const [key, s] of report.perOp) {
    lines.push(
      `${key.padEnd(width)} ${pad(s.sent, 6)} ${pad(s.s2xx, 5)} ${pad(s.s3xx, 4)} ${pad(s.s4xx, 6)} ${pad(s.s5xx, 4)} ${pad(s.findings, 4)}`,
    );
    for (const k of Object.keys(total) as (keyof typeof total)[]) total[k] += s[k];
  }
  lines.push(
    `${'TOTAL'.padEnd(width)} ${pad(total.sent, 6)} ${pad(total.s2xx, 5)} ${pad(total.s3xx, 4)} ${pad(total.s4xx, 6)} ${pad(total.s5xx, 4)} ${pad(total.findings, 4)}`,
  );
  lines.push('');
  const statuses = [...report.statuses].sort((a, b) => a[0] - b[0]).map(([s, n]) => `${s}×${n}`);
  lines.push(`statuses: ${statuses.join(' ')}`);
  const families = [...report.families].sort((a, b) => b[1] - a[1]).map(([f, n]) => `${f} ${n}`);
  lines.push(`damage families: ${families.join(', ')}`);
  lines.push(
    `operations ${report.operations.length}, requests ${report.sent} (+${report.setupRequests} fixture set-up in ${report.worlds} worlds), ` +
      `${(report.durationMs / 1000).toFixed(1)} s, ${Math.round(report.sent / (report.durationMs / 1000))} req/s`,
  );
  lines.push(`seed ${report.seed}, transport ${report.transport}, sequence digest ${report.digest}`);
  lines.push(
    `slowest: ${report.slowest.map((s) => `${Math.round(s.ms)} ms ${s.op} [${s.label}] → ${s.status}`).join('; ')}`,
  );
  lines.push(`health checks failed: ${report.healthFailures.length}`);
  for (const failure of report.healthFailures.slice(0, 5)) lines.push(`  ${failure}`);
  lines.push(`findings: ${report.findings.length} (${report.distinct.size} distinct)`);
  for (const [key, { count, first }] of report.distinct) {
    lines.push(`  ✗ ${key} — ${count}× — e.g. [${first.label}] as ${first.caller}`);
    lines.push(`    request  ${describe(first.request, first.world)}`);
    lines.push(`    response ${first.status} ${clip(unsubstitute(first.response, first.world), 300)}`);
    if (first.reproduced !== undefined)
      lines.push(`    reproduced alone: ${first.reproduced ? 'yes' : 'no'}`);
    if (first.minimized) lines.push(`    minimized ${describe(first.minimized, first.world)}`);
    if (first.stack)
      lines.push(
        `    stack\n${first.stack
          .split('\n')
          .slice(0, 12)
          .map((l) => `      ${l}`)
          .join('\n')}`,
      );
  }
  return lines;
}
