import type { InvitationRow, TripRow, UserRow } from '../../db/schema/index.ts';
import type { MailMessage } from '../../platform/mailer.ts';
import { displayName } from '../collaborators/emails.ts';

/** The URL a client POSTs to accept an invitation (the link carried by the email). */
export const acceptUrl = (baseUrl: string, token: string) => `${baseUrl}/api/v1/invitations/${token}/accept/`;

/** The invitation email to an address with no account yet: how to join, and the accept link. */
export function invitationEmail(props: {
  invitation: InvitationRow;
  token: string;
  trip: TripRow;
  inviter: UserRow | null;
  baseUrl: string;
}): MailMessage {
  const { invitation, token, trip, baseUrl } = props;
  const who = displayName(props.inviter);
  const lines = [
    `${who} invited you to plan the trip "${trip.title}" together on Smart Trip Planner, as ${invitation.role}.`,
    '',
    ...(invitation.message ? [`Message from ${who}:`, invitation.message, ''] : []),
    `To join, create an account with this email address (${invitation.email}): you are added to the trip as soon as you register.`,
    '',
    'Already have an account with this address? Sign in and accept it from your invitations in the app, or with this accept link:',
    acceptUrl(baseUrl, token),
    '',
    `Details of the invitation: ${baseUrl}/api/v1/invitations/${token}/`,
    `Not interested? Decline link: ${baseUrl}/api/v1/invitations/${token}/decline/`,
    '',
    `This invitation expires on ${invitation.expiresAt.toUTCString()}.`,
  ];
  return {
    to: invitation.email,
    subject: `${who} invited you to "${trip.title}"`,
    text: lines.join('\n'),
  };
}
