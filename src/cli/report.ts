/** The pass/warn/fail table that `check --deploy` and `smoke` print, and the exit code it implies. */
export type Status = 'pass' | 'warn' | 'fail';

export interface Row {
  status: Status;
  /** What was checked, e.g. "SECRET_KEY" or "HSTS header". */
  item: string;
  detail: string;
}

export const pass = (item: string, detail: string): Row => ({ status: 'pass', item, detail });
export const warn = (item: string, detail: string): Row => ({ status: 'warn', item, detail });
export const fail = (item: string, detail: string): Row => ({ status: 'fail', item, detail });

/** Rows as an aligned plain-text table (log-friendly: no colours, one line per row). */
export function formatTable(rows: readonly Row[]): string {
  const width = Math.max(5, ...rows.map((r) => r.item.length));
  const lines = [`${'RESULT'.padEnd(6)}  ${'CHECK'.padEnd(width)}  DETAIL`];
  lines.push(`${'-'.repeat(6)}  ${'-'.repeat(width)}  ${'-'.repeat(6)}`);
  for (const row of rows)
    lines.push(`${row.status.toUpperCase().padEnd(6)}  ${row.item.padEnd(width)}  ${row.detail}`);
  return lines.join('\n');
}

/** "12 pass, 2 warn, 1 fail" */
export function summaryOf(rows: readonly Row[]): string {
  const count = (status: Status) => rows.filter((r) => r.status === status).length;
  return `${count('pass')} pass, ${count('warn')} warn, ${count('fail')} fail`;
}

/** 1 when any row failed: warnings alone never fail a deployment. */
export const exitCodeOf = (rows: readonly Row[]): number => (rows.some((r) => r.status === 'fail') ? 1 : 0);

/** Prints the table and a summary line; returns the exit code. */
export function printReport(title: string, rows: readonly Row[]): number {
  console.log(`${title}\n\n${formatTable(rows)}\n\n${summaryOf(rows)}`);
  for (const row of rows.filter((r) => r.status === 'fail')) console.error(`FAIL ${row.item}: ${row.detail}`);
  return exitCodeOf(rows);
}

/** The message of any thrown value, on one line. */
export const messageOf = (error: unknown): string =>
  (error instanceof Error ? error.message : String(error)).replace(/\s+/g, ' ').trim();
