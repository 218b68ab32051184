/**
 * Reference figures and targets of issue 7, as the issue states them (concurrency 32, same kind of
 * machine). These are inputs to compare with, not results: every PASS/MISS is computed from what
 * this run measured.
 */
export const REFERENCE: Record<string, { django: number | null; planner: number | null }> = {
  'GET /health/': { django: 920, planner: 2900 },
  login: { django: 8, planner: null },
  'trip list': { django: 22, planner: 450 },
  'trip detail': { django: 63, planner: 510 },
  'days with items': { django: 93, planner: 380 },
  'create item': { django: 127, planner: 360 },
  'vote / unvote': { django: 99, planner: 400 },
  'sync feed page': { django: null, planner: null },
};

export const TARGET = {
  /** Every scenario ≥ 10× Django; login ≥ 3×. */
  vsDjango: 10,
  loginVsDjango: 3,
  /** ≥ 5× the TS planner on reads, 3× on writes. */
  readsVsPlanner: 5,
  writesVsPlanner: 3,
  /** Every read's p99 at concurrency 32, ms. */
  readP99Ms: 20,
  /** GET /health/ ≥ 60 % of the bare-Fastify floor; trip detail ≥ 50 % of the one-query floor. */
  healthVsBare: 0.6,
  detailVsQuery: 0.5,
  /** Chat fan-out to 20 sockets: p99 < 10 ms at 50 msg/s; 500 msg/s sustained with p99 < 50 ms. */
  chatP99At50: 10,
  chatP99At500: 50,
  /** Resident memory per worker process, MB. */
  rssMb: 150,
  /** Growth bench: largest/smallest p50 and p99 below this. */
  growthRatio: 1.5,
} as const;

/** The req/s a scenario must reach at concurrency 32: the highest of its applicable multiples. */
export function requiredRps(name: string, kind: 'read' | 'write' | 'login'): number | null {
  const ref = REFERENCE[name];
  if (!ref) return null;
  const needs: number[] = [];
  if (ref.django !== null)
    needs.push(ref.django * (kind === 'login' ? TARGET.loginVsDjango : TARGET.vsDjango));
  if (ref.planner !== null)
    needs.push(ref.planner * (kind === 'write' ? TARGET.writesVsPlanner : TARGET.readsVsPlanner));
  return needs.length > 0 ? Math.max(...needs) : null;
}

export const verdict = (pass: boolean) => (pass ? 'PASS' : 'MISS');
