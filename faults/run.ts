/**
 * Fault scenarios against real processes and services (no mocks): each starts its own app
 * processes (src/main.ts in production mode), breaks something real, and prints PASS/FAIL with
 * counts. Exits 1 when any scenario fails.
 *
 *   npm run faults                      every scenario at full length
 *   npm run faults -- --fast            shortened outages and loads (CI runs this)
 *   npm run faults -- --only sigterm-drain,durability
 *
 * DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/postgres) is an admin connection:
 * each scenario creates a fresh database beside it and drops it. REDIS_URL (default
 * redis://127.0.0.1:6379) is used with its own key prefix; the scenario that kills Redis and the
 * one that restarts PostgreSQL start private servers of their own and never touch the shared ones.
 */
import { parseArgs } from 'node:util';
import { cleanUpAll, cleanUpOnSignals } from './lib/cleanup.ts';
import type { Scenario } from './lib/scenario.ts';
import { durability } from './durability.ts';
import { postgresRestart } from './postgres-restart.ts';
import { redisOutage } from './redis-outage.ts';
import { sigtermDrain } from './sigterm-drain.ts';

const scenarios: Scenario[] = [redisOutage, postgresRestart, sigtermDrain, durability];

const { values: args } = parseArgs({
  options: { fast: { type: 'boolean', default: false }, only: { type: 'string' } },
});
const only = args.only?.split(',').map((s) => s.trim());
const unknown = only?.filter((name) => !scenarios.some((s) => s.name === name)) ?? [];
if (unknown.length > 0) {
  console.error(`unknown scenario ${unknown.join(', ')}; known: ${scenarios.map((s) => s.name).join(', ')}`);
  process.exit(2);
}
const context = {
  fast: args.fast,
  adminUrl: process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres',
  redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
};

cleanUpOnSignals();
console.log(
  `fault scenarios${context.fast ? ' (--fast)' : ''}: PostgreSQL ${new URL(context.adminUrl).host}, Redis ${new URL(context.redisUrl).host}`,
);
const results: { name: string; passed: boolean; summary: string; seconds: number }[] = [];
for (const scenario of scenarios.filter((s) => !only || only.includes(s.name))) {
  console.log(`\n== ${scenario.name}: ${scenario.title}`);
  const started = Date.now();
  let passed = false;
  let summary = '';
  try {
    const checks = await scenario.run(context);
    passed = checks.passed;
    summary = checks.summary;
  } catch (error) {
    summary = `error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`;
  } finally {
    await cleanUpAll();
  }
  const seconds = (Date.now() - started) / 1000;
  results.push({ name: scenario.name, passed, summary, seconds });
  console.log(`${passed ? 'PASS' : 'FAIL'} ${scenario.name} (${seconds.toFixed(0)} s): ${summary}`);
}

console.log('\nsummary');
for (const r of results) console.log(`${r.passed ? 'PASS' : 'FAIL'} ${r.name.padEnd(18)} ${r.summary}`);
const failed = results.filter((r) => !r.passed).length;
console.log(
  failed === 0 ? `all ${results.length} scenarios passed` : `${failed} of ${results.length} scenarios FAILED`,
);
process.exit(failed === 0 ? 0 : 1);
