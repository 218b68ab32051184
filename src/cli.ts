/** The operator CLI (`npx smart-trip-planner <command>`): a thin dispatcher over src/cli/*. */
import { readCliEnv, type CliEnv } from './config/cli.ts';
import { ConfigError } from './config/index.ts';
import * as backup from './cli/backup.ts';
import * as check from './cli/check.ts';
import * as createAdmin from './cli/create-admin.ts';
import * as migrate from './cli/migrate.ts';
import * as restore from './cli/restore.ts';
import * as smoke from './cli/smoke.ts';

interface Command {
  summary: string;
  run(argv: string[], env: CliEnv): Promise<number>;
}

const COMMANDS: Record<string, Command> = {
  migrate,
  check,
  smoke,
  backup,
  restore,
  'create-admin': createAdmin,
};

const USAGE = `Usage: smart-trip-planner <command> [options]

Commands:
${Object.entries(COMMANDS)
  .map(([name, command]) => `  ${name.padEnd(13)} ${command.summary}`)
  .join('\n')}

Exit codes: 0 success, 1 failure (a failed check, an error), 2 bad usage.
`;

async function run(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    console.log(USAGE);
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    console.error(`unknown command "${name}"\n\n${USAGE}`);
    return 2;
  }
  return command.run(rest, readCliEnv());
}

run(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    const usage = (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    console.error(
      error instanceof ConfigError
        ? error.message
        : `error: ${error instanceof Error ? error.message : String(error)}`,
    );
    process.exit(usage ? 2 : 1);
  },
);
