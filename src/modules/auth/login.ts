import { eq, sql } from 'drizzle-orm';
import type { AppContext } from '../../context.ts';
import { users, type UserRow } from '../../db/schema/index.ts';
import { authenticationFailed } from '../../http/errors.ts';
import { findUserByEmail } from '../users/queries.ts';
import { issueRefreshToken } from './refresh-tokens.ts';

/**
 * Checks credentials and starts a session. Unknown email, wrong password and inactive account all
 * give the same 401 after the same work, so neither message nor timing reveals which emails exist.
 */
export async function login(ctx: AppContext, email: string, password: string) {
  const user = await findUserByEmail(ctx.db, email.trim());
  let valid = false;
  if (user) valid = await ctx.passwords.verify(user.passwordHash, password);
  else await ctx.passwords.verifyDummy(password);
  if (!user || !valid || !user.isActive) throw authenticationFailed();

  // last_login is bookkeeping, not synced content: no version bump, no change-log entry.
  const [updated] = await ctx.db
    .update(users)
    .set({ lastLogin: sql`now()` })
    .where(eq(users.id, user.id))
    .returning();
  const refresh = await issueRefreshToken(ctx.db, {
    userId: user.id,
    ttlSec: ctx.config.auth.refreshTokenTtlSec,
  });
  const access = await ctx.accessTokens.sign(user.id);
  return { user: updated ?? (user as UserRow), access, refresh };
}
