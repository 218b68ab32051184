import { AsyncLocalStorage } from 'node:async_hooks';
import type { FastifyInstance } from 'fastify';

// Work started after a request's commit (live publishes, join announcements), per request.
const requestTasks = new AsyncLocalStorage<Set<Promise<unknown>>>();
// A stuck publish must not hold a response for long: it is only a courtesy to the client.
const MAX_WAIT_MS = 2000;
const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Ties after-commit work to the request that committed, so its response waits for it. */
export function trackAfterCommit(task: Promise<unknown>): void {
  const tasks = requestTasks.getStore();
  if (!tasks) return;
  tasks.add(task);
  void task.finally(() => tasks.delete(task));
}

/**
 * Read-your-writes for live effects: when a REST write returns, its events are published and
 * its chat announcement is written. `run(…, done)` makes the rest of the request (handler and
 * onSend) execute inside the request's store.
 */
export function installAfterCommitWait(app: FastifyInstance): void {
  // Reads commit nothing, so they skip the per-request store (it showed in the profile of every read).
  app.addHook('onRequest', (request, _reply, done) =>
    READS.has(request.method) ? done() : requestTasks.run(new Set(), done),
  );
  // A callback hook: a request with nothing in flight (every read) goes on at once, without the
  // promise and microtask turn an async hook costs.
  app.addHook('onSend', (_request, _reply, payload, done) => {
    const tasks = requestTasks.getStore();
    if (!tasks || tasks.size === 0) return done(null, payload);
    void settle(tasks).then(() => done(null, payload));
  });
}

/** Waits until no task is left (a task may start another: an announcement is itself published). */
async function settle(tasks: Set<Promise<unknown>>): Promise<void> {
  const deadline = Date.now() + MAX_WAIT_MS;
  while (tasks.size > 0 && Date.now() < deadline) {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...tasks]),
      new Promise((resolve) => (timer = setTimeout(resolve, deadline - Date.now()))),
    ]);
    clearTimeout(timer);
  }
}
