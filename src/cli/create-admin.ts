import { randomInt } from 'node:crypto';
import { parseArgs } from 'node:util';
import { eq, sql } from 'drizzle-orm';
import type { CliEnv } from '../config/cli.ts';
import { loadConfig, type Config } from '../config/index.ts';
import { openDatabase, type Database } from '../db/index.ts';
import { users } from '../db/schema/index.ts';
import { passwordProblems } from '../modules/auth/password-policy.ts';
import { inTransaction } from '../modules/changes/unit-of-work.ts';
import { findUserByEmail, usernameTaken } from '../modules/users/queries.ts';
import { createLogger } from '../platform/logger.ts';
import { createPasswordHasher } from '../platform/password-hasher.ts';

export const summary =
  'create-admin --email <e> [--password <p> | --password-stdin]: create a staff user, or promote an existing one';

/** The same shape registration accepts (the API's `format: email`), kept simple on purpose. */
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export interface AdminInput {
  email: string;
  password: string | null;
}

export class AdminInputError extends Error {}

/**
 * Creates `email` as an active staff user (the password checked by the registration policy), or
 * sets is_staff on the existing account. Idempotent: running it again changes nothing, and an
 * existing account's password is never changed here. Returns what it did, for the operator.
 */
export async function createAdmin(env: CliEnv['env'], input: AdminInput): Promise<string> {
  const config = loadConfig(env);
  checkEmail(input.email);
  const database = await openDatabase(config.database);
  try {
    return await ensureAdmin(database, config, input);
  } finally {
    await database.close();
  }
}

function checkEmail(raw: string): string {
  const email = raw.trim().toLowerCase();
  if (!EMAIL.test(email)) throw new AdminInputError(`"${raw}" is not an email address`);
  return email;
}

/** createAdmin on an open database (tests share theirs). */
export async function ensureAdmin(
  database: Database,
  config: Readonly<Config>,
  input: AdminInput,
): Promise<string> {
  const email = checkEmail(input.email);
  const ctx = { db: database.db, changeListeners: [], logger: createLogger('warn') };
  const existing = await findUserByEmail(database.db, email);
  if (existing) {
    if (existing.isStaff) return `${email} is already staff; nothing changed`;
    await inTransaction(ctx, async (unit) => {
      const [row] = await unit.tx
        .update(users)
        .set({ isStaff: true, version: sql`${users.version} + 1`, updatedAt: new Date() })
        .where(eq(users.id, existing.id))
        .returning({ version: users.version });
      await unit.record({
        tripId: null,
        entity: 'user',
        entityId: existing.id,
        op: 'update',
        version: row!.version,
        actorId: null,
        fields: ['is_staff'],
      });
    });
    const note = input.password ? ' (its password was left unchanged)' : '';
    return `promoted existing user ${email} to staff${note}`;
  }
  if (!input.password)
    throw new AdminInputError(`${email} does not exist yet: a password is required to create it`);
  const problems = passwordProblems(input.password, email);
  if (problems.length > 0)
    throw new AdminInputError(`password refused:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  const passwordHash = await createPasswordHasher(config.auth.argon2).hash(input.password);
  const username = await freeUsername(database.db, email);
  await inTransaction(ctx, async (unit) => {
    const [user] = await unit.tx
      .insert(users)
      .values({ email, username, passwordHash, isStaff: true })
      .returning({ id: users.id, version: users.version });
    await unit.record({
      tripId: null,
      entity: 'user',
      entityId: user!.id,
      op: 'insert',
      version: user!.version,
      actorId: null,
      fields: ['email', 'username', 'is_staff'],
    });
  });
  return `created staff user ${email} (username ${username})`;
}

/** The email's local part as username, with a numeric suffix when taken (as registration does). */
async function freeUsername(db: Parameters<typeof usernameTaken>[0], email: string): Promise<string> {
  const base = (email.split('@')[0] ?? 'admin').replace(/[^\w.@+-]/g, '').slice(0, 140) || 'admin';
  if (!(await usernameTaken(db, base))) return base;
  for (let attempt = 0; attempt < 10; attempt++) {
    const candidate = `${base}${randomInt(1000, 999_999)}`;
    if (!(await usernameTaken(db, candidate))) return candidate;
  }
  return `${base.slice(0, 137)}${Date.now()}`;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

/** `create-admin`: flags first, then ADMIN_EMAIL / ADMIN_PASSWORD. */
export async function run(argv: string[], cli: CliEnv): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      email: { type: 'string' },
      password: { type: 'string' },
      'password-stdin': { type: 'boolean', default: false },
    },
  });
  const email = values.email ?? cli.adminEmail;
  if (!email) {
    console.error(
      'usage: smart-trip-planner create-admin --email <email> [--password <p> | --password-stdin]\n' +
        '(or ADMIN_EMAIL / ADMIN_PASSWORD in the environment)',
    );
    return 2;
  }
  const password = values['password-stdin'] ? await readStdin() : (values.password ?? cli.adminPassword);
  try {
    console.log(await createAdmin(cli.env, { email, password }));
    return 0;
  } catch (error) {
    if (!(error instanceof AdminInputError)) throw error;
    console.error(`create-admin: ${error.message}`);
    return 1;
  }
}
