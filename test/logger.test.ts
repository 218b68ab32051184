import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import type { Logger } from 'pino';
import { createLogger, lazyChildLogger } from '../src/platform/logger.ts';

/** A root logger writing to memory, and how many children it has made. */
function capture(level: string) {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(JSON.parse(line));
      done();
    },
  });
  const root = createLogger(level, stream);
  let children = 0;
  // Children inherit this property (pino makes them with Object.create), so it counts theirs too
  // and must call through with their own `this`.
  const child = root.child;
  root.child = function (this: Logger, ...args: Parameters<Logger['child']>) {
    children += 1;
    return child.apply(this, args);
  } as Logger['child'];
  return { root, lines, children: () => children };
}

describe('request logger (lazyChildLogger)', () => {
  it('builds no child for lines below the level, and binds the request id once it logs', () => {
    const { root, lines, children } = capture('info');
    const log = lazyChildLogger(root, { req_id: 'r-1' }, {});
    log.debug({ detail: 1 }, 'not written');
    log.trace('not written either');
    assert.equal(children(), 0, 'a line below the level builds nothing');
    assert.equal(log.isLevelEnabled('debug'), false);
    assert.equal(log.isLevelEnabled('warn'), true);
    assert.equal(log.level, 'info');

    log.warn({ password: 'hunter22', detail: 2 }, 'written');
    log.info('again');
    assert.equal(children(), 1, 'one child, made on first use and kept');
    assert.equal(lines.length, 2);
    assert.equal(lines[0]!.req_id, 'r-1');
    assert.equal(lines[0]!.msg, 'written');
    assert.equal(lines[0]!.password, '[redacted]', 'the child keeps the root redaction');
    assert.equal(lines[0]!.service, 'smart-trip-planner', 'the root bindings are kept');
    assert.equal(lines[1]!.req_id, 'r-1');
  });

  it('honours a route log level and hands out real children', () => {
    const { root, lines } = capture('info');
    const quiet = lazyChildLogger(root, { req_id: 'r-2' }, { level: 'warn' });
    assert.equal(quiet.level, 'warn');
    quiet.info('dropped: the route asked for warn');
    quiet.error('kept');
    assert.deepEqual(
      lines.map((l) => [l.req_id, l.msg]),
      [['r-2', 'kept']],
    );
    const nested = quiet.child({ ws: '/ws' });
    nested.error('nested');
    assert.equal(lines.at(-1)!.req_id, 'r-2');
    assert.equal(lines.at(-1)!.ws, '/ws');
    assert.deepEqual(lazyChildLogger(root, { req_id: 'r-3' }, {}).bindings(), {
      service: 'smart-trip-planner',
      req_id: 'r-3',
    });
  });
});
