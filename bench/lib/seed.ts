/**
 * Bench data written with a handful of set-based SQL statements (seconds, not the minutes the API
 * would take), shaped exactly like what the use cases write: owners and collaborators, one chat room
 * per trip, days inside the trip's dates, items numbered from 0, a poll's version bumped per vote,
 * and a change-log row for every object in the order the API would have logged them (the sync
 * feed, live replay and "who created this" all read that log).
 */
import { randomUUID } from 'node:crypto';
import type { Database, RawExec } from '../../src/db/client.ts';

export const PASSWORD = 'Sturdy-Koala-Orbit-42';

export interface SeedShape {
  users: number;
  /** Memberships per user, on average; trips = users × this ÷ average members. */
  tripsPerUser: number;
  days: number;
  itemsPerDay: number;
  polls: number;
  messages: number;
  /** Members of the extra chat fan-out trip (users 0…n-1). */
  chatMembers: number;
}

export interface SeededTrip {
  id: string;
  members: { user: number; role: 'owner' | 'editor' | 'viewer' }[];
  days: string[];
  polls: { id: string; options: string[] }[];
}

export interface Seeded {
  users: { id: string; email: string }[];
  trips: SeededTrip[];
  /** The trip whose members share one chat room for the fan-out scenario. */
  chatTrip: SeededTrip;
}

type Column = [name: string, pgType: string, values: unknown[]];

/** One multi-row insert: unnest of one array per column (a single round trip for any count). */
async function insertRows(exec: RawExec, table: string, columns: Column[]): Promise<void> {
  const names = columns.map(([name]) => `"${name}"`).join(', ');
  const arrays = columns.map(([, type], i) => `$${i + 1}::${type}[]`).join(', ');
  await exec(
    `insert into ${table} (${names}) select * from unnest(${arrays})`,
    columns.map(([, , values]) => values),
  );
}

const addDays = (date: string, days: number) => {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
};
const ago = (seconds: number) => new Date(Date.now() - seconds * 1000).toISOString();

/** Members of trip `t`: 4–6 people (an owner and 3–5 collaborators), spread evenly over users. */
function membersOf(t: number, users: number): SeededTrip['members'] {
  const size = 4 + (t % 3);
  // Steps of 11 modulo 50 never repeat within six, so every trip's members are distinct people.
  return Array.from({ length: size }, (_, j) => ({
    user: (t * 3 + j * 11) % users,
    role: j === 0 ? 'owner' : j === 5 ? 'viewer' : 'editor',
  }));
}

export async function seed(database: Database, shape: SeedShape, passwordHash: string): Promise<Seeded> {
  const users = Array.from({ length: shape.users }, (_, i) => ({
    id: randomUUID(),
    email: `bench-user-${i}@example.test`,
  }));
  const tripCount = Math.round((shape.users * shape.tripsPerUser) / 5);
  const trips: SeededTrip[] = Array.from({ length: tripCount + 1 }, (_, t) => ({
    id: randomUUID(),
    members:
      t < tripCount
        ? membersOf(t, shape.users)
        : Array.from({ length: shape.chatMembers }, (_, u) => ({
            user: u,
            role: u === 0 ? ('owner' as const) : ('editor' as const),
          })),
    days: Array.from({ length: shape.days }, () => randomUUID()),
    polls: Array.from({ length: shape.polls }, () => ({
      id: randomUUID(),
      options: [randomUUID(), randomUUID(), randomUUID()],
    })),
  }));
  const start = (t: number) => addDays('2030-01-01', t % 300);
  const owner = (trip: SeededTrip) => users[trip.members[0]!.user]!.id;

  await database.withSession(async (exec) => {
    await exec('begin');
    await insertRows(exec, 'users', [
      ['id', 'uuid', users.map((u) => u.id)],
      ['email', 'text', users.map((u) => u.email)],
      ['username', 'text', users.map((_, i) => `bench_user_${i}`)],
      ['password_hash', 'text', users.map(() => passwordHash)],
      ['first_name', 'text', users.map(() => 'Bench')],
      ['last_name', 'text', users.map((_, i) => `User ${i}`)],
    ]);
    await insertRows(exec, 'trips', [
      ['id', 'uuid', trips.map((t) => t.id)],
      ['title', 'text', trips.map((_, t) => `Bench trip ${t}`)],
      ['description', 'text', trips.map(() => 'Seeded for the benchmark')],
      ['creator_id', 'uuid', trips.map(owner)],
      ['start_date', 'date', trips.map((_, t) => start(t))],
      ['end_date', 'date', trips.map((_, t) => addDays(start(t), shape.days - 1))],
      ['status', 'text', trips.map(() => 'planned')],
      // Distinct creation times, so "newest first" lists have one stable order.
      ['created_at', 'timestamptz', trips.map((_, t) => ago(trips.length - t + 3600))],
    ]);
    const memberships = trips.flatMap((trip) =>
      trip.members.map((m, j) => ({ trip, ...m, id: randomUUID(), inviter: j === 0 ? null : owner(trip) })),
    );
    await insertRows(exec, 'trip_members', [
      ['id', 'uuid', memberships.map((m) => m.id)],
      ['trip_id', 'uuid', memberships.map((m) => m.trip.id)],
      ['user_id', 'uuid', memberships.map((m) => users[m.user]!.id)],
      ['role', 'text', memberships.map((m) => m.role)],
      ['invited_by_id', 'uuid', memberships.map((m) => m.inviter)],
    ]);
    await insertRows(exec, 'chat_rooms', [['trip_id', 'uuid', trips.map((t) => t.id)]]);
    const days = trips.flatMap((trip, t) =>
      trip.days.map((id, d) => ({ id, trip, date: addDays(start(t), d), title: `Day ${d + 1}` })),
    );
    await insertRows(exec, 'itineraries', [
      ['id', 'uuid', days.map((d) => d.id)],
      ['trip_id', 'uuid', days.map((d) => d.trip.id)],
      ['date', 'date', days.map((d) => d.date)],
      ['title', 'text', days.map((d) => d.title)],
    ]);
    await exec(
      `insert into itinerary_items (itinerary_id, trip_id, title, start_time, end_time, location, position)
       select d.id, d.trip_id, 'Stop ' || (g + 1), make_time(8 + g * 2, 0, 0), make_time(9 + g * 2, 30, 0),
              'Somewhere', g
       from itineraries d, generate_series(0, $1::int - 1) g order by d.trip_id, d.date, g`,
      [shape.itemsPerDay],
    );
    const polls = trips.flatMap((trip) => trip.polls.map((poll, p) => ({ ...poll, trip, p })));
    await insertRows(exec, 'polls', [
      ['id', 'uuid', polls.map((p) => p.id)],
      ['trip_id', 'uuid', polls.map((p) => p.trip.id)],
      ['created_by_id', 'uuid', polls.map((p) => owner(p.trip))],
      ['question', 'text', polls.map((p) => `Question ${p.p + 1}?`)],
      // One vote by the owner is already in: version 1 + one count change.
      ['version', 'int4', polls.map(() => 2)],
    ]);
    const options = polls.flatMap((poll) => poll.options.map((id, position) => ({ id, poll, position })));
    await insertRows(exec, 'poll_options', [
      ['id', 'uuid', options.map((o) => o.id)],
      ['poll_id', 'uuid', options.map((o) => o.poll.id)],
      ['text', 'text', options.map((o) => `Option ${o.position + 1}`)],
      ['position', 'int4', options.map((o) => o.position)],
    ]);
    await insertRows(exec, 'poll_votes', [
      ['poll_id', 'uuid', polls.map((p) => p.id)],
      ['option_id', 'uuid', polls.map((p) => p.options[0])],
      ['user_id', 'uuid', polls.map((p) => owner(p.trip))],
    ]);
    // Messages: senders take turns among the members, one second apart, oldest first.
    await exec(
      `insert into chat_messages (chat_room_id, trip_id, sender_id, content, created_at, updated_at)
       select r.id, r.trip_id, m.user_ids[1 + g % cardinality(m.user_ids)], 'Message ' || g,
              now() - make_interval(secs => $1::int - g), now() - make_interval(secs => $1::int - g)
       from chat_rooms r
       join (select trip_id, array_agg(user_id order by id) user_ids from trip_members group by trip_id) m
         on m.trip_id = r.trip_id,
       generate_series(1, $1::int) g
       order by g, r.trip_id`,
      [shape.messages],
    );
    await logEverything(exec);
    await exec('commit');
    // What autovacuum would do after a bulk load, done before anything is measured: otherwise
    // it runs during the first scenarios, and their first reads set every row's hint bits.
    await exec('vacuum analyze');
  });
  return { users, trips: trips.slice(0, tripCount), chatTrip: trips[tripCount]! };
}

/** The change-log rows the use cases would have written, in the order they would have. */
async function logEverything(exec: RawExec): Promise<void> {
  const log = (select: string) =>
    exec(`insert into changes (trip_id, entity, entity_id, op, version, actor_id, fields) ${select}`);
  await log(`select null, 'user', id, 'insert', 1, id,
             '{email,username,first_name,last_name}' from users order by date_joined, id`);
  await log(`select id, 'trip', id, 'insert', 1, creator_id,
             '{title,description,start_date,end_date,status,visibility}' from trips order by created_at`);
  await log(`select trip_id, 'collaborator', id, 'insert', 1, coalesce(invited_by_id, user_id),
             case when role = 'owner' then '{role}'::text[] else '{user,role}' end
             from trip_members order by trip_id, role <> 'owner', id`);
  await log(`select i.trip_id, 'itinerary', i.id, 'insert', 1, t.creator_id, '{trip,date,title,notes}'
             from itineraries i join trips t on t.id = i.trip_id order by i.trip_id, i.date`);
  await log(`select i.trip_id, 'item', i.id, 'insert', 1, t.creator_id,
             '{itinerary,title,description,start_time,end_time,location,order}'
             from itinerary_items i join trips t on t.id = i.trip_id order by i.itinerary_id, i.position`);
  await log(`select trip_id, 'poll', id, 'insert', 1, created_by_id,
             '{question,description,is_active,closes_at,allow_multiple,options}' from polls order by id`);
  await exec(`
    insert into changes (trip_id, entity, entity_id, op, version, actor_id, fields)
    select p.trip_id, e.entity, e.entity_id, e.op, e.version, v.user_id, e.fields
    from poll_votes v join polls p on p.id = v.poll_id,
    lateral (values ('vote', v.id, 'insert', 1, '{poll,option_id}'::text[]),
                    ('poll', p.id, 'update', 2, '{options,total_votes}'::text[]))
      e(entity, entity_id, op, version, fields)
    order by v.id, e.entity desc`);
  await log(`select trip_id, 'message', id, 'insert', 1, sender_id, '{content,message_type,reply_to,client_id}'
             from chat_messages order by created_at, id`);
}
