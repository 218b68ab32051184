import { randomUUID } from 'node:crypto';
import { isForeignKeyViolation } from '../../db/errors.ts';
import { chatMessages, users, type ChatMessageRow, type UserRow } from '../../db/schema/index.ts';
import { columnsOf, rowOf, runStatement, type Statement } from '../../db/statement.ts';
import { notFound } from '../../http/errors.ts';
import type { Unit } from '../changes/unit-of-work.ts';
import { rolesThatCan } from '../trips/policy.ts';
import type { PostMessageBody } from './schemas.ts';

// Built once: the statement's text never varies (the id is made here when the client sent none).
const POST_DIRECT_SQL =
  'with ctx as (' +
  '  select r.id as room_id from trip_members m join chat_rooms r on r.trip_id = m.trip_id' +
  '  where m.trip_id = $1::uuid and m.user_id = $2::uuid and m.role = any($3::text[]) limit 1' +
  '), ins as (' +
  '  insert into chat_messages (id, chat_room_id, trip_id, sender_id, content, message_type, client_id)' +
  '  select $4::uuid, ctx.room_id, $1::uuid, $2::uuid, $5, $6, $7 from ctx' +
  '  on conflict do nothing returning *' +
  `) select ${columnsOf(chatMessages, 'ins', 'm_')}, ${columnsOf(users, 'u', 'u_')}` +
  ' from ins join users u on u.id = ins.sender_id';
const POSTERS = rolesThatCan('chat.post');

/**
 * The common post (no reply, valid content) in one statement: the membership authorizes in SQL
 * (the roles the policy lets post), the room is found, the message inserted and returned with its
 * sender. The general path is three round trips (authorize, insert, log with COMMIT); this makes
 * it two. No row means anything out of the ordinary (not a member, a viewer of a room without
 * chat rights, no room yet, a retried id or client_id): the caller then takes the general path,
 * which tells these apart and answers as before; nothing was written.
 */
export async function postDirect(
  unit: Unit,
  props: { userId: string; tripId: string; input: PostMessageBody },
  content: string,
): Promise<{ message: ChatMessageRow; sender: UserRow } | null> {
  const { input } = props;
  const statement: Statement = {
    name: 'chat_post_direct',
    text: POST_DIRECT_SQL,
    values: [
      props.tripId,
      props.userId,
      POSTERS,
      input.id ?? randomUUID(),
      content,
      input.message_type ?? 'text',
      input.client_id ?? null,
    ],
  };
  const rows = await runStatement(unit.tx, statement).catch((error: unknown) => {
    // The trip deleted after the membership was read: its 404, as on the general path.
    throw isForeignKeyViolation(error) ? notFound('Trip not found.') : error;
  });
  const [row] = rows;
  if (!row) return null;
  return { message: rowOf(chatMessages, row, 'm_'), sender: rowOf(users, row, 'u_') };
}
