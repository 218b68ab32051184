import { randomInt } from 'node:crypto';
import type { AppContext } from '../../context.ts';
import { isUniqueViolation } from '../../db/errors.ts';
import { users, type UserRow } from '../../db/schema/index.ts';
import { validationError, type ErrorDetails } from '../../http/errors.ts';
import { inTransaction } from '../changes/unit-of-work.ts';
import { joinPendingInvitations } from '../invitations/join-pending.ts';
import { findUserByEmail, usernameTaken } from '../users/queries.ts';
import { issueRefreshToken } from './refresh-tokens.ts';
import { passwordProblems } from './password-policy.ts';
import type { RegisterBody } from './schemas.ts';

const EMAIL_TAKEN = 'A user with this email already exists.';
const USERNAME_TAKEN = 'A user with that username already exists.';

/** A username from the email's local part, made unique with a numeric suffix when needed. */
async function deriveUsername(ctx: AppContext, email: string): Promise<string> {
  const base = (email.split('@')[0] ?? 'user').replace(/[^\w.@+-]/g, '').slice(0, 140) || 'user';
  if (!(await usernameTaken(ctx.db, base))) return base;
  for (let attempt = 0; attempt < 5; attempt++) {
    const candidate = `${base}${randomInt(1000, 999_999)}`;
    if (!(await usernameTaken(ctx.db, candidate))) return candidate;
  }
  // Still within the 150 characters of a username: 137 + 13 digits.
  return `${base.slice(0, 137)}${Date.now()}`;
}

export interface Registered {
  user: UserRow;
  access: string;
  refresh: string;
}

/** Creates an account (all field problems reported together) and its first session. */
export async function registerUser(ctx: AppContext, input: RegisterBody): Promise<Registered> {
  const email = input.email.trim().toLowerCase();
  const details: ErrorDetails = {};
  const add = (field: string, problem: string) => (details[field] ??= []).push(problem);

  for (const problem of passwordProblems(input.password, email)) add('password', problem);
  if (input.password !== input.password_confirm) add('password_confirm', 'Passwords do not match.');
  if (await findUserByEmail(ctx.db, email)) add('email', EMAIL_TAKEN);
  if (input.username && (await usernameTaken(ctx.db, input.username))) add('username', USERNAME_TAKEN);
  if (Object.keys(details).length > 0) throw validationError(details);

  const username = input.username ?? (await deriveUsername(ctx, email));
  const passwordHash = await ctx.passwords.hash(input.password);
  try {
    return await inTransaction(ctx, async (unit) => {
      const { tx } = unit;
      const [user] = await tx
        .insert(users)
        .values({
          email,
          username,
          passwordHash,
          firstName: input.first_name?.trim() ?? '',
          lastName: input.last_name?.trim() ?? '',
          lastLogin: new Date(),
        })
        .returning();
      if (!user) throw new Error('insert returned no row');
      await unit.record({
        tripId: null,
        entity: 'user',
        entityId: user.id,
        op: 'insert',
        version: user.version,
        actorId: user.id,
        fields: ['email', 'username', 'first_name', 'last_name'],
      });
      // Invitations sent to this address before the account existed take effect now.
      await joinPendingInvitations(unit, { userId: user.id, email });
      const refresh = await issueRefreshToken(tx, {
        userId: user.id,
        ttlSec: ctx.config.auth.refreshTokenTtlSec,
      });
      const access = await ctx.accessTokens.sign(user.id);
      return { user, access, refresh };
    });
  } catch (error) {
    // Two registrations racing past the checks above: the unique indexes decide, cleanly.
    if (isUniqueViolation(error, 'users_email_lower_key')) throw validationError({ email: [EMAIL_TAKEN] });
    if (isUniqueViolation(error, 'users_username_lower_key'))
      throw validationError({ username: [USERNAME_TAKEN] });
    throw error;
  }
}
