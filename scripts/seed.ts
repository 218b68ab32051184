/**
 * `npm run seed`: demo users, trips, days, items and polls, created through the real API (so the
 * data obeys every rule and lands in the change log). Safe to run twice: existing demo users log
 * in instead of registering, and a user who already has trips gets no more.
 */
import { buildApp } from '../src/app.ts';
import { loadConfig } from '../src/config/index.ts';
import { migrate, openDatabase } from '../src/db/index.ts';
import { createLogger } from '../src/platform/logger.ts';

const PASSWORD = 'Trip-Planner-Demo-2026';
const PEOPLE = [
  { email: 'ana@demo.test', first_name: 'Ana', last_name: 'Silva' },
  { email: 'ben@demo.test', first_name: 'Ben', last_name: 'Okafor' },
  { email: 'chloe@demo.test', first_name: 'Chloé', last_name: 'Martin' },
];

const config = loadConfig();
const database = await openDatabase(config.database);
await migrate(database);
// Request logs would bury the credentials printed at the end.
// The seed sends no mail; a sender here could take mail queued by a running server.
const app = await buildApp(config, { database, logger: createLogger('warn'), emailSender: false });

async function api(method: 'GET' | 'POST' | 'PATCH', url: string, token: string | null, body?: unknown) {
  const response = await app.inject({
    method,
    url: `/api/v1/${url}`,
    headers: token ? { authorization: `Bearer ${token}` } : {},
    ...(body !== undefined ? { payload: body as object } : {}),
  });
  if (response.statusCode >= 400)
    throw new Error(`${method} ${url} → ${response.statusCode}: ${response.body}`);
  return response.json();
}

async function signIn(person: (typeof PEOPLE)[number]): Promise<{ id: string; token: string }> {
  const login = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/login/',
    payload: { email: person.email, password: PASSWORD },
  });
  if (login.statusCode === 200) return { id: login.json().user.id, token: login.json().access };
  const created = await api('POST', 'auth/register/', null, {
    ...person,
    password: PASSWORD,
    password_confirm: PASSWORD,
  });
  return { id: created.user.id, token: created.tokens.access };
}

function addDays(date: string, days: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

try {
  const [ana, ben, chloe] = await Promise.all(PEOPLE.map(signIn));
  const existing = await api('GET', 'trips/', ana!.token);
  if (existing.count > 0) {
    console.log(`Demo data already present (${existing.count} trips for ana@demo.test).`);
  } else {
    const plans = [
      {
        title: 'Lisbon long weekend',
        description: 'Pastéis, trams and Fado',
        start: '2027-04-16',
        days: 4,
        status: 'planned',
      },
      {
        title: 'Alps hut-to-hut',
        description: 'Five huts, one big lake',
        start: '2027-07-03',
        days: 5,
        status: 'draft',
      },
    ];
    for (const plan of plans) {
      const trip = await api('POST', 'trips/', ana!.token, {
        title: plan.title,
        description: plan.description,
        start_date: plan.start,
        end_date: addDays(plan.start, plan.days - 1),
        status: plan.status,
      });
      await api('POST', `trips/${trip.id}/collaborators/${ben!.id}/`, ana!.token, { role: 'editor' });
      await api('POST', `trips/${trip.id}/collaborators/${chloe!.id}/`, ana!.token, { role: 'viewer' });
      for (let d = 0; d < plan.days; d++) {
        const day = await api('POST', 'itineraries/', ana!.token, {
          trip: trip.id,
          date: addDays(plan.start, d),
          title: `Day ${d + 1}`,
        });
        for (const [i, title] of ['Breakfast', 'Morning walk', 'Lunch', 'Museum', 'Dinner'].entries()) {
          await api('POST', `itineraries/${day.id}/items/`, d % 2 ? ben!.token : ana!.token, {
            title,
            start_time: `${String(8 + i * 3).padStart(2, '0')}:00`,
            end_time: `${String(9 + i * 3).padStart(2, '0')}:30`,
            location: plan.title.split(' ')[0],
          });
        }
      }
      const poll = await api('POST', 'polls/', ana!.token, {
        trip: trip.id,
        question: 'Where do we eat on the first night?',
        options: ['Seafood', 'Tapas', 'Pizza'],
      });
      await api('POST', `polls/${poll.id}/vote/`, chloe!.token, { option_id: poll.options[0].id });
      await api('POST', `polls/${poll.id}/vote/`, ben!.token, { option_id: poll.options[1].id });
      await api('POST', 'polls/', ben!.token, {
        trip: trip.id,
        question: 'Which activities?',
        allow_multiple: true,
        options: ['Boat tour', 'Cooking class', 'Bike ride', 'Spa'],
      });
    }
    console.log(`Created ${plans.length} trips with days, items and polls.`);
  }
  console.log('\nDemo accounts (password for all: %s):', PASSWORD);
  for (const person of PEOPLE) console.log(`  ${person.email}`);
} finally {
  await app.close();
  await database.close();
}
