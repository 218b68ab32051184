import { createHash } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../../context.ts';
import { idempotencyKeys } from '../../db/schema/index.ts';
import { AppError, badRequest } from '../../http/errors.ts';
import { inTransaction, type Unit } from '../changes/unit-of-work.ts';

export interface Outcome<T> {
  status: number;
  body: T;
}

const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

/** The Idempotency-Key header, validated; null when absent. */
export function idempotencyKeyOf(request: FastifyRequest): string | null {
  const key = request.headers['idempotency-key'];
  if (key === undefined) return null;
  if (typeof key !== 'string' || !KEY_PATTERN.test(key)) {
    throw badRequest('Idempotency-Key must be 1-255 visible ASCII characters.', 'invalid_idempotency_key');
  }
  return key;
}

const hashBody = (body: unknown) =>
  createHash('sha256')
    .update(JSON.stringify(body ?? null))
    .digest('hex');

/**
 * Runs a write once per (user, Idempotency-Key). The key row is inserted first, inside the write's
 * transaction: a concurrent duplicate blocks on the primary key until the first commits, then
 * finds the stored outcome and replays it. A rolled-back first attempt leaves no key behind.
 * Without a key this is just `inTransaction`.
 */
export async function runIdempotent<T>(
  ctx: Pick<AppContext, 'db' | 'changeListeners' | 'logger'>,
  props: { userId: string; key: string | null; scope: string; body: unknown },
  fn: (unit: Unit) => Promise<Outcome<T>>,
): Promise<Outcome<T> & { replayed: boolean }> {
  if (!props.key) return { ...(await inTransaction(ctx, fn)), replayed: false };
  const key = props.key;
  const requestHash = hashBody(props.body);
  return inTransaction(ctx, async (unit) => {
    const inserted = await unit.tx
      .insert(idempotencyKeys)
      .values({ userId: props.userId, key, scope: props.scope, requestHash, statusCode: 0, response: {} })
      .onConflictDoNothing()
      .returning({ key: idempotencyKeys.key });
    if (inserted.length === 0) {
      const [stored] = await unit.tx
        .select()
        .from(idempotencyKeys)
        .where(and(eq(idempotencyKeys.userId, props.userId), eq(idempotencyKeys.key, key)));
      if (!stored) throw new Error('idempotency key vanished');
      if (stored.scope !== props.scope || stored.requestHash !== requestHash) {
        throw new AppError(
          422,
          'idempotency_key_reused',
          'This Idempotency-Key was already used for a different request.',
        );
      }
      return { status: stored.statusCode, body: stored.response as T, replayed: true };
    }
    const outcome = await fn(unit);
    await unit.tx
      .update(idempotencyKeys)
      .set({ statusCode: outcome.status, response: sql`${JSON.stringify(outcome.body)}::jsonb` })
      .where(and(eq(idempotencyKeys.userId, props.userId), eq(idempotencyKeys.key, key)));
    return { ...outcome, replayed: false };
  });
}
