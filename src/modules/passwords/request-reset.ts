import { createHash } from 'node:crypto';
import { setTimeout } from 'node:timers/promises';
import { sql } from 'drizzle-orm';
import type { AppContext } from '../../context.ts';
import { passwordResetTokens, users } from '../../db/schema/index.ts';
import { enqueueEmail } from '../../platform/email-outbox.ts';
import { inTransaction } from '../changes/unit-of-work.ts';
import { passwordResetEmail } from './emails.ts';
import { discardUnusedResetTokens, newResetToken } from './reset-tokens.ts';

/**
 * At most RATE_LIMIT_AUTH reset emails per window to one address, whatever the callers' IPs, so
 * the endpoint cannot be used to flood someone's inbox. Over budget the request still answers the
 * same 202; only the email is skipped.
 */
async function mailBudgetLeft(ctx: AppContext, email: string): Promise<boolean> {
  const limits = ctx.config.rateLimit;
  if (!limits.enabled) return true;
  const key = `pwreset:${createHash('sha256').update(email).digest('hex')}`;
  try {
    const hit = await ctx.platform.rateLimitStore.hit(key, limits.windowSec * 1000);
    return hit.count <= limits.authMax;
  } catch {
    return true; // like the route limiter: counting failures never fail the request
  }
}

/**
 * Both answers (account or not) take at least this long. The work itself differs by a few
 * milliseconds (an unknown address skips three writes), which a patient caller could measure;
 * padding both to one floor leaves nothing to compare.
 */
const RESPONSE_FLOOR_MS = 100;

/**
 * Starts a password reset for `email`. For an active account: deletes its earlier unused tokens,
 * stores the hash of a new single-use token and queues the email, in one transaction. The caller
 * answers the same whether or not the account exists, and no sooner than RESPONSE_FLOOR_MS after
 * the request started, so neither the body nor the timing reveals which addresses have accounts.
 */
export async function requestPasswordReset(
  ctx: AppContext,
  props: { email: string; baseUrl: string },
): Promise<void> {
  const floor = setTimeout(RESPONSE_FLOOR_MS);
  try {
    await startReset(ctx, props);
  } finally {
    await floor;
  }
}

/** The work of a reset request, without the floor. */
async function startReset(ctx: AppContext, props: { email: string; baseUrl: string }): Promise<void> {
  const email = props.email.trim().toLowerCase();
  const { token, hash } = newResetToken();
  const ttlSec = ctx.config.auth.passwordResetTtlSec;
  const expiresAt = new Date(Date.now() + ttlSec * 1000);
  const send = await mailBudgetLeft(ctx, email);

  const sent = await inTransaction(ctx, async (unit) => {
    const { tx } = unit;
    // Locked, so two concurrent requests for one account leave exactly one working token.
    const [user] = await tx
      .select()
      .from(users)
      .where(sql`lower(${users.email}) = ${email}`)
      .for('no key update')
      .limit(1);
    if (!user?.isActive || !send) return false;
    await discardUnusedResetTokens(tx, user.id);
    await tx.insert(passwordResetTokens).values({ userId: user.id, tokenHash: hash, expiresAt });
    await enqueueEmail(unit, passwordResetEmail({ user, token, baseUrl: props.baseUrl, expiresAt, ttlSec }));
    return true;
  });
  if (!sent && !send) ctx.logger.info('password reset email skipped: per-address budget spent');
}
