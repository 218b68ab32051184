import { isRetryableConflict } from './errors.ts';

// Concurrent writers can meet in a lock cycle (a post and a trip delete taking foreign-key and row
// locks in opposite orders; a refresh-token rotation and a logout revoking the same family);
// PostgreSQL then aborts one of them. The aborted one committed nothing, so it can run again
// instead of answering 500.
const ATTEMPTS = 3;

/**
 * Runs `run` (one whole transaction, or one statement) and runs it again, up to three times in
 * all, when PostgreSQL aborted it to break a deadlock or a serialization conflict.
 */
export async function retryOnConflict<T>(
  run: () => Promise<T>,
  onRetry: (error: unknown, attempt: number) => void = () => undefined,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run();
    } catch (error) {
      if (attempt >= ATTEMPTS || !isRetryableConflict(error)) throw error;
      onRetry(error, attempt);
      // A little jitter, so the two sides of the cycle do not collide again in step.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * attempt));
    }
  }
}
