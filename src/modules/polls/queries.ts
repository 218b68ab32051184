import { and, asc, count, desc, eq, sql, type SQL } from 'drizzle-orm';
import type { Db, Tx } from '../../db/index.ts';
import { prepared, rowsWhereAny } from '../../db/prepared.ts';
import {
  pollOptions,
  polls,
  pollVotes,
  users,
  type PollOptionRow,
  type PollRow,
  type UserRow,
} from '../../db/schema/index.ts';
import type { PageWindow } from '../../http/pagination.ts';

export interface OptionStats {
  votes: number;
  /** Whether the viewing user voted for this option. */
  mine: boolean;
}

/** Everything needed to present some polls to one user, fetched in a fixed number of queries. */
export interface PollGraph {
  options: Map<string, PollOptionRow[]>;
  stats: Map<string, OptionStats>;
  users: Map<string, UserRow>;
}

/** The options of the given polls, in order: one query whatever the count. */
export async function loadOptions(db: Db | Tx, pollIds: string[]): Promise<Map<string, PollOptionRow[]>> {
  const byPoll = new Map<string, PollOptionRow[]>();
  if (pollIds.length === 0) return byPoll;
  const rows = await prepared(db, 'poll_options_of', (db) =>
    db
      .select()
      .from(pollOptions)
      .where(sql`${pollOptions.pollId} = any(${sql.placeholder('pollIds')}::uuid[])`)
      .orderBy(asc(pollOptions.pollId), asc(pollOptions.position)),
  ).execute({ pollIds });
  for (const row of rows) {
    const list = byPoll.get(row.pollId) ?? [];
    list.push(row);
    byPoll.set(row.pollId, list);
  }
  return byPoll;
}

/** Vote count per option and whether `userId` is among the voters: one grouped query. */
export async function loadOptionStats(
  db: Db | Tx,
  pollIds: string[],
  userId: string,
): Promise<Map<string, OptionStats>> {
  if (pollIds.length === 0) return new Map();
  const rows = await prepared(db, 'poll_option_stats', (db) =>
    db
      .select({
        optionId: pollVotes.optionId,
        votes: count(),
        mine: sql<boolean>`bool_or(${pollVotes.userId} = ${sql.placeholder('userId')}::uuid)`,
      })
      .from(pollVotes)
      .where(sql`${pollVotes.pollId} = any(${sql.placeholder('pollIds')}::uuid[])`)
      .groupBy(pollVotes.optionId),
  ).execute({ pollIds, userId });
  // count() is a number from PGlite and a string from pg: normalise.
  return new Map(rows.map((r) => [r.optionId, { votes: Number(r.votes), mine: Boolean(r.mine) }]));
}

/** One poll as a voter sees it before a vote: its options in order, their counts, the caller's votes. */
export interface Ballot {
  options: PollOptionRow[];
  stats: Map<string, OptionStats>;
  /** The caller's votes in this poll. */
  mine: { id: string; optionId: string }[];
}

/**
 * A poll's ballot in one grouped query (instead of options, own votes and counts apart). Read
 * under the poll's row lock, which every vote and edit of the poll takes, so the counts stay
 * true through the caller's own write: the use case adjusts them for the votes it writes.
 */
export async function loadBallot(tx: Tx, pollId: string, userId: string): Promise<Ballot> {
  const rows = await prepared(tx, 'poll_ballot', (db) =>
    db
      .select({
        option: pollOptions,
        votes: sql<number>`count(${pollVotes.id})`.mapWith(Number),
        // text[]: read the same by node-postgres and PGlite.
        mine: sql<
          string[]
        >`coalesce(array_agg(${pollVotes.id}::text) filter (where ${pollVotes.userId} = ${sql.placeholder('userId')}), '{}')`,
      })
      .from(pollOptions)
      .leftJoin(pollVotes, eq(pollVotes.optionId, pollOptions.id))
      .where(eq(pollOptions.pollId, sql.placeholder('pollId')))
      .groupBy(pollOptions.id)
      .orderBy(asc(pollOptions.position)),
  ).execute({ pollId, userId });
  return ballotOf(rows);
}

/** A ballot from its rows: each option in order, with its vote count and the caller's vote ids. */
export function ballotOf(rows: { option: PollOptionRow; votes: number; mine: string[] }[]): Ballot {
  return {
    options: rows.map((r) => r.option),
    stats: new Map(rows.map((r) => [r.option.id, { votes: r.votes, mine: r.mine.length > 0 }])),
    mine: rows.flatMap((r) => r.mine.map((id) => ({ id, optionId: r.option.id }))),
  };
}

/** The ballot's counts after the caller's vote for `optionId` was written (+1) or removed (-1). */
export function countVote(ballot: Ballot, optionId: string, delta: 1 | -1): void {
  const stats = ballot.stats.get(optionId) ?? { votes: 0, mine: false };
  ballot.stats.set(optionId, { votes: stats.votes + delta, mine: delta > 0 });
}

/** Options, counts and creators of the given polls as seen by `userId`: three queries at most. */
export async function loadPollGraph(db: Db | Tx, pollRows: PollRow[], userId: string): Promise<PollGraph> {
  const ids = pollRows.map((p) => p.id);
  const creatorIds = [...new Set(pollRows.flatMap((p) => (p.createdById ? [p.createdById] : [])))];
  const options = await loadOptions(db, ids);
  const stats = await loadOptionStats(db, ids, userId);
  const userRows =
    creatorIds.length > 0 ? await rowsWhereAny(db, 'poll_creators', users, users.id, creatorIds) : [];
  return { options, stats, users: new Map(userRows.map((u) => [u.id, u])) };
}

/** One page of a trip's polls, newest first: one count and one page query. */
export async function listPolls(
  db: Db,
  filter: { tripId: string; isActive?: boolean },
  window: PageWindow,
): Promise<{ total: number; rows: PollRow[] }> {
  const conditions: SQL[] = [eq(polls.tripId, filter.tripId)];
  if (filter.isActive !== undefined) conditions.push(eq(polls.isActive, filter.isActive));
  const where = and(...conditions);
  const [totalRow] = await db.select({ total: count() }).from(polls).where(where);
  const rows = await db
    .select()
    .from(polls)
    .where(where)
    .orderBy(desc(polls.createdAt), desc(polls.id))
    .limit(window.limit)
    .offset(window.offset);
  return { total: Number(totalRow?.total ?? 0), rows };
}
