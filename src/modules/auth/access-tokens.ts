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
  /**
   * The user id of a valid access token, or null for any invalid, expired or forged token.
   * Synchronous (an HMAC, no I/O), so the authentication hook needs no promise per request.
   */
  verify(token: string): { userId: string } | null;
}

/** How many verified tokens a process remembers (~1.5 MB at most): far more than its active clients. */
const VERIFIED_MAX = 2000;

/** Stateless access JWTs (HS256 over SECRET_KEY), short-lived by design. */
export function createAccessTokens(secret: string, ttlSec: number): AccessTokens {
  const key = new TextEncoder().encode(secret);
  // Tokens that passed every check below, by their whole text, with their expiry. A client sends
  // the same token on every request until it expires, and checking it again (HMAC, two JSON
  // parses, the claims) was ~3 % of a cached read's CPU. Only a token identical to one verified
  // here is found, and its expiry is checked again on every use; a token whose not-before lies
  // ahead is never kept. The oldest entry goes first when it is full.
  const verified = new Map<string, { userId: string; exp: number }>();
  const remember = (token: string, entry: { userId: string; exp: number }) => {
    if (verified.size >= VERIFIED_MAX) verified.delete(verified.keys().next().value!);
    verified.set(token, entry);
  };
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
    verify(token) {
      const known = verified.get(token);
      if (known) {
        if (known.exp > Math.floor(Date.now() / 1000)) return { userId: known.userId };
        verified.delete(token);
        return null;
      }
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
      remember(token, { userId: claims.sub, exp: claims.exp });
      return { userId: claims.sub };
    },
  };
}
