import { parseArgs } from 'node:util';
import type { CliEnv } from '../config/cli.ts';
import { ConfigError, loadConfig } from '../config/index.ts';
import type { Env } from '../config/parse.ts';
import { configChecks } from './deploy-checks.ts';
import { probeChecks } from './probes.ts';
import { fail, printReport, warn, type Row } from './report.ts';

export const summary = 'check --deploy [--offline]: the deployment checklist, as a pass/warn/fail table';

/** All rows of `check --deploy` for an environment (configuration errors become fail rows). */
export async function deployReport(env: Env, options: { offline?: boolean } = {}): Promise<Row[]> {
  let config;
  try {
    config = loadConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    // Nothing else can be judged until the configuration parses: report every problem at once.
    return [
      ...error.problems.map((problem) => fail('Configuration', problem)),
      warn('Other checks', 'not run: fix the configuration first'),
    ];
  }
  const rows = configChecks(config);
  if (options.offline) return [...rows, warn('Reachability', 'not checked (--offline)')];
  return [...rows, ...(await probeChecks(config))];
}

/**
 * `check`: validates the configuration. `check --deploy`: every checklist item that configuration
 * and reachability decide, as a table; exit code 1 when any item fails.
 */
export async function run(argv: string[], { env }: CliEnv): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { deploy: { type: 'boolean', default: false }, offline: { type: 'boolean', default: false } },
  });
  if (!values.deploy) {
    loadConfig(env); // throws ConfigError, printed by the dispatcher
    console.log('configuration is valid (run `check --deploy` for the deployment checklist)');
    return 0;
  }
  const rows = await deployReport(env, { offline: values.offline });
  return printReport('Deployment checklist (check --deploy)', rows);
}
