import { and, eq, sql } from 'drizzle-orm';
import type { Tx } from '../../db/index.ts';
import { prepared } from '../../db/prepared.ts';
import { polls, tripMembers, type PollOptionRow, type PollRow } from '../../db/schema/index.ts';
import { notFound, permissionDenied } from '../../http/errors.ts';
import { can } from '../trips/policy.ts';
import { ballotOf, loadBallot, type Ballot } from './queries.ts';

/** An option of the ballot as the statement below builds it in JSON. */
interface BallotJson {
  id: string;
  text: string;
  position: number;
  votes: number;
  mine: string[];
}

/**
 * What a vote or a withdrawal starts from, in one statement: the poll locked FOR UPDATE (as
 * authorizePoll with `lock`), the caller's role (404 for a stranger, 403 without `poll.vote`),
 * whether it is past its deadline, and its ballot (options in order, counts, the caller's votes).
 *
 * The ballot is read with the statement's snapshot, taken before the lock was granted; the locked
 * row is the newest version. Every write of a poll's votes bumps the poll's version under this
 * lock, so if the version the snapshot saw is the version locked, no vote was written in between
 * and the ballot is current. Otherwise (a vote on the same poll committed meanwhile) the ballot is
 * read again, under the lock, as before this was one statement.
 */
export async function authorizeVote(
  tx: Tx,
  props: { pollId: string; userId: string },
): Promise<{ poll: PollRow; expired: boolean; ballot: Ballot }> {
  const [row] = await prepared(tx, 'authorize_vote', (db) =>
    db
      .select({
        poll: polls,
        role: tripMembers.role,
        expired: sql<boolean>`(${polls.closesAt} is not null and ${polls.closesAt} <= statement_timestamp())`,
        seenVersion: sql<number>`(select s.version from polls s where s.id = ${sql.placeholder('pollId')})`,
        ballot: sql<BallotJson[]>`(select coalesce(json_agg(json_build_object(
            'id', o.id, 'text', o.text, 'position', o.position,
            'votes', (select count(*) from poll_votes v where v.option_id = o.id),
            'mine', (select coalesce(json_agg(v.id), '[]') from poll_votes v
                      where v.option_id = o.id and v.user_id = ${sql.placeholder('userId')}))
            order by o.position), '[]')
          from poll_options o where o.poll_id = ${sql.placeholder('pollId')})`,
      })
      .from(polls)
      .innerJoin(
        tripMembers,
        and(eq(tripMembers.tripId, polls.tripId), eq(tripMembers.userId, sql.placeholder('userId'))),
      )
      .where(eq(polls.id, sql.placeholder('pollId')))
      .limit(1)
      .for('update', { of: polls }),
  ).execute({ pollId: props.pollId, userId: props.userId });
  if (!row) throw notFound('Poll not found.');
  if (!can(row.role, 'poll.vote')) throw permissionDenied();
  const { poll } = row;
  const ballot =
    Number(row.seenVersion) === poll.version
      ? ballotOf(
          row.ballot.map((o) => ({
            option: { id: o.id, pollId: poll.id, text: o.text, position: o.position } satisfies PollOptionRow,
            votes: Number(o.votes),
            mine: o.mine,
          })),
        )
      : await loadBallot(tx, poll.id, props.userId);
  return { poll, expired: Boolean(row.expired), ballot };
}
