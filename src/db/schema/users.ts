import { sql } from 'drizzle-orm';
import { boolean, pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { idColumn, syncColumns, tstz } from './columns.ts';

export const users = pgTable(
  'users',
  {
    id: idColumn(),
    // Stored lower-cased; the unique index on lower() guards against any writer that forgets.
    email: text('email').notNull(),
    username: text('username').notNull(),
    passwordHash: text('password_hash').notNull(),
    firstName: text('first_name').notNull().default(''),
    lastName: text('last_name').notNull().default(''),
    bio: text('bio').notNull().default(''),
    avatarKey: text('avatar_key'),
    isActive: boolean('is_active').notNull().default(true),
    isStaff: boolean('is_staff').notNull().default(false),
    dateJoined: tstz('date_joined').notNull().defaultNow(),
    lastLogin: tstz('last_login'),
    ...syncColumns(),
  },
  (t) => [
    uniqueIndex('users_email_lower_key').on(sql`lower(${t.email})`),
    uniqueIndex('users_username_lower_key').on(sql`lower(${t.username})`),
  ],
);

export type UserRow = typeof users.$inferSelect;
