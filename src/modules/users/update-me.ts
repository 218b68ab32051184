import { randomUUID } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import type { AppContext } from '../../context.ts';
import { isUniqueViolation } from '../../db/errors.ts';
import { users, type UserRow } from '../../db/schema/index.ts';
import { fieldError, notAuthenticated, notFound, preconditionFailed } from '../../http/errors.ts';
import { inTransaction } from '../changes/unit-of-work.ts';
import type { SniffedImage } from './image-sniff.ts';
import { findUserById, usernameTaken } from './queries.ts';
import type { UpdateMeBody } from './schemas.ts';

export interface UpdateMeProps {
  userId: string;
  changes: UpdateMeBody;
  avatar: { data: Buffer; image: SniffedImage } | null;
  /** From If-Match; null means "whatever the current version is". */
  expectedVersion: number | null;
  /** Presents the current row for a 412, so the client can merge. */
  present: (user: UserRow) => unknown;
}

const COLUMN_OF = {
  first_name: 'firstName',
  last_name: 'lastName',
  bio: 'bio',
  username: 'username',
} as const;

/** Updates the caller's own profile; the new avatar is stored before the row points at it. */
export async function updateMe(ctx: AppContext, props: UpdateMeProps): Promise<UserRow> {
  const current = await findUserById(ctx.db, props.userId);
  // As for GET: a still-valid access token of a deleted or deactivated account is no session.
  if (!current?.isActive) throw notAuthenticated('User not found or inactive.');
  if (props.expectedVersion !== null && props.expectedVersion !== current.version)
    throw preconditionFailed(props.present(current));
  const { username } = props.changes;
  if (
    username !== undefined &&
    username !== current.username &&
    (await usernameTaken(ctx.db, username, current.id))
  ) {
    throw fieldError('username', 'A user with that username already exists.');
  }

  const set: Partial<typeof users.$inferInsert> = {};
  const fields: string[] = [];
  for (const [field, column] of Object.entries(COLUMN_OF) as [
    keyof typeof COLUMN_OF,
    (typeof COLUMN_OF)[keyof typeof COLUMN_OF],
  ][]) {
    const raw = props.changes[field];
    if (raw === undefined) continue;
    // Compare what would be stored: " Ann " over "Ann" is no change (no version bump, no change-log row).
    const value = field === 'username' ? raw : raw.trim();
    if (value !== current[column]) {
      set[column] = value;
      fields.push(field);
    }
  }
  let newAvatarKey: string | null = null;
  if (props.avatar) {
    newAvatarKey = `avatars/${current.id}/${randomUUID()}.${props.avatar.image.ext}`;
    await ctx.media.put(newAvatarKey, props.avatar.data, props.avatar.image.mime);
    set.avatarKey = newAvatarKey;
    fields.push('avatar');
  } else if (props.changes.avatar === null && current.avatarKey) {
    set.avatarKey = null;
    fields.push('avatar');
  }
  if (fields.length === 0) return current;

  try {
    const updated = await inTransaction(ctx, async ({ tx, record }) => {
      const [row] = await tx
        .update(users)
        .set({ ...set, version: sql`${users.version} + 1`, updatedAt: sql`now()` })
        .where(and(eq(users.id, current.id), eq(users.version, current.version)))
        .returning();
      // Someone else (another device) saved in between: same answer as a stale If-Match.
      if (!row) {
        const fresh = await findUserById(tx, current.id);
        throw fresh ? preconditionFailed(props.present(fresh)) : notFound();
      }
      await record({
        tripId: null,
        entity: 'user',
        entityId: row.id,
        op: 'update',
        version: row.version,
        actorId: row.id,
        fields,
      });
      return row;
    });
    if (newAvatarKey && current.avatarKey) await ctx.media.delete(current.avatarKey).catch(() => undefined);
    if (props.changes.avatar === null && current.avatarKey)
      await ctx.media.delete(current.avatarKey).catch(() => undefined);
    return updated;
  } catch (error) {
    if (newAvatarKey) await ctx.media.delete(newAvatarKey).catch(() => undefined);
    if (isUniqueViolation(error, 'users_username_lower_key'))
      throw fieldError('username', 'A user with that username already exists.');
    throw error;
  }
}
