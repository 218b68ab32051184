/** Helpers shared by `npm run fuzz` and the test suite: error-log capture and outbox tokens. */
import { Writable } from 'node:stream';
import { desc, eq } from 'drizzle-orm';
import type { Db } from '../src/db/index.ts';
import { emailOutbox } from '../src/db/schema/index.ts';

/** A log stream that remembers logged errors by request id (to print the stack behind a 500). */
export function errorCapture(echo?: (line: string) => void) {
  const errors = new Map<string, string>();
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) {
        if (!line) continue;
        try {
          const entry = JSON.parse(line) as {
            level?: string;
            req_id?: string;
            err?: { stack?: string; message?: string };
            msg?: string;
          };
          if (entry.err && entry.req_id && errors.size < 10_000)
            errors.set(entry.req_id, entry.err.stack ?? entry.err.message ?? String(entry.msg));
          if (entry.level === 'error' || entry.level === 'fatal') echo?.(line);
        } catch {
          echo?.(line);
        }
      }
      done();
    },
  });
  return { stream, errorFor: (requestId: string) => errors.get(requestId) };
}

/** Reads the accept token from the newest invitation email to `email` still in the outbox. */
export function outboxToken(db: Db) {
  return async (email: string): Promise<string | null> => {
    const [row] = await db
      .select({ text: emailOutbox.text })
      .from(emailOutbox)
      .where(eq(emailOutbox.to, email))
      .orderBy(desc(emailOutbox.createdAt))
      .limit(1);
    return /\/invitations\/([A-Za-z0-9_-]{20,})\/accept\//.exec(row?.text ?? '')?.[1] ?? null;
  };
}
