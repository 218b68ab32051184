import { COMMON_PASSWORDS } from './common-passwords.ts';

export const MIN_PASSWORD_LENGTH = 8;

/** Similarity in [0, 1] from the longest common substring, in the spirit of Django's check. */
function similarity(a: string, b: string): number {
  if (!a || !b) return 0;
  let longest = 0;
  const previous = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = 0;
    for (let j = 1; j <= b.length; j++) {
      const above = previous[j] ?? 0;
      previous[j] = a[i - 1] === b[j - 1] ? diagonal + 1 : 0;
      longest = Math.max(longest, previous[j] ?? 0);
      diagonal = above;
    }
  }
  return (2 * longest) / (a.length + b.length);
}

/** Every problem with a password, as messages for the `password` field; empty when acceptable. */
export function passwordProblems(password: string, email: string): string[] {
  const problems: string[] = [];
  const lower = password.toLowerCase();
  if (password.length < MIN_PASSWORD_LENGTH) {
    problems.push(`This password is too short. It must contain at least ${MIN_PASSWORD_LENGTH} characters.`);
  }
  if (/^\d+$/.test(password)) problems.push('This password is entirely numeric.');
  if (COMMON_PASSWORDS.has(lower)) problems.push('This password is too common.');
  const emailLower = email.toLowerCase();
  const local = emailLower.split('@')[0] ?? '';
  const parts = [emailLower, local, ...local.split(/[\W_]+/)].filter((p) => p.length >= 3);
  // Containing the email's name counts only when it is most of the password ("ana" in "bananas" is fine).
  const similar = (part: string) =>
    similarity(lower, part) >= 0.7 ||
    (part.length >= 4 && lower.includes(part) && part.length * 2 >= lower.length);
  if (parts.some(similar)) {
    problems.push('The password is too similar to the email.');
  }
  return problems;
}
