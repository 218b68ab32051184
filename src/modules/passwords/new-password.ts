import type { ErrorDetails } from '../../http/errors.ts';
import { passwordProblems } from '../auth/password-policy.ts';

/** The field problems of a new password and its confirmation: register's policy, same messages. */
export function newPasswordProblems(props: {
  newPassword: string;
  confirm: string;
  email: string;
}): ErrorDetails {
  const details: ErrorDetails = {};
  const problems = passwordProblems(props.newPassword, props.email);
  if (problems.length > 0) details.new_password = problems;
  if (props.newPassword !== props.confirm) details.new_password_confirm = ['Passwords do not match.'];
  return details;
}
