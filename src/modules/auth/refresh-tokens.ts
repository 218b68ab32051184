import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { and, eq, isNull, sql } from 'drizzle-orm';
import type { Db, Tx } from '../../db/index.ts';
import { retryOnConflict } from '../../db/retry.ts';
import { refreshTokens } from '../../db/schema/index.ts';

/** Only this hash is stored, so a database leak yields no usable refresh token. */
export const hashToken = (raw: string) => createHash('sha256').update(raw).digest('hex');

/** Starts a new family (a login) or continues one (a refresh); returns the raw token for the client. */
export async function issueRefreshToken(
  tx: Db | Tx,
  props: { userId: string; familyId?: string; ttlSec: number; id?: string },
): Promise<string> {
  const raw = randomBytes(32).toString('base64url');
  await tx.insert(refreshTokens).values({
    id: props.id ?? randomUUID(),
    userId: props.userId,
    familyId: props.familyId ?? randomUUID(),
    tokenHash: hashToken(raw),
    expiresAt: new Date(Date.now() + props.ttlSec * 1000),
  });
  return raw;
}

export type RotationResult =
  | { ok: true; userId: string; refresh: string }
  | { ok: false; reason: 'unknown' | 'expired' | 'revoked' | 'reused' };

/**
 * Marks the presented token used and issues its successor. The row is locked first, so two
 * concurrent refreshes with one token cannot both succeed: the second sees it used, which is
 * exactly what a replayed (stolen) token looks like, and the family is revoked. Run again when a
 * concurrent revocation of the family deadlocks with it (retryOnConflict).
 */
export async function rotateRefreshToken(db: Db, raw: string, ttlSec: number): Promise<RotationResult> {
  return retryOnConflict(() => rotate(db, raw, ttlSec));
}

async function rotate(db: Db, raw: string, ttlSec: number): Promise<RotationResult> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .select()
      .from(refreshTokens)
      .where(eq(refreshTokens.tokenHash, hashToken(raw)))
      .for('update')
      .limit(1);
    if (!row) return { ok: false, reason: 'unknown' } as const;
    if (row.revokedAt) return { ok: false, reason: 'revoked' } as const;
    if (row.usedAt) {
      await revokeFamily(tx, row.familyId);
      return { ok: false, reason: 'reused' } as const;
    }
    if (row.expiresAt.getTime() <= Date.now()) return { ok: false, reason: 'expired' } as const;
    const nextId = randomUUID();
    await tx
      .update(refreshTokens)
      .set({ usedAt: sql`now()`, replacedBy: nextId })
      .where(eq(refreshTokens.id, row.id));
    const refresh = await issueRefreshToken(tx, {
      id: nextId,
      userId: row.userId,
      familyId: row.familyId,
      ttlSec,
    });
    return { ok: true, userId: row.userId, refresh } as const;
  });
}

export async function revokeFamily(tx: Db | Tx, familyId: string): Promise<void> {
  await tx
    .update(refreshTokens)
    .set({ revokedAt: sql`now()` })
    .where(and(eq(refreshTokens.familyId, familyId), isNull(refreshTokens.revokedAt)));
}

/** Logout: kills the presented token's whole family (that device's session). */
export async function revokeByToken(db: Db, raw: string, userId: string): Promise<boolean> {
  const [row] = await db
    .select({ familyId: refreshTokens.familyId, userId: refreshTokens.userId })
    .from(refreshTokens)
    .where(eq(refreshTokens.tokenHash, hashToken(raw)))
    .limit(1);
  if (!row || row.userId !== userId) return false;
  // One statement over the family's rows; a concurrent rotation locks them in another order.
  await retryOnConflict(() => revokeFamily(db, row.familyId));
  return true;
}

/** Signs a user out everywhere: every refresh token of every family is revoked. */
export async function revokeAllRefreshTokens(tx: Db | Tx, userId: string): Promise<void> {
  await tx
    .update(refreshTokens)
    .set({ revokedAt: sql`now()` })
    .where(and(eq(refreshTokens.userId, userId), isNull(refreshTokens.revokedAt)));
}
