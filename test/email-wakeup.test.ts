import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { eq } from 'drizzle-orm';
import { users } from '../src/db/schema/index.ts';
import { inTransaction } from '../src/modules/changes/unit-of-work.ts';
import { createEmailSender, enqueueEmail } from '../src/platform/email-outbox.ts';
import { buildTestApp } from './helpers/app.ts';
import { closeAtEnd } from './helpers/database.ts';
import { services } from './helpers/env.ts';
import { createUser } from './helpers/factories.ts';
import { startSmtpServer } from './helpers/smtp.ts';

const DOMAIN = 'wakeup.test';

describe('email sender wake-up', () => {
  it(
    'sends mail right after the commit of the transaction that queued it, whatever commits in between',
    {
      skip: services.databaseUrl ? false : 'PGlite has a single connection: transactions cannot overlap',
    },
    async () => {
      const smtp = await startSmtpServer();
      const { app } = await buildTestApp(smtp.env);
      // A poll interval far beyond the test: only the wake-up can deliver in time.
      const sender = createEmailSender(app.ctx, { recipients: `%@${DOMAIN}`, pollMs: 600_000 });
      sender.start();
      closeAtEnd(() => sender.stop());
      const user = await createUser(app);
      const to = `late-${Date.now()}@${DOMAIN}`;
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      let queued!: () => void;
      const enqueuedSignal = new Promise<void>((resolve) => (queued = resolve));
      // B queues mail and stays open; A commits meanwhile (the old counter let A's commit use up the
      // wake-up while B's row was still invisible); then B commits.
      const b = inTransaction(app.ctx, async (unit) => {
        await enqueueEmail(unit, { to, subject: 'Hello', text: 'Queued in B' });
        queued();
        await held;
      });
      await enqueuedSignal;
      await inTransaction(app.ctx, async (unit) => {
        await unit.tx.update(users).set({ bio: 'A' }).where(eq(users.id, user.id));
      });
      await new Promise((resolve) => setTimeout(resolve, 200));
      release();
      await b;
      const mail = await smtp.waitForMail(to, 1, 5000);
      assert.match(mail.text, /Queued in B/);
    },
  );
});
