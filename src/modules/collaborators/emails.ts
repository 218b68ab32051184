import type { Role, TripRow, UserRow } from '../../db/schema/index.ts';
import type { MailMessage } from '../../platform/mailer.ts';

/** How a user is named in emails: full name, else username. */
export const displayName = (user: UserRow | null | undefined): string =>
  user ? `${user.firstName} ${user.lastName}`.trim() || user.username : 'Someone';

/** The notice sent to an existing user who was added to a trip (by invite or directly). */
export function addedToTripEmail(props: {
  to: string;
  trip: TripRow;
  role: Role;
  inviter: UserRow | null;
  baseUrl: string;
  message?: string;
}): MailMessage {
  const who = displayName(props.inviter);
  const lines = [
    `${who} added you to the trip "${props.trip.title}" as ${props.role}.`,
    '',
    ...(props.message ? [`Message from ${who}:`, props.message, ''] : []),
    `The trip: ${props.baseUrl}/api/v1/trips/${props.trip.id}/`,
    '',
    'You can leave the trip at any time from the app.',
  ];
  return {
    to: props.to,
    subject: `${who} added you to "${props.trip.title}"`,
    text: lines.join('\n'),
  };
}
