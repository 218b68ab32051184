/** Row counts and a checksum per table: how backup/restore shows (and tests prove) data is identical. */
import type { RawExec } from '../db/index.ts';

export interface TableFingerprint {
  rows: number;
  /** md5 of every row's text form, in sorted order: equal tables give equal checksums. */
  md5: string;
}

const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

/** Every table of the public schema (the app's tables and schema_migrations), by name. */
export async function fingerprintTables(exec: RawExec): Promise<Map<string, TableFingerprint>> {
  const tables = await exec(`select tablename from pg_tables where schemaname = 'public' order by tablename`);
  const result = new Map<string, TableFingerprint>();
  for (const { tablename } of tables.rows) {
    const name = String(tablename);
    const { rows } = await exec(
      `select count(*)::int as rows, coalesce(md5(string_agg(t::text, E'\\n' order by t::text)), '') as md5
         from public.${quote(name)} t`,
    );
    result.set(name, { rows: Number(rows[0]?.rows ?? 0), md5: String(rows[0]?.md5 ?? '') });
  }
  return result;
}

/** "14 tables, 1234 rows" */
export function describeFingerprints(prints: Map<string, TableFingerprint>): string {
  let rows = 0;
  for (const print of prints.values()) rows += print.rows;
  return `${prints.size} tables, ${rows} rows`;
}
