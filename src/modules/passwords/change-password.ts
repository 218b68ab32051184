import { and, eq } from 'drizzle-orm';
import type { AppContext } from '../../context.ts';
import { users } from '../../db/schema/index.ts';
import { notAuthenticated, validationError } from '../../http/errors.ts';
import { inTransaction } from '../changes/unit-of-work.ts';
import { issueRefreshToken, revokeAllRefreshTokens } from '../auth/refresh-tokens.ts';
import { findUserById } from '../users/queries.ts';
import { newPasswordProblems } from './new-password.ts';
import { discardUnusedResetTokens } from './reset-tokens.ts';
import type { ChangePasswordBody } from './schemas.ts';

const WRONG_OLD = 'Your old password was entered incorrectly. Please enter it again.';

/**
 * Changes the signed-in user's password. Every refresh token of the user is revoked (every device,
 * this one included, is signed out) and this device gets a fresh token pair in the response, so
 * the caller stays signed in without a refresh token that predates the change. Pending reset links
 * die too. The password hash is not content: no version bump, no change-log row.
 */
export async function changePassword(
  ctx: AppContext,
  props: { userId: string; input: ChangePasswordBody },
): Promise<{ access: string; refresh: string }> {
  const { input } = props;
  const user = await findUserById(ctx.db, props.userId);
  if (!user?.isActive) throw notAuthenticated('User not found or inactive.');

  // Every problem at once; argon2 runs outside the transaction, so no connection waits on it.
  const details = newPasswordProblems({
    newPassword: input.new_password,
    confirm: input.new_password_confirm,
    email: user.email,
  });
  const oldValid = await ctx.passwords.verify(user.passwordHash, input.old_password);
  if (!oldValid) details.old_password = [WRONG_OLD];
  else if (input.new_password === input.old_password)
    (details.new_password ??= []).push('The new password must be different from the old one.');
  if (Object.keys(details).length > 0) throw validationError(details);
  const passwordHash = await ctx.passwords.hash(input.new_password);

  return inTransaction(ctx, async ({ tx }) => {
    // Only over the hash just verified: a concurrent change makes the old password wrong, not lost.
    const [updated] = await tx
      .update(users)
      .set({ passwordHash })
      .where(and(eq(users.id, user.id), eq(users.passwordHash, user.passwordHash)))
      .returning({ id: users.id });
    if (!updated) throw validationError({ old_password: [WRONG_OLD] });
    await revokeAllRefreshTokens(tx, user.id);
    await discardUnusedResetTokens(tx, user.id);
    const refresh = await issueRefreshToken(tx, {
      userId: user.id,
      ttlSec: ctx.config.auth.refreshTokenTtlSec,
    });
    return { access: await ctx.accessTokens.sign(user.id), refresh };
  });
}
