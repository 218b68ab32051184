import { createHash, randomBytes } from 'node:crypto';

/** 7 days, as the spec says; the invite route passes a configured value instead once config has one. */
export const INVITATION_TTL_MS = 7 * 24 * 60 * 60 * 1000;

/** SHA-256 of a token: what the database stores, so a leaked table cannot be replayed. */
export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

/** A fresh 256-bit url-safe token and its hash. */
export function newInvitationToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: hashToken(token) };
}

/** Pending invitations past their expiry read as expired without anyone having to write that. */
export function effectiveStatus(
  row: { status: string; expiresAt: Date },
  now = new Date(),
): 'pending' | 'accepted' | 'declined' | 'revoked' | 'expired' {
  if (row.status === 'pending' && row.expiresAt <= now) return 'expired';
  return row.status as 'pending';
}
