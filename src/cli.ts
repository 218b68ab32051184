import { ConfigError, loadConfig } from './config/index.ts';
import { migrate, openDatabase } from './db/index.ts';

const USAGE = `Usage: smart-trip-planner <command>

Commands:
  migrate    apply pending database migrations (exit code 1 on failure)
`;

async function runMigrate(): Promise<number> {
  const config = loadConfig();
  const database = await openDatabase(config.database);
  try {
    const result = await migrate(database);
    console.log(
      result.applied.length > 0
        ? `applied ${result.applied.length} migration(s): ${result.applied.join(', ')}`
        : `database is up to date (${result.alreadyApplied} migration(s) applied earlier)`,
    );
    return 0;
  } finally {
    await database.close();
  }
}

async function run(argv: string[]): Promise<number> {
  const [command] = argv;
  switch (command) {
    case 'migrate':
      return runMigrate();
    case undefined:
    case 'help':
    case '--help':
      console.log(USAGE);
      return command === undefined ? 1 : 0;
    default:
      console.error(`unknown command "${command}"\n\n${USAGE}`);
      return 1;
  }
}

run(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(
      error instanceof ConfigError
        ? error.message
        : `error: ${error instanceof Error ? error.message : String(error)}`,
    );
    process.exit(1);
  },
);
