import { index, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { idColumn, tstz } from './columns.ts';
import { users } from './users.ts';

/**
 * Refresh tokens, stored as SHA-256 hashes. Every login starts a family; each refresh marks the
 * presented token used and issues its successor in the same family. A used token presented again
 * is treated as theft and revokes the whole family.
 */
export const refreshTokens = pgTable(
  'refresh_tokens',
  {
    id: idColumn(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    familyId: uuid('family_id').notNull(),
    tokenHash: text('token_hash').notNull().unique(),
    expiresAt: tstz('expires_at').notNull(),
    usedAt: tstz('used_at'),
    replacedBy: uuid('replaced_by'),
    revokedAt: tstz('revoked_at'),
    createdAt: tstz('created_at').notNull().defaultNow(),
  },
  (t) => [index('refresh_tokens_family_idx').on(t.familyId), index('refresh_tokens_user_idx').on(t.userId)],
);

export type RefreshTokenRow = typeof refreshTokens.$inferSelect;
