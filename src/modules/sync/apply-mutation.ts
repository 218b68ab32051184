import { AppError, fieldError } from '../../http/errors.ts';
import type { Unit } from '../changes/unit-of-work.ts';
import { castVote } from '../polls/cast-vote.ts';
import { VoteBody, UnvoteBody } from '../polls/schemas.ts';
import { withdrawVote } from '../polls/withdraw-vote.ts';
import { ENTITY_SPECS, checked, type EditableEntity, type EntitySpec } from './entities.ts';
import { conflictingFields, deletedUnderCaller, fieldsChangedSince } from './merge.ts';
import { presentOne, type SyncEntity, type Viewer } from './present.ts';
import type { Mutation } from './schemas.ts';

/** What a mutation came to, short of a rejection (a rejection is the AppError the use case threw). */
export type Outcome =
  | {
      status: 'applied';
      objectEntity: SyncEntity;
      version: number | null;
      object: Record<string, unknown> | null;
    }
  | {
      status: 'conflict';
      objectEntity: SyncEntity;
      version: number | null;
      object: Record<string, unknown> | null;
      conflict: { reason: 'edited' | 'deleted'; fields: string[] };
    };

export interface MutationProps {
  userId: string;
  mediaUrl: Viewer['mediaUrl'];
  /** Versions produced by earlier mutations of this batch (see fieldsChangedSince). */
  own: ReadonlySet<string>;
}

const isStatus = (error: unknown, status: number) => error instanceof AppError && error.statusCode === status;
const MAX_ATTEMPTS = 5;
/** The field of a create body naming the object it is created in. */
const PARENTS: Record<EditableEntity, { field: string; entity: SyncEntity } | null> = {
  trip: null,
  itinerary: { field: 'trip', entity: 'trip' },
  item: { field: 'itinerary', entity: 'itinerary' },
  poll: { field: 'trip', entity: 'trip' },
};
const voteFields = { create: checked(VoteBody), delete: checked(UnvoteBody) };

/** The object as it now is, for the result (roles read now: a create may have just made the caller owner). */
async function applied(
  unit: Unit,
  entity: SyncEntity,
  id: string,
  props: { userId: string; mediaUrl: Viewer['mediaUrl'] },
): Promise<Outcome> {
  const current = await presentOne(unit.tx, entity, id, props);
  return {
    status: 'applied',
    objectEntity: entity,
    version: current?.version ?? null,
    object: current?.object ?? null,
  };
}

const deletedConflict = (entity: SyncEntity, fields: string[]): Outcome => ({
  status: 'conflict',
  objectEntity: entity,
  version: null,
  object: null,
  conflict: { reason: 'deleted', fields },
});

/**
 * An update with field-level merge. The base version may be behind: the edit still applies when
 * none of the fields it sets changed on the server since (the change log lists them); otherwise it
 * is a conflict naming those fields, and nothing is written. The write passes the version it merged
 * against as If-Match, so a write landing in between (412) makes it look again, under the row lock
 * the use case now holds.
 */
async function update(unit: Unit, spec: EntitySpec, m: Mutation, props: MutationProps) {
  const entity = m.entity as EditableEntity;
  const fields = spec.update.check(m.fields ?? {});
  if (m.base_version === undefined || m.base_version === null)
    throw fieldError('base_version', 'Send the version your edit is based on.');
  for (let attempt = 1; ; attempt++) {
    let row;
    try {
      row = await spec.editable(unit.tx, props.userId, m.id);
    } catch (error) {
      if (isStatus(error, 404) && (await deletedUnderCaller(unit.tx, entity, m.id, props.userId)))
        return deletedConflict(entity, Object.keys(fields));
      throw error;
    }
    if (m.base_version > row.version)
      throw fieldError('base_version', `The server's version is ${row.version}; this base version is newer.`);
    if (m.base_version < row.version) {
      const changed = await fieldsChangedSince(unit.tx, {
        entity,
        id: m.id,
        baseVersion: m.base_version,
        own: props.own,
      });
      const server = await presentOne(unit.tx, entity, m.id, props);
      const overlap = conflictingFields(fields, changed, server?.object ?? null);
      if (overlap.length > 0)
        return {
          status: 'conflict' as const,
          objectEntity: entity,
          version: server?.version ?? row.version,
          object: server?.object ?? null,
          conflict: { reason: 'edited' as const, fields: overlap },
        };
    }
    try {
      await spec.change(unit, props.userId, m.id, fields, row.version);
      return applied(unit, entity, m.id, props);
    } catch (error) {
      if (!isStatus(error, 412) || attempt >= MAX_ATTEMPTS) throw error;
    }
  }
}

/** A delete wins over concurrent edits: no version check. Deleting what is already gone is done. */
async function remove(unit: Unit, spec: EntitySpec, m: Mutation, userId: string): Promise<Outcome> {
  const entity = m.entity as EditableEntity;
  try {
    await spec.remove(unit, userId, m.id);
  } catch (error) {
    if (!isStatus(error, 404) || !(await deletedUnderCaller(unit.tx, entity, m.id, userId))) throw error;
  }
  return { status: 'applied', objectEntity: entity, version: null, object: null };
}

/** A vote (`id` = the poll): cast for `option_id`, or withdraw; the result is the poll with its counts. */
async function vote(unit: Unit, m: Mutation, props: MutationProps) {
  if (m.op === 'update') throw fieldError('op', 'A vote is cast (create) or withdrawn (delete).');
  const fields = voteFields[m.op].check(m.fields ?? {});
  try {
    if (m.op === 'create')
      await castVote(unit, { userId: props.userId, pollId: m.id, optionId: fields.option_id as string });
    else
      await withdrawVote(unit, {
        userId: props.userId,
        pollId: m.id,
        optionId: (fields.option_id as string | undefined) ?? null,
      });
  } catch (error) {
    if (isStatus(error, 404) && (await deletedUnderCaller(unit.tx, 'poll', m.id, props.userId)))
      return deletedConflict('poll', Object.keys(fields));
    throw error;
  }
  return applied(unit, 'poll', m.id, props);
}

/**
 * Applies one offline mutation in the caller's transaction through the modules' use cases.
 * Returns applied or conflict; a rejection is thrown as the AppError the REST endpoint would send.
 */
export async function applyMutation(unit: Unit, m: Mutation, props: MutationProps): Promise<Outcome> {
  if (m.entity === 'vote') return vote(unit, m, props);
  const spec = ENTITY_SPECS[m.entity];
  if (m.op === 'create') {
    const fields = spec.create.check(m.fields ?? {});
    try {
      await spec.insert(unit, props.userId, m.id, fields);
    } catch (error) {
      // Created offline inside something deleted meanwhile: say so, naming the parent field.
      const parent = PARENTS[m.entity];
      const parentId = parent && (fields[parent.field] as string);
      if (
        isStatus(error, 404) &&
        parent &&
        (await deletedUnderCaller(unit.tx, parent.entity, parentId!, props.userId))
      )
        return deletedConflict(m.entity, [parent.field]);
      throw error;
    }
    return applied(unit, m.entity, m.id, props);
  }
  if (m.op === 'delete') return remove(unit, spec, m, props.userId);
  return update(unit, spec, m, props);
}
