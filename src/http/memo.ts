/**
 * `fn` with its answers kept for the last `max` distinct arguments (the oldest goes first when
 * full). For the per-request work that depends only on a header clients repeat on every request
 * (Accept-Encoding, Host): parsing it again was a measurable share of a cached read. A call that
 * throws keeps nothing. Bounded, so a client sending a new value each time only churns it.
 */
export function memoized<T>(fn: (argument: string) => T, max = 256): (argument: string) => T {
  const kept = new Map<string, T>();
  return (argument) => {
    if (kept.has(argument)) return kept.get(argument) as T;
    const value = fn(argument);
    if (kept.size >= max) kept.delete(kept.keys().next().value!);
    kept.set(argument, value);
    return value;
  };
}
