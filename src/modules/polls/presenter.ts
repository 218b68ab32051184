import type { PollOptionRow, PollRow } from '../../db/schema/index.ts';
import { presentUser } from '../users/presenter.ts';
import { isPollOpen } from './poll-policy.ts';
import type { OptionStats } from './queries.ts';
import type { PollGraph } from './queries.ts';
import type { PollResultsView, PollView } from './schemas.ts';

type MediaUrl = (key: string) => string;
const NO_VOTES: OptionStats = { votes: 0, mine: false };

/** Options with their counts as the viewing user sees them. */
function presentOptions(options: PollOptionRow[], stats: Map<string, OptionStats>) {
  return options.map((option) => {
    const s = stats.get(option.id) ?? NO_VOTES;
    return {
      id: option.id,
      text: option.text,
      order: option.position,
      vote_count: s.votes,
      user_voted: s.mine,
    };
  });
}

/** The results object: counts per option; total_votes is the number of votes cast. */
export function presentResults(
  poll: PollRow,
  options: PollOptionRow[],
  stats: Map<string, OptionStats>,
): PollResultsView {
  const presented = presentOptions(options, stats);
  return {
    poll_id: poll.id,
    question: poll.question,
    total_votes: presented.reduce((sum, o) => sum + o.vote_count, 0),
    options: presented,
  };
}

/** The poll object of the spec, as the user the graph was loaded for sees it. */
export function presentPoll(poll: PollRow, graph: PollGraph, mediaUrl: MediaUrl, now = new Date()): PollView {
  const options = presentOptions(graph.options.get(poll.id) ?? [], graph.stats);
  const creator = poll.createdById ? graph.users.get(poll.createdById) : undefined;
  return {
    id: poll.id,
    trip: poll.tripId,
    created_by: creator ? presentUser(creator, mediaUrl) : null,
    question: poll.question,
    description: poll.description,
    is_active: poll.isActive,
    // Server time, for display; whether a vote is accepted is decided by the database clock.
    is_open: isPollOpen(poll, now),
    closes_at: poll.closesAt ? poll.closesAt.toISOString() : null,
    allow_multiple: poll.allowMultiple,
    options,
    total_votes: options.reduce((sum, o) => sum + o.vote_count, 0),
    user_has_voted: options.some((o) => o.user_voted),
    version: poll.version,
    created_at: poll.createdAt.toISOString(),
    updated_at: poll.updatedAt.toISOString(),
  };
}
