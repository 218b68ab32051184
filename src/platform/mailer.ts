import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import nodemailer, { type Transporter } from 'nodemailer';
import type { Logger } from 'pino';
import type { Config } from '../config/index.ts';

/** One outgoing email. `html` is optional; `text` is always sent. */
export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html?: string;
}

/** Delivers one message or throws; retries are the outbox sender's job, not the mailer's. */
export interface Mailer {
  send(message: MailMessage): Promise<void>;
}

// Short timeouts: a hung SMTP server must not hold a sender for nodemailer's default ten minutes.
const TIMEOUTS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 };

/** A header value on one line: titles typed by users must not break the header block. */
const oneLine = (value: string) => value.replace(/[\r\n]+/g, ' ').trim();

/**
 * SMTP through nodemailer. Port 465 speaks TLS from the first byte; otherwise EMAIL_USE_TLS means
 * STARTTLS is required (never silently plain text), and EMAIL_USE_TLS=false means plain SMTP, as
 * Django's setting of the same name did.
 */
export class SmtpMailer implements Mailer {
  private readonly transport: Transporter;

  constructor(
    email: Config['email'],
    private readonly from: string = email.from,
  ) {
    if (!email.host) throw new Error('SmtpMailer needs EMAIL_HOST');
    const implicitTls = email.port === 465;
    this.transport = nodemailer.createTransport({
      host: email.host,
      port: email.port,
      secure: implicitTls,
      requireTLS: email.useTls && !implicitTls,
      ignoreTLS: !email.useTls && !implicitTls,
      auth: email.user ? { user: email.user, pass: email.password ?? '' } : undefined,
      ...TIMEOUTS,
    });
  }

  async send(message: MailMessage): Promise<void> {
    await this.transport.sendMail({
      from: this.from,
      to: message.to,
      subject: oneLine(message.subject),
      text: message.text,
      ...(message.html ? { html: message.html } : {}),
    });
  }
}

/**
 * Development mailer, used when EMAIL_HOST is not set: each message becomes an `.eml` file (open it
 * in any mail client) and its path is logged, so a self-hoster sees invitation links without SMTP.
 */
export class FileMailer implements Mailer {
  private readonly composer = nodemailer.createTransport({
    streamTransport: true,
    buffer: true,
    newline: 'unix',
  });

  constructor(
    readonly dir: string,
    private readonly from: string,
    private readonly logger: Logger,
  ) {}

  async send(message: MailMessage): Promise<void> {
    const info = await this.composer.sendMail({
      from: this.from,
      to: message.to,
      subject: oneLine(message.subject),
      text: message.text,
      ...(message.html ? { html: message.html } : {}),
    });
    await fs.mkdir(this.dir, { recursive: true });
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const file = path.join(this.dir, `${stamp}-${randomBytes(4).toString('hex')}.eml`);
    await fs.writeFile(file, info.message as Buffer, { mode: 0o600 });
    this.logger.info({ path: file }, 'email written to the outbox directory (EMAIL_HOST is not set)');
  }
}

/** SMTP when EMAIL_HOST is configured, otherwise `.eml` files under `<DATA_DIR>/outbox`. */
export function createMailer(config: Pick<Config, 'email' | 'dataDir'>, logger: Logger): Mailer {
  if (config.email.host) return new SmtpMailer(config.email);
  return new FileMailer(path.join(config.dataDir, 'outbox'), config.email.from, logger);
}
