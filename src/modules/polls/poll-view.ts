import type { FastifyRequest } from 'fastify';
import type { Db, Tx } from '../../db/index.ts';
import type { PollOptionRow, PollRow } from '../../db/schema/index.ts';
import { mediaUrlFor } from '../users/media-url.ts';
import { presentPoll, presentResults } from './presenter.ts';
import { loadOptionStats, loadPollGraph } from './queries.ts';
import type { PollResultsView, PollView } from './schemas.ts';

/** Presents one poll as `userId` sees it (three queries). */
export async function presentPollFor(
  db: Db | Tx,
  request: FastifyRequest,
  poll: PollRow,
  userId: string,
): Promise<PollView> {
  const graph = await loadPollGraph(db, [poll], userId);
  return presentPoll(poll, graph, mediaUrlFor(request, request.server.ctx));
}

/** The results of one poll whose options are already loaded (one grouped query). */
export async function resultsFor(
  db: Db | Tx,
  poll: PollRow,
  options: PollOptionRow[],
  userId: string,
): Promise<PollResultsView> {
  return presentResults(poll, options, await loadOptionStats(db, [poll.id], userId));
}
