/** Small typed readers over an env map that collect problems instead of throwing. */
export type Env = Readonly<Record<string, string | undefined>>;

export class EnvReader {
  readonly problems: string[] = [];
  constructor(private readonly env: Env) {}

  /** The raw value, with empty strings treated as unset (compose files often pass `VAR=`). */
  raw(name: string): string | undefined {
    const value = this.env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  }

  string(name: string, fallback: string): string {
    return this.raw(name) ?? fallback;
  }

  optional(name: string): string | undefined {
    return this.raw(name);
  }

  /** Django-style booleans: True/False, 1/0, yes/no, on/off, any case. */
  bool(name: string, fallback: boolean): boolean {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    const lower = value.toLowerCase();
    if (['1', 'true', 'yes', 'on'].includes(lower)) return true;
    if (['0', 'false', 'no', 'off'].includes(lower)) return false;
    this.problems.push(`${name}: expected a boolean (true/false), got "${value}"`);
    return fallback;
  }

  int(name: string, fallback: number, min: number, max: number): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < min || parsed > max) {
      this.problems.push(`${name}: expected a whole number from ${min} to ${max}, got "${value}"`);
      return fallback;
    }
    return parsed;
  }

  /** A duration in seconds: `900`, `90s`, `15m`, `12h` or `7d`. */
  seconds(name: string, fallback: number, min: number, max: number): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    const match = /^(\d+)\s*([smhd]?)$/i.exec(value);
    const unit = { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[(match?.[2] ?? '').toLowerCase()] ?? 1;
    const parsed = match ? Number(match[1]) * unit : NaN;
    if (!Number.isFinite(parsed) || parsed < min || parsed > max) {
      this.problems.push(
        `${name}: expected a duration from ${min}s to ${max}s (e.g. 900, 15m, 7d), got "${value}"`,
      );
      return fallback;
    }
    return parsed;
  }

  /** A comma-separated list; blanks dropped. */
  list(name: string, fallback: string[] = []): string[] {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    return value
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== '');
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    const lower = value.toLowerCase() as T;
    if (allowed.includes(lower)) return lower;
    this.problems.push(`${name}: expected one of ${allowed.join(', ')}, got "${value}"`);
    return fallback;
  }

  problem(message: string): void {
    this.problems.push(message);
  }
}
