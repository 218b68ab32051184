/**
 * Data for `npm run bench:growth`: one user's trips and one chat room, grown in bulk with
 * set-based SQL. Every trip is whole (owner and three collaborators, chat room, 5 days × 5 items)
 * and every object gets the change-log row the API would have written, so the sync feed and the
 * lists read the same shape of data as in production, only more of it.
 */
import { randomUUID } from 'node:crypto';
import type { Database, RawExec } from '../../src/db/client.ts';

export interface GrowthSubject {
  /** The user whose trips grow; friends are the other members of each trip. */
  userId: string;
  friends: string[];
  /** The trip whose day is read and whose room grows. */
  tripId: string;
  dayId: string;
  roomId: string;
}

export async function createSubject(database: Database, passwordHash: string): Promise<GrowthSubject> {
  const ids = Array.from({ length: 4 }, () => randomUUID());
  await database.withSession(async (exec) => {
    await exec(
      `insert into users (id, email, username, password_hash)
       select id, 'growth-' || n || '@example.test', 'growth_' || n, $2
       from unnest($1::uuid[]) with ordinality u(id, n)`,
      [ids, passwordHash],
    );
    await exec(
      `insert into changes (entity, entity_id, op, version, actor_id, fields)
       select 'user', id, 'insert', 1, id, '{email,username,first_name,last_name}'
       from unnest($1::uuid[]) id`,
      [ids],
    );
  });
  const [userId, ...friends] = ids as [string, ...string[]];
  const [tripId] = await addTrips(database, { userId, friends }, 1);
  return database.withSession(async (exec) => {
    const day = await exec(`select id from itineraries where trip_id = $1 order by date limit 1`, [tripId]);
    const room = await exec(`select id from chat_rooms where trip_id = $1`, [tripId]);
    return {
      userId,
      friends,
      tripId: tripId!,
      dayId: day.rows[0]!.id as string,
      roomId: room.rows[0]!.id as string,
    };
  });
}

/** Adds `count` whole trips owned by the subject; returns their ids. */
export async function addTrips(
  database: Database,
  subject: Pick<GrowthSubject, 'userId' | 'friends'>,
  count: number,
): Promise<string[]> {
  const ids = Array.from({ length: count }, () => randomUUID());
  await database.withSession(async (exec) => {
    await exec('begin');
    await exec(
      `insert into trips (id, title, creator_id, start_date, end_date, status, created_at)
       select id, 'Growth trip ' || n, $2, date '2031-01-01' + (n % 300)::int, date '2031-01-05' + (n % 300)::int,
              'planned', now() - make_interval(secs => n)
       from unnest($1::uuid[]) with ordinality t(id, n)`,
      [ids, subject.userId],
    );
    await exec(
      `insert into trip_members (trip_id, user_id, role, invited_by_id)
       select t, u, case when u = $2 then 'owner' else 'editor' end, case when u = $2 then null else $2::uuid end
       from unnest($1::uuid[]) t, unnest($3::uuid[]) with ordinality m(u, k) order by t, k`,
      [ids, subject.userId, [subject.userId, ...subject.friends]],
    );
    await exec(`insert into chat_rooms (trip_id) select unnest($1::uuid[])`, [ids]);
    await exec(
      `insert into itineraries (trip_id, date, title)
       select t.id, t.start_date + d, 'Day ' || (d + 1) from trips t, generate_series(0, 4) d
       where t.id = any($1::uuid[]) order by t.id, d`,
      [ids],
    );
    await exec(
      `insert into itinerary_items (itinerary_id, trip_id, title, start_time, location, position)
       select i.id, i.trip_id, 'Stop ' || (g + 1), make_time(8 + g * 2, 0, 0), 'Somewhere', g
       from itineraries i, generate_series(0, 4) g where i.trip_id = any($1::uuid[])
       order by i.trip_id, i.date, g`,
      [ids],
    );
    await logTrips(exec, ids);
    await exec('commit');
  });
  return ids;
}

/** The change-log rows of whole new trips, in the order the use cases would have written them. */
async function logTrips(exec: RawExec, ids: string[]): Promise<void> {
  const log = (select: string) =>
    exec(`insert into changes (trip_id, entity, entity_id, op, version, actor_id, fields) ${select}`, [ids]);
  await log(`select id, 'trip', id, 'insert', 1, creator_id,
             '{title,description,start_date,end_date,status,visibility}'
             from trips where id = any($1::uuid[]) order by created_at`);
  await log(`select trip_id, 'collaborator', id, 'insert', 1, coalesce(invited_by_id, user_id),
             case when role = 'owner' then '{role}'::text[] else '{user,role}' end
             from trip_members where trip_id = any($1::uuid[]) order by trip_id, role <> 'owner', id`);
  await log(`select i.trip_id, 'itinerary', i.id, 'insert', 1, t.creator_id, '{trip,date,title,notes}'
             from itineraries i join trips t on t.id = i.trip_id where i.trip_id = any($1::uuid[])
             order by i.trip_id, i.date`);
  await log(`select i.trip_id, 'item', i.id, 'insert', 1, t.creator_id,
             '{itinerary,title,description,start_time,end_time,location,order}'
             from itinerary_items i join trips t on t.id = i.trip_id where i.trip_id = any($1::uuid[])
             order by i.itinerary_id, i.position`);
}

/**
 * Adds `count` messages to the subject's room, older than every message already there (history
 * grows backwards, so the newest page stays the same messages), each with its change-log row.
 */
export async function addMessages(database: Database, subject: GrowthSubject, count: number): Promise<void> {
  await database.withSession(async (exec) => {
    await exec(
      `with oldest as (select coalesce(min(created_at), now()) at from chat_messages where chat_room_id = $1),
            added as (
              insert into chat_messages (chat_room_id, trip_id, sender_id, content, created_at, updated_at)
              select $1, $2, ($4::uuid[])[1 + g % cardinality($4::uuid[])], 'Message ' || g,
                     oldest.at - make_interval(secs => g), oldest.at - make_interval(secs => g)
              from oldest, generate_series(1, $3::int) g
              returning id, trip_id, sender_id)
       insert into changes (trip_id, entity, entity_id, op, version, actor_id, fields)
       select trip_id, 'message', id, 'insert', 1, sender_id, '{content,message_type,reply_to,client_id}'
       from added`,
      [subject.roomId, subject.tripId, count, [subject.userId, ...subject.friends]],
    );
  });
}
