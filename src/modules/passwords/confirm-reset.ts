import { and, eq, gt, isNull, sql } from 'drizzle-orm';
import type { AppContext } from '../../context.ts';
import { passwordResetTokens, users } from '../../db/schema/index.ts';
import { validationError } from '../../http/errors.ts';
import { revokeAllRefreshTokens } from '../auth/refresh-tokens.ts';
import { inTransaction } from '../changes/unit-of-work.ts';
import { newPasswordProblems } from './new-password.ts';
import { discardUnusedResetTokens, findResetToken, resetTokenRefusal } from './reset-tokens.ts';
import type { ResetConfirmBody } from './schemas.ts';

/**
 * Sets a new password with an emailed token: the token is spent, every refresh token of the user
 * is revoked (every device signed out) and any other pending reset link dies. The token is checked
 * first (the policy needs its account's email), then again under a row lock when it is spent, so
 * two concurrent uses cannot both succeed.
 */
export async function confirmPasswordReset(ctx: AppContext, input: ResetConfirmBody): Promise<void> {
  const token = input.token.trim();
  const found = await findResetToken(ctx.db, token);
  const refusal = resetTokenRefusal(found);
  if (refusal || !found) throw refusal;

  const details = newPasswordProblems({
    newPassword: input.new_password,
    confirm: input.new_password_confirm,
    email: found.user.email,
  });
  if (Object.keys(details).length > 0) throw validationError(details);
  const passwordHash = await ctx.passwords.hash(input.new_password);

  await inTransaction(ctx, async ({ tx }) => {
    const [spent] = await tx
      .update(passwordResetTokens)
      .set({ usedAt: sql`now()` })
      .where(
        and(
          eq(passwordResetTokens.id, found.token.id),
          isNull(passwordResetTokens.usedAt),
          gt(passwordResetTokens.expiresAt, sql`now()`),
        ),
      )
      .returning({ userId: passwordResetTokens.userId });
    // Spent, superseded or expired since the first look: say which, as of now.
    if (!spent) throw resetTokenRefusal(await findResetToken(tx, token)) ?? new Error('token not spent');
    await tx.update(users).set({ passwordHash }).where(eq(users.id, spent.userId));
    await revokeAllRefreshTokens(tx, spent.userId);
    await discardUnusedResetTokens(tx, spent.userId);
  });
}
