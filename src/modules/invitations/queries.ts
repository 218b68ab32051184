import { and, count, desc, eq, gt, inArray, lte, or, sql, type SQL } from 'drizzle-orm';
import type { Db, Tx } from '../../db/index.ts';
import {
  invitations,
  trips,
  users,
  type InvitationRow,
  type InvitationStatus,
  type UserRow,
} from '../../db/schema/index.ts';
import type { PageWindow } from '../../http/pagination.ts';
import { hashToken } from './tokens.ts';

export interface InvitationPage {
  total: number;
  rows: { invitation: InvitationRow; tripTitle: string }[];
}

const sameEmail = (email: string) => sql`lower(${invitations.email}) = ${email.toLowerCase()}`;

/** SQL for an effective status: "expired" includes pending rows past expiry, "pending" excludes them. */
function statusIs(status: InvitationStatus, now: Date): SQL {
  if (status === 'pending') return and(eq(invitations.status, 'pending'), gt(invitations.expiresAt, now))!;
  if (status === 'expired')
    return or(
      eq(invitations.status, 'expired'),
      and(eq(invitations.status, 'pending'), lte(invitations.expiresAt, now)),
    )!;
  return eq(invitations.status, status);
}

async function page(db: Db, where: SQL, window: PageWindow): Promise<InvitationPage> {
  const [totalRow] = await db.select({ total: count() }).from(invitations).where(where);
  const rows = await db
    .select({ invitation: invitations, tripTitle: trips.title })
    .from(invitations)
    .innerJoin(trips, eq(trips.id, invitations.tripId))
    .where(where)
    .orderBy(desc(invitations.createdAt), desc(invitations.id))
    .limit(window.limit)
    .offset(window.offset);
  return { total: Number(totalRow?.total ?? 0), rows };
}

/** A trip's invitations, newest first, optionally of one (effective) status. */
export function listTripInvitations(
  db: Db,
  tripId: string,
  status: InvitationStatus | undefined,
  window: PageWindow,
): Promise<InvitationPage> {
  const conditions = [eq(invitations.tripId, tripId)];
  if (status) conditions.push(statusIs(status, new Date()));
  return page(db, and(...conditions)!, window);
}

/** Open invitations addressed to `email` (pending and not expired), newest first. */
export function listOpenInvitationsFor(db: Db, email: string, window: PageWindow): Promise<InvitationPage> {
  return page(db, and(sameEmail(email), statusIs('pending', new Date()))!, window);
}

/** The inviters of some invitations, in one query. */
export async function loadInviters(db: Db | Tx, rows: InvitationRow[]): Promise<Map<string, UserRow>> {
  const ids = [...new Set(rows.map((r) => r.invitedById).filter((id): id is string => id !== null))];
  if (ids.length === 0) return new Map();
  const found = await db.select().from(users).where(inArray(users.id, ids));
  return new Map(found.map((u) => [u.id, u]));
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The invitation a path `{token}` names, with its trip's title. An emailed token finds it for
 * anyone holding it; the invitation's id finds it only for the signed-in invitee (ids are not
 * secret: owners and editors see them), so the in-app list can accept without the email.
 */
export async function findInvitationByKey(
  db: Db | Tx,
  key: string,
  invitee: { email: string } | null,
  lock = false,
): Promise<{ invitation: InvitationRow; tripTitle: string } | null> {
  let where: SQL;
  if (UUID.test(key)) {
    if (!invitee) return null;
    where = and(eq(invitations.id, key.toLowerCase()), sameEmail(invitee.email))!;
  } else {
    where = eq(invitations.tokenHash, hashToken(key));
  }
  const query = db
    .select({ invitation: invitations, tripTitle: trips.title })
    .from(invitations)
    .innerJoin(trips, eq(trips.id, invitations.tripId))
    .where(where)
    .limit(1);
  const [row] = lock ? await query.for('update', { of: invitations }) : await query;
  return row ?? null;
}
