import { and, eq, sql } from 'drizzle-orm';
import type { AppContext } from '../../context.ts';
import type { Tx } from '../../db/index.ts';
import { syncMutations } from '../../db/schema/index.ts';
import { envelope } from '../../http/envelope.ts';
import { AppError } from '../../http/errors.ts';
import { inTransaction, type Unit } from '../changes/unit-of-work.ts';
import { applyMutation, type Outcome } from './apply-mutation.ts';
import { versionKey } from './merge.ts';
import type { Mutation, MutationResult } from './schemas.ts';

type Ctx = Pick<AppContext, 'db' | 'changeListeners' | 'logger'>;
interface Props {
  userId: string;
  clientId: string;
  requestId: string;
  mediaUrl: (key: string) => string;
}

const objectEntityOf = (m: Mutation) => (m.entity === 'vote' ? 'poll' : m.entity);

function resultOf(m: Mutation, outcome: Outcome): MutationResult {
  return {
    mutation_id: m.mutation_id,
    entity: m.entity,
    op: m.op,
    id: m.id,
    status: outcome.status,
    replayed: false,
    object_entity: outcome.objectEntity,
    version: outcome.version,
    object: outcome.object,
    conflict: outcome.status === 'conflict' ? outcome.conflict : null,
    error: null,
  };
}

function rejectedResult(m: Mutation, error: AppError, requestId: string): MutationResult {
  return {
    mutation_id: m.mutation_id,
    entity: m.entity,
    op: m.op,
    id: m.id,
    status: 'rejected',
    replayed: false,
    object_entity: objectEntityOf(m),
    version: null,
    object: null,
    conflict: null,
    error: envelope(error.statusCode, error.type, error.message, error.details, requestId),
  };
}

const keyOf = (props: Props, m: Mutation) =>
  and(
    eq(syncMutations.userId, props.userId),
    eq(syncMutations.clientId, props.clientId),
    eq(syncMutations.mutationId, m.mutation_id),
  );

/**
 * Claims the mutation id inside the mutation's transaction, before anything is written: a concurrent
 * duplicate blocks on the primary key until this one commits, then finds its result (design note 3).
 * Returns the stored result when the id was already used.
 */
async function claim(tx: Tx, props: Props, m: Mutation, result: unknown): Promise<MutationResult | null> {
  const inserted = await tx
    .insert(syncMutations)
    .values({ userId: props.userId, clientId: props.clientId, mutationId: m.mutation_id, result })
    .onConflictDoNothing()
    .returning({ id: syncMutations.mutationId });
  if (inserted.length > 0) return null;
  const [stored] = await tx
    .select({ result: syncMutations.result })
    .from(syncMutations)
    .where(keyOf(props, m));
  const first = stored!.result as MutationResult;
  // The same id for another object is a client bug; say so instead of answering for the wrong object.
  if (first.entity !== m.entity || first.op !== m.op || first.id !== m.id) {
    const problem = 'This mutation_id was already used for a different mutation.';
    throw new AppError(422, 'mutation_id_reused', problem, { mutation_id: [problem] });
  }
  return { ...first, replayed: true };
}

/** Runs one mutation in its own transaction; its result is stored with it, so a replay changes nothing. */
async function pushOne(ctx: Ctx, props: Props, m: Mutation, own: Set<string>): Promise<MutationResult> {
  try {
    const produced: string[] = [];
    const result = await inTransaction(ctx, async (unit) => {
      const replay = await claim(unit.tx, props, m, {});
      if (replay) return replay;
      const tracked: Unit = {
        ...unit,
        record: async (change) => {
          produced.push(versionKey(change.entity, change.entityId, change.version));
          await unit.record(change);
        },
      };
      const result = resultOf(m, await applyMutation(tracked, m, { ...props, own }));
      await unit.tx
        .update(syncMutations)
        .set({ result: sql`${JSON.stringify(result)}::jsonb` })
        .where(keyOf(props, m));
      return result;
    });
    for (const key of produced) own.add(key);
    if (result.replayed && result.status === 'applied' && result.version !== null)
      own.add(versionKey(result.object_entity, result.id, result.version));
    return result;
  } catch (error) {
    if (!(error instanceof AppError)) {
      // Not stored: the client retries the same mutation id later and gets a real answer.
      ctx.logger.error({ err: error, mutation_id: m.mutation_id }, 'sync mutation failed');
      return rejectedResult(
        m,
        new AppError(500, 'internal_error', 'Internal server error.'),
        props.requestId,
      );
    }
    if (error.type === 'mutation_id_reused') return rejectedResult(m, error, props.requestId);
    // The rejected write rolled back; its result is stored on its own (a racing duplicate's wins).
    const rejected = rejectedResult(m, error, props.requestId);
    return inTransaction(ctx, async (unit) => (await claim(unit.tx, props, m, rejected)) ?? rejected).catch(
      (again: unknown) => {
        if (again instanceof AppError) return rejectedResult(m, again, props.requestId);
        throw again;
      },
    );
  }
}

/** Applies a batch of offline mutations in order, each in its own transaction, one result each. */
export async function pushMutations(
  ctx: Ctx,
  props: Props,
  mutations: readonly Mutation[],
): Promise<MutationResult[]> {
  const results: MutationResult[] = [];
  const own = new Set<string>();
  for (const m of mutations) results.push(await pushOne(ctx, props, m, own));
  return results;
}
