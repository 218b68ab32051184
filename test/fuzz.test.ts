/**
 * The fuzzer (fuzz/, `npm run fuzz` for the full 20,000-request run), bounded to ~20 s: invalid
 * requests for every operation of the OpenAPI document, then garbage on the chat socket.
 * A new seed each run (printed; FUZZ_SEED=<n> npm test -- test/fuzz.test.ts replays it).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runFuzz } from '../fuzz/engine.ts';
import { generateRequest } from '../fuzz/generate.ts';
import { readOperations } from '../fuzz/openapi.ts';
import { Prng, parseSeed } from '../fuzz/prng.ts';
import { formatReport } from '../fuzz/report.ts';
import { httpTransport, injectTransport } from '../fuzz/transport.ts';
import { outboxToken } from '../fuzz/harness.ts';
import { formatWsReport, runWsFuzz } from '../fuzz/ws-frames.ts';
import { buildTestApp, call } from './helpers/app.ts';

const seed = parseSeed(process.env.FUZZ_SEED);
const test = await buildTestApp();
const { app } = test;
const operations = readOperations((await call(app, 'GET', '/api/schema/')).body);

/** The stack the app logged for a request id (pino writes `req_id` and `err`). */
const errorFor = (requestId: string): string | undefined => {
  const line = test.logs.find((entry) => entry.req_id === requestId && entry.err);
  return (line?.err as { stack?: string } | undefined)?.stack;
};

describe(`fuzz (seed ${seed})`, () => {
  it('the same seed generates the same requests, another seed different ones', () => {
    const plan = (s: number) => {
      const rng = new Prng(s);
      return JSON.stringify(operations.flatMap((op) => [generateRequest(op, rng), generateRequest(op, rng)]));
    };
    assert.equal(plan(seed), plan(seed));
    assert.notEqual(plan(seed), plan(seed + 1));
  });

  it('every operation: no 5xx, every error in the envelope, /health/ still answers', async (t) => {
    const report = await runFuzz({
      transport: injectTransport(app),
      seed,
      count: 20_000,
      deadlineMs: 14_000,
      concurrency: 8,
      batchSize: 300,
      invitationToken: outboxToken(app.ctx.db),
      errorFor,
      minimizeFindings: 3,
    });
    const lines = formatReport(report);
    t.diagnostic(
      lines.filter((l) => /^(TOTAL|statuses|operations|slowest|seed|findings)/.test(l)).join('\n'),
    );
    assert.deepEqual([...report.distinct.keys()], [], `FUZZ_SEED=${seed}\n${lines.join('\n')}`);
    assert.deepEqual(report.healthFailures, []);
    // The bound is time (the suite shares the machine), but every operation must have been hit.
    const starved = [...report.perOp].filter(([, s]) => s.sent < 2).map(([key]) => key);
    assert.deepEqual(starved, [], 'every operation gets requests');
    assert.equal((await call(app, 'GET', '/health/')).status, 200);
  });

  it('garbage WebSocket frames: error frames or documented close codes, the server keeps answering', async (t) => {
    const address = await app.listen({ port: 0, host: '127.0.0.1' });
    const http = httpTransport(address, 4);
    try {
      const report = await runWsFuzz({ baseUrl: address, http, seed, frames: 120 });
      const lines = formatWsReport(report);
      t.diagnostic(lines.join('\n'));
      assert.ok(report.available, 'the app serves /ws/chat/{trip_id}/');
      assert.deepEqual(report.findings, [], `FUZZ_SEED=${seed}\n${lines.join('\n')}`);
      assert.ok(report.framesSent >= 120);
      assert.ok((report.serverFrames.get('error') ?? 0) > 0, 'bad frames are answered with error frames');
    } finally {
      await http.close();
    }
  });
});
