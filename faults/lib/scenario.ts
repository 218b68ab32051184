/** What every scenario gets: the run's mode and the machine's shared services. */
export interface ScenarioContext {
  fast: boolean;
  /** Admin connection to the shared PostgreSQL: fresh databases are created beside it. */
  adminUrl: string;
  /** The shared Redis (scenarios that stop Redis start their own instead). */
  redisUrl: string;
}

export interface Scenario {
  name: string;
  title: string;
  run(context: ScenarioContext): Promise<Checks>;
}

/** The assertions of one scenario: each a line with its counts, failed or not. */
export class Checks {
  readonly lines: { ok: boolean; text: string }[] = [];
  /** The one-line summary printed after PASS/FAIL (the counts that matter most). */
  summary = '';

  expect(ok: boolean, text: string): boolean {
    this.lines.push({ ok, text });
    console.log(`  ${ok ? 'ok  ' : 'FAIL'} ${text}`);
    return ok;
  }

  get passed(): boolean {
    return this.lines.length > 0 && this.lines.every((line) => line.ok);
  }
}

/** Progress lines, indented under the scenario's heading. */
export const note = (text: string) => console.log(`  - ${text}`);
