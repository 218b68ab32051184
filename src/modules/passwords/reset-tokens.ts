import { randomBytes } from 'node:crypto';
import { and, eq, isNull, ne } from 'drizzle-orm';
import type { Db, Tx } from '../../db/index.ts';
import {
  passwordResetTokens,
  users,
  type PasswordResetTokenRow,
  type UserRow,
} from '../../db/schema/index.ts';
import { badRequest, type AppError } from '../../http/errors.ts';
import { hashToken } from '../auth/refresh-tokens.ts';

/** A fresh 256-bit url-safe token and the SHA-256 hash that is all the database keeps. */
export function newResetToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: hashToken(token) };
}

/** The token row and its user, by the raw token (looked up by its hash). */
export async function findResetToken(
  db: Db | Tx,
  token: string,
): Promise<{ token: PasswordResetTokenRow; user: UserRow } | null> {
  const [row] = await db
    .select({ token: passwordResetTokens, user: users })
    .from(passwordResetTokens)
    .innerJoin(users, eq(users.id, passwordResetTokens.userId))
    .where(eq(passwordResetTokens.tokenHash, hashToken(token)))
    .limit(1);
  return row ?? null;
}

const refused = (type: string, message: string) => badRequest(message, type, { token: [message] });

/** Why a token cannot reset a password (unknown, superseded, used, expired, inactive account), or null. */
export function resetTokenRefusal(
  found: { token: PasswordResetTokenRow; user: UserRow } | null,
): AppError | null {
  if (!found || !found.user.isActive)
    return refused('reset_token_invalid', 'This password reset link is invalid. Request a new one.');
  if (found.token.usedAt)
    return refused('reset_token_used', 'This password reset link has already been used. Request a new one.');
  if (found.token.expiresAt.getTime() <= Date.now())
    return refused('reset_token_expired', 'This password reset link has expired. Request a new one.');
  return null;
}

/** Drops a user's unused reset tokens (all but `exceptId`): only the newest link may work. */
export async function discardUnusedResetTokens(tx: Tx, userId: string, exceptId?: string): Promise<void> {
  await tx
    .delete(passwordResetTokens)
    .where(
      and(
        eq(passwordResetTokens.userId, userId),
        isNull(passwordResetTokens.usedAt),
        exceptId ? ne(passwordResetTokens.id, exceptId) : undefined,
      ),
    );
}
