import { EventEmitter } from 'node:events';
import { and, asc, eq, inArray, like, lte, sql } from 'drizzle-orm';
import type { AppContext } from '../context.ts';
import type { Tx } from '../db/index.ts';
import { emailOutbox } from '../db/schema/index.ts';
import { createMailer, type MailMessage, type Mailer } from './mailer.ts';

// Signalled after each commit that queued mail: senders in this process wake at once instead of
// waiting for their next poll. Tied to the commit of the very transaction that queued (a counter
// compared at any commit would let an unrelated commit use up the wake-up before the mail is visible).
const mailCommitted = new EventEmitter().setMaxListeners(0);

/**
 * Queues an email in the caller's transaction: it is sent only if the write commits, and the
 * request never waits on (or fails because of) the mail server.
 */
export async function enqueueEmail(
  unit: { tx: Tx; afterCommit: (fn: () => void) => void },
  message: MailMessage,
): Promise<void> {
  await unit.tx.insert(emailOutbox).values({
    to: message.to,
    subject: message.subject,
    text: message.text,
    html: message.html ?? null,
  });
  unit.afterCommit(() => mailCommitted.emit('mail'));
}

export interface EmailSenderOptions {
  /** Defaults to the mailer chosen by config (SMTP, or `.eml` files without EMAIL_HOST). */
  mailer?: Mailer;
  pollMs?: number;
  batchSize?: number;
  /** After this many failed attempts a message is marked `failed` and logged. */
  maxAttempts?: number;
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** A send taking longer counts as failed (and is retried), so a batch always ends within its lease. */
  sendTimeoutMs?: number;
  /** How long claimed rows stay invisible to other senders: must exceed batchSize × sendTimeoutMs. */
  leaseMs?: number;
  /** The time used for "due" and for scheduling retries (tests move it forward). */
  clock?: () => Date;
  /**
   * Only claims messages whose recipient matches this SQL LIKE pattern (`%@example.test`), so test
   * files sharing one database never deliver each other's mail. Unset: every message.
   */
  recipients?: string;
}

type SenderDeps = Pick<AppContext, 'db' | 'logger' | 'changeListeners'>;

/**
 * Sends queued emails in the background: polls every `pollMs`, and wakes right after a commit that
 * queued one. Rows are claimed with `FOR UPDATE SKIP LOCKED` and leased (next_attempt_at moved past
 * the send), so several instances never send the same row at once; a failure is retried with
 * exponential backoff until `maxAttempts`, then marked failed. Delivery is at least once: a crash
 * between sending and recording it resends after the lease.
 */
export class EmailSender {
  private readonly options: Required<Omit<EmailSenderOptions, 'mailer' | 'recipients'>> &
    Pick<EmailSenderOptions, 'recipients'>;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private stopped = true;
  private failing = false;

  constructor(
    private readonly deps: SenderDeps,
    private readonly mailer: Mailer,
    options: Omit<EmailSenderOptions, 'mailer'> = {},
  ) {
    this.options = {
      pollMs: 1000,
      batchSize: 10,
      maxAttempts: 10,
      retryBaseMs: 30_000,
      retryMaxMs: 3_600_000,
      sendTimeoutMs: 60_000,
      leaseMs: 15 * 60_000,
      clock: () => new Date(),
      ...options,
    };
  }

  /** Starts polling (idempotent). */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    mailCommitted.on('mail', this.onMail);
    this.schedule(0);
  }

  /** Stops polling and waits for a send in progress to be recorded. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    mailCommitted.off('mail', this.onMail);
    await this.running;
  }

  /** Runs a pass now (or right after the current one). */
  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.schedule(0);
  }

  private readonly onMail = () => this.wake();

  private schedule(ms: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.tick(), ms);
    this.timer.unref();
  }

  private tick(): void {
    this.timer = null;
    this.running = this.drain()
      .then(() => {
        this.failing = false;
      })
      .catch((error: unknown) => {
        // Usually the database is unreachable: log once per outage and poll less often meanwhile.
        if (!this.failing) this.deps.logger.error({ err: error }, 'email sender pass failed');
        this.failing = true;
      })
      .finally(() => {
        this.running = null;
        const delay = this.again ? 0 : this.options.pollMs * (this.failing ? 10 : 1);
        if (!this.stopped) this.schedule(delay);
        this.again = false;
      });
  }

  private async drain(): Promise<void> {
    while (!this.stopped && (await this.runOnce()) === this.options.batchSize);
  }

  /** Claims and sends one batch of due messages; returns how many were claimed. */
  async runOnce(): Promise<number> {
    const now = this.options.clock();
    const due = this.deps.db
      .select({ id: emailOutbox.id })
      .from(emailOutbox)
      .where(
        and(
          eq(emailOutbox.status, 'pending'),
          lte(emailOutbox.nextAttemptAt, now),
          this.options.recipients === undefined ? undefined : like(emailOutbox.to, this.options.recipients),
        ),
      )
      .orderBy(asc(emailOutbox.nextAttemptAt))
      .limit(this.options.batchSize)
      .for('update', { skipLocked: true });
    const claimed = await this.deps.db
      .update(emailOutbox)
      .set({
        attempts: sql`${emailOutbox.attempts} + 1`,
        nextAttemptAt: new Date(now.getTime() + this.options.leaseMs),
      })
      .where(inArray(emailOutbox.id, due))
      .returning();
    for (const row of claimed) await this.deliver(row);
    return claimed.length;
  }

  private async deliver(row: typeof emailOutbox.$inferSelect): Promise<void> {
    const { db, logger } = this.deps;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.mailer.send({ to: row.to, subject: row.subject, text: row.text, html: row.html ?? undefined }),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error('timed out sending')), this.options.sendTimeoutMs);
        }),
      ]).finally(() => clearTimeout(timer));
      await db
        .update(emailOutbox)
        .set({ status: 'sent', sentAt: sql`now()`, lastError: null })
        .where(eq(emailOutbox.id, row.id));
    } catch (error) {
      const lastError = (error instanceof Error ? error.message : String(error)).slice(0, 1000);
      const giveUp = row.attempts >= this.options.maxAttempts;
      await db
        .update(emailOutbox)
        .set(
          giveUp
            ? { status: 'failed', lastError }
            : {
                lastError,
                nextAttemptAt: new Date(this.options.clock().getTime() + this.backoff(row.attempts)),
              },
        )
        .where(eq(emailOutbox.id, row.id));
      const log = { emailId: row.id, attempts: row.attempts, error: lastError };
      if (giveUp) logger.error(log, 'email could not be sent; giving up');
      else logger.warn(log, 'email could not be sent; will retry');
    }
  }

  /** 2^(n-1) × base, capped, with up to 10 % jitter so a fleet of retries does not arrive in step. */
  private backoff(attempts: number): number {
    const delay = Math.min(this.options.retryMaxMs, this.options.retryBaseMs * 2 ** (attempts - 1));
    return Math.round(delay * (1 + Math.random() * 0.1));
  }
}

/** The app's background email sender; call `start()` once the app is ready and `stop()` on close. */
export function createEmailSender(
  ctx: SenderDeps & Pick<AppContext, 'config'>,
  options: EmailSenderOptions = {},
): EmailSender {
  const { mailer, ...rest } = options;
  return new EmailSender(ctx, mailer ?? createMailer(ctx.config, ctx.logger), rest);
}
