/** Secrets that ship in docs, templates and tutorials; production refuses them. */
export const KNOWN_WEAK_SECRETS = [
  'your-secret-key-here',
  'your-secret-key',
  'secret',
  'secret-key',
  'changeme',
  'change-me',
  'insecure-development-secret-key-do-not-use-in-production-0000',
  'test-secret-key-for-the-test-suite-only-never-use-in-production',
];

export const DEV_SECRET = 'insecure-development-secret-key-do-not-use-in-production-0000';
export const TEST_SECRET = 'test-secret-key-for-the-test-suite-only-never-use-in-production';
export const MIN_SECRET_LENGTH = 50;

/** A secret is weak when short, a known default, Django's insecure marker, or one repeated character. */
export function secretWeakness(secret: string | undefined): string | null {
  if (!secret) return 'SECRET_KEY (or DJANGO_SECRET_KEY) is not set';
  if (KNOWN_WEAK_SECRETS.includes(secret.toLowerCase())) return 'SECRET_KEY is a known default value';
  if (secret.startsWith('django-insecure')) return 'SECRET_KEY is a django-insecure development key';
  if (secret.length < MIN_SECRET_LENGTH)
    return `SECRET_KEY is too short (${secret.length} characters; at least ${MIN_SECRET_LENGTH} required)`;
  if (new Set(secret).size < 5) return 'SECRET_KEY has too few distinct characters';
  return null;
}
