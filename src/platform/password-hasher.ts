import { hash, verify } from '@node-rs/argon2';

// Algorithm.Argon2id; the enum is a const enum, which verbatimModuleSyntax cannot import.
const ARGON2ID = 2;

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(hashed: string, password: string): Promise<boolean>;
  /** Spends the same time as a real verification, so unknown emails are not revealed by timing. */
  verifyDummy(password: string): Promise<void>;
}

/** argon2id on libuv's thread pool (the native binding does not block the event loop). */
export function createPasswordHasher(cost: { memoryCost: number; timeCost: number }): PasswordHasher {
  const options = {
    algorithm: ARGON2ID,
    memoryCost: cost.memoryCost,
    timeCost: cost.timeCost,
    parallelism: 1,
  };
  let dummy: Promise<string> | undefined;
  return {
    hash: (password) => hash(password, options),
    async verify(hashed, password) {
      try {
        return await verify(hashed, password);
      } catch {
        return false; // a malformed stored hash is a failed login, not a crash
      }
    },
    async verifyDummy(password) {
      dummy ??= hash('timing-equaliser-password', options);
      await verify(await dummy, password).catch(() => false);
    },
  };
}
