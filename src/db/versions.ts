import { sql, type SQL } from 'drizzle-orm';

/**
 * A set of row versions (one text per row, each distinct: it names a row's place) folded into one
 * number: the XOR of their 64-bit hashes. Any row added, removed or rewritten changes it (but for
 * a 2^-64 chance), in any order, without sorting the set or sending it back as text (a trip-list
 * page's fingerprint was 3 KB of text per read). Fingerprints of kept answers are built from it
 * (http/response-cache.ts).
 */
export const versionSet = (version: SQL) => sql`coalesce(bit_xor(hashtextextended(${version}, 0)), 0)::text`;
