/**
 * Part 1: one direct run per state of each build's modules with one Node.js binary, against the two
 * floors (`node -e 0` and one plain http.get) and the classic Python module, all interleaved.
 */
import { interleave, type Job } from './harness';
import type { DirectPart, DirectRow } from './report';
import { floorJob, oneGetJob, pyJobs, PY_JOB_OF_STATE, sessionJobs, STATES, type Fixture } from './candidates';
import { LOCK_STATES, lockJobs } from './lock-candidates';
import type { Build } from './builds';
import { log } from './environment';
import type { NodeBinary } from './nodes';
import { pairedRatio, stat, verdict, type Options } from './shared';

export const DIRECT_TARGET = 1.4;

export async function directRuns(fx: Fixture, opts: Options, bin: NodeBinary, builds: Build[], python: boolean): Promise<DirectPart> {
  const port = () => fx.agent.httpPort;
  const floor = floorJob(bin);
  const oneGet = oneGetJob(fx, bin);
  const jobs: Job<any>[] = [floor, oneGet]; // eslint-disable-line @typescript-eslint/no-explicit-any
  for (const build of builds) {
    jobs.push(...Object.values(sessionJobs(fx, bin, build, port)));
    if (build.lock !== undefined) jobs.push(...Object.values(lockJobs(fx, bin, { ...build, lock: build.lock }, port)));
  }
  if (python) jobs.push(...pyJobs(fx, port));
  log(`part 1 (${bin.version}): direct runs, ${jobs.length} candidates interleaved, ${opts.warmup} warm-up + ${opts.rounds} rounds`);
  const samples = await interleave(jobs, opts.rounds, opts.warmup, (round, total) => {
    if (round % 5 === 0) log(`  round ${round + 1}/${total}`);
  });
  const floorStat = stat(samples, floor.id)!;
  const getStat = stat(samples, oneGet.id)!;
  const hasLock = builds.some((b) => b.id === 'ours' && b.lock !== undefined);
  const states = [...STATES.map((s) => ['consul_session', s] as const), ...(hasLock ? LOCK_STATES.map((s) => ['consul_lock', s] as const) : [])];
  const rows: DirectRow[] = states.map(([module, state]) => {
    const [oursId, baselineId] = [`ours:${state}`, `baseline:${state}`];
    const pyId = python && module === 'consul_session' ? PY_JOB_OF_STATE[state] : undefined;
    const oursRatio = pairedRatio(samples, oursId, floor.id)!;
    return {
      module,
      state,
      ours: stat(samples, oursId)!,
      oursRatio,
      oursOverGet: pairedRatio(samples, oursId, oneGet.id)!,
      baseline: stat(samples, baselineId),
      baselineRatio: pairedRatio(samples, baselineId, floor.id),
      python: pyId === undefined ? undefined : stat(samples, pyId),
      pythonRatio: pyId === undefined ? undefined : pairedRatio(samples, pyId, floor.id),
      pythonOverOurs: pyId === undefined ? undefined : pairedRatio(samples, pyId, oursId),
      target: DIRECT_TARGET,
      verdict: verdict(oursRatio <= DIRECT_TARGET),
    };
  });
  return { rounds: opts.rounds, warmup: opts.warmup, floor: floorStat, oneGet: getStat, oneGetRatio: pairedRatio(samples, oneGet.id, floor.id)!, rows };
}
