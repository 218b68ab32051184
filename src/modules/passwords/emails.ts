import type { UserRow } from '../../db/schema/index.ts';
import type { MailMessage } from '../../platform/mailer.ts';

/** The page a reset link opens (the web client's), carrying the token in its query. */
export const resetLink = (baseUrl: string, token: string) =>
  `${baseUrl}/reset-password?token=${encodeURIComponent(token)}`;

/** "1 hour", "30 minutes", "2 days": how long the link lasts, for people. */
function duration(seconds: number): string {
  const [amount, unit] =
    seconds % 86400 === 0
      ? [seconds / 86400, 'day']
      : seconds % 3600 === 0
        ? [seconds / 3600, 'hour']
        : [Math.max(1, Math.round(seconds / 60)), 'minute'];
  return `${amount} ${unit}${amount === 1 ? '' : 's'}`;
}

/** The reset email: the link, the token itself (for apps), its expiry, and what to do if unasked. */
export function passwordResetEmail(props: {
  user: UserRow;
  token: string;
  baseUrl: string;
  expiresAt: Date;
  ttlSec: number;
}): MailMessage {
  const { user, token, baseUrl } = props;
  const lines = [
    `Someone (hopefully you) asked to reset the password of the Smart Trip Planner account ${user.email}.`,
    '',
    'To choose a new password, open this link:',
    resetLink(baseUrl, token),
    '',
    'Or paste this reset code into the app:',
    token,
    '',
    `The link works once and expires in ${duration(props.ttlSec)} (${props.expiresAt.toUTCString()}).`,
    'Resetting signs you out on every device.',
    '',
    'If you did not ask for this, ignore this email: your password stays as it is.',
  ];
  return { to: user.email, subject: 'Reset your Smart Trip Planner password', text: lines.join('\n') };
}
