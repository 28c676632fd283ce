/** Part 1: one direct run of dist/consul_session.js per state vs `node -e 0` vs the classic Python module. */
import { interleave, ratio, type Job } from './harness';
import type { BenchResult } from './report';
import { floorJob, ourJobs, pyJobs, PY_JOB_OF_STATE, STATES, type Fixture } from './candidates';
import { log } from './environment';
import { stat, verdict, type Options } from './shared';

export async function directRuns(fx: Fixture, opts: Options, python: boolean): Promise<BenchResult['direct']> {
  const ours = ourJobs(fx, () => fx.agent.httpPort);
  const jobs: Job<any>[] = [floorJob, ...STATES.map((s) => ours[s]), ...(python ? pyJobs(fx, () => fx.agent.httpPort) : [])]; // eslint-disable-line @typescript-eslint/no-explicit-any
  log(`part 1: direct runs, ${jobs.length} candidates interleaved, ${opts.warmup} warm-up + ${opts.rounds} rounds`);
  const samples = await interleave(jobs, opts.rounds, opts.warmup, (round, total) => {
    if (round % 5 === 0) log(`  round ${round + 1}/${total}`);
  });
  const floor = stat(samples, floorJob.id)!;
  const rows: BenchResult['direct']['rows'] = STATES.map((state) => {
    const o = stat(samples, `ours:${state}`)!;
    const p = python ? stat(samples, PY_JOB_OF_STATE[state]) : undefined;
    const oursRatio = ratio(o.median, floor.median);
    return {
      state,
      ours: o,
      oursRatio,
      python: p,
      pythonRatio: p ? ratio(p.median, floor.median) : undefined,
      pythonOverOurs: p ? ratio(p.median, o.median) : undefined,
      target: 1.4,
      verdict: verdict(oursRatio <= 1.4),
    };
  });
  return { rounds: opts.rounds, warmup: opts.warmup, floor, rows };
}
