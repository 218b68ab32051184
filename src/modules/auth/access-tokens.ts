import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { SignJWT } from 'jose';

const ISSUER = 'smart-trip-planner';
const AUDIENCE = 'smart-trip-planner:api';
const SEGMENT = /^[A-Za-z0-9_-]+$/;

function decodeSegment(segment: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null;
  } catch {
    return null;
  }
}

export interface AccessTokens {
  sign(userId: string): Promise<string>;
  /** The user id of a valid access token, or null for any invalid, expired or forged token. */
  verify(token: string): Promise<{ userId: string } | null>;
}

/** Stateless access JWTs (HS256 over SECRET_KEY), short-lived by design. */
export function createAccessTokens(secret: string, ttlSec: number): AccessTokens {
  const key = new TextEncoder().encode(secret);
  return {
    sign: (userId) =>
      new SignJWT({ token_type: 'access' })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setSubject(userId)
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setIssuedAt()
        .setJti(randomUUID())
        .setExpirationTime(`${ttlSec}s`)
        .sign(key),
    // Every authenticated request verifies a token: done here with one synchronous HMAC. jose's
    // verify goes through WebCrypto (a key import and a thread-pool job per call), which was ~6 %
    // of a request's CPU. The checks are jose's for this profile: the header must name HS256 (so
    // "none" or any other algorithm is refused before anything else), the signature must match in
    // constant time, and issuer, audience, expiry, not-before and the token type must hold.
    async verify(token) {
      const parts = token.split('.');
      if (parts.length !== 3 || !parts.every((part) => SEGMENT.test(part))) return null;
      const [head, body, signature] = parts as [string, string, string];
      const header = decodeSegment(head);
      if (header?.alg !== 'HS256' || header.crit !== undefined) return null;
      const expected = Buffer.from(createHmac('sha256', key).update(`${head}.${body}`).digest('base64url'));
      const given = Buffer.from(signature);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
      const claims = decodeSegment(body);
      if (!claims) return null;
      const now = Math.floor(Date.now() / 1000);
      const audience = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
      if (claims.iss !== ISSUER || !audience.includes(AUDIENCE)) return null;
      if (typeof claims.exp !== 'number' || claims.exp <= now) return null;
      if (claims.nbf !== undefined && (typeof claims.nbf !== 'number' || claims.nbf > now)) return null;
      if (claims.token_type !== 'access' || typeof claims.sub !== 'string') return null;
      return { userId: claims.sub };
    },
  };
}
