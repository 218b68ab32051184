import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { currentUser } from '../../http/authenticate.ts';
import { errorResponses } from '../../http/envelope.ts';
import { inTransaction } from '../changes/unit-of-work.ts';
import { castVote } from './cast-vote.ts';
import { authorizePoll } from './poll-access.ts';
import { resultsFor } from './poll-view.ts';
import { presentResults } from './presenter.ts';
import { loadOptions } from './queries.ts';
import { PollParams, PollResults, UnvoteBody, UnvoteQuery, VoteBody } from './schemas.ts';
import { withdrawVote } from './withdraw-vote.ts';

const tags = ['polls'];
const security = [{ bearerAuth: [] }];
const VOTE_EVENTS =
  'Each vote written or removed is logged as a `vote` change (insert/delete), and the poll’s ' +
  'version is bumped with a `poll` update naming `options` and `total_votes`, so live and syncing ' +
  'clients learn the new counts from the poll itself.';

/** Voting on a poll and reading its results. */
export const voteRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { ctx } = app;

  app.post(
    '/polls/:id/vote/',
    {
      schema: {
        tags,
        security,
        summary: 'Vote for an option (any member, viewers too)',
        description:
          'In a single-choice poll a new vote replaces the caller’s previous one. Voting for the same ' +
          'option twice, an option of another poll, or a closed poll (inactive or past closes_at, ' +
          'by the database clock) is a 400. Answers with the results. ' +
          VOTE_EVENTS,
        params: PollParams,
        body: VoteBody,
        response: { 201: PollResults, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request, reply) => {
      const userId = currentUser(request).id;
      const results = await inTransaction(ctx, async (unit) => {
        const { poll, ballot } = await castVote(unit, {
          userId,
          pollId: request.params.id,
          optionId: request.body.option_id,
          writeAtCommit: true,
        });
        return presentResults(poll, ballot.options, ballot.stats);
      });
      return reply.code(201).send(results);
    },
  );

  app.delete(
    '/polls/:id/vote/',
    {
      schema: {
        tags,
        security,
        summary: 'Withdraw a vote (members)',
        description:
          '`option_id` in the JSON body (optional) or the query string (the body wins). In a single-choice poll ' +
          'it may be left out to withdraw the caller’s vote; a multiple-choice poll requires it. ' +
          'Withdrawing a vote the caller has not cast is a 400 on `option_id`; a closed poll keeps ' +
          'its results (400). Answers with the results. ' +
          VOTE_EVENTS,
        params: PollParams,
        querystring: UnvoteQuery,
        body: UnvoteBody,
        response: { 200: PollResults, ...errorResponses(400, 401, 403, 404) },
      },
      // A DELETE usually has no body; validate it as an empty object rather than refuse it.
      preValidation: async (request) => {
        request.body ??= {};
      },
    },
    async (request) => {
      const userId = currentUser(request).id;
      return inTransaction(ctx, async (unit) => {
        const { poll, ballot } = await withdrawVote(unit, {
          userId,
          pollId: request.params.id,
          optionId: request.body.option_id ?? request.query.option_id ?? null,
          writeAtCommit: true,
        });
        return presentResults(poll, ballot.options, ballot.stats);
      });
    },
  );

  app.get(
    '/polls/:id/results/',
    {
      schema: {
        tags,
        security,
        summary: 'Vote counts per option (members)',
        description:
          '`total_votes` is the number of votes cast, the sum of the options’ `vote_count`: in a ' +
          'single-choice poll the number of voters; in a multiple-choice poll a voter counts once per ' +
          'option chosen. `user_voted` marks the caller’s own votes.',
        params: PollParams,
        response: { 200: PollResults, ...errorResponses(401, 404) },
      },
    },
    async (request) => {
      const userId = currentUser(request).id;
      const { poll } = await authorizePoll(ctx.db, {
        pollId: request.params.id,
        userId,
        action: 'poll.read',
      });
      const options = (await loadOptions(ctx.db, [poll.id])).get(poll.id) ?? [];
      return resultsFor(ctx.db, poll, options, userId);
    },
  );
};
