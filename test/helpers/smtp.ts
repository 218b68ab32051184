import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { closeAtEnd } from './database.ts';

/** One message as the SMTP server received it: envelope recipients, headers, decoded text body. */
export interface ReceivedMail {
  to: string[];
  headers: Record<string, string>;
  text: string;
}

/** Bytes of a quoted-printable text (`_` is a space inside a header's encoded word). */
function quotedPrintable(text: string, underscoreIsSpace = false): string {
  const bytes: number[] = [];
  const soft = text.replace(/=\r?\n/g, '');
  for (let i = 0; i < soft.length; i++) {
    const hex = soft.slice(i + 1, i + 3);
    if (soft[i] === '=' && /^[0-9A-F]{2}$/i.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else bytes.push(underscoreIsSpace && soft[i] === '_' ? 32 : soft.charCodeAt(i));
  }
  return Buffer.from(bytes).toString('utf8');
}

/** RFC 2047 encoded words (`=?UTF-8?Q?...?=`), which nodemailer uses for some subjects. */
const decodeWords = (value: string) =>
  value
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?UTF-8\?([QB])\?(.*?)\?=/gi, (_, kind: string, text: string) =>
      kind.toUpperCase() === 'B' ? Buffer.from(text, 'base64').toString('utf8') : quotedPrintable(text, true),
    );

/** Headers and the decoded text body of a single-part message. */
function parseMessage(raw: string): Omit<ReceivedMail, 'to'> {
  const split = raw.indexOf('\r\n\r\n');
  const headers: Record<string, string> = {};
  for (const line of raw
    .slice(0, split)
    .replace(/\r\n[ \t]+/g, ' ')
    .split('\r\n')) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).toLowerCase()] = decodeWords(line.slice(colon + 1).trim());
  }
  let body = raw.slice(split + 4);
  const encoding = (headers['content-transfer-encoding'] ?? '7bit').toLowerCase();
  if (encoding === 'base64') body = Buffer.from(body, 'base64').toString('utf8');
  if (encoding === 'quoted-printable') body = quotedPrintable(body);
  return { headers, text: body.replace(/\r\n/g, '\n') };
}

export interface TestSmtp {
  /** Every message received so far, in arrival order. */
  received: ReceivedMail[];
  /** EMAIL_* overrides that point an app's mailer at this server. */
  env: Record<string, string>;
  /** Waits (bounded) for the `count`-th message to `to`, and returns it. */
  waitForMail(to: string, count?: number, timeoutMs?: number): Promise<ReceivedMail>;
  /** The messages to `to` received so far. */
  mailTo(to: string): ReceivedMail[];
}

/** A real SMTP server on a random local port, collecting every message; closed at the end of the file. */
export async function startSmtpServer(): Promise<TestSmtp> {
  const received: ReceivedMail[] = [];
  const smtp = new SMTPServer({
    authOptional: true,
    disableReverseLookup: true,
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const to = session.envelope.rcptTo.map((r) => r.address.toLowerCase());
        received.push({ to, ...parseMessage(Buffer.concat(chunks).toString('utf8')) });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  closeAtEnd(() => new Promise<void>((resolve) => smtp.close(() => resolve())));
  const port = (smtp.server.address() as AddressInfo).port;
  const mailTo = (to: string) => received.filter((m) => m.to.includes(to.toLowerCase()));
  return {
    received,
    env: { EMAIL_HOST: '127.0.0.1', EMAIL_PORT: String(port), EMAIL_USE_TLS: 'false' },
    mailTo,
    async waitForMail(to, count = 1, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = mailTo(to);
        if (found.length >= count) return found[count - 1]!;
        if (Date.now() > deadline) throw new Error(`no email to ${to} within ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    },
  };
}
