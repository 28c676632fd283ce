/** Part 3: `state: list` of 10,000 sessions: wall time and peak RSS (GNU time's %M). */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { seedSessions } from '../test/support/cluster';
import { interleave, type Job, type RunSpec } from './harness';
import type { BenchResult } from './report';
import { ourSpec, pySpec, type Fixture } from './candidates';
import { parseResult, sessionsOf } from './checks';
import { GNU_TIME, log } from './environment';
import { stat, verdict, type Options } from './shared';

export async function bigList(fx: Fixture, opts: Options, python: boolean, gnuTime: boolean): Promise<BenchResult['bigList']> {
  const before = Date.now();
  log(`part 3: seeding ${opts.sessions} sessions`);
  await seedSessions(fx.agent, opts.sessions, { concurrency: 32, name: (i) => `${fx.prefix}-seed-${i}` });
  const seedSeconds = Math.round((Date.now() - before) / 100) / 10;
  const rss = new Map<string, number[]>();
  const wrap = (id: string, spec: RunSpec): { spec: RunSpec; file: string } => {
    const file = path.join(fx.tmp, `rss-${id.replace(/\W/g, '_')}.txt`);
    if (!gnuTime) return { spec, file };
    return { spec: { ...spec, cmd: GNU_TIME, args: ['-f', '%M', '-o', file, spec.cmd, ...spec.args] }, file };
  };
  const recordRss = (id: string, file: string): void => {
    if (!gnuTime) return;
    const kib = Number(fs.readFileSync(file, 'utf8').trim().split('\n').pop());
    if (!Number.isFinite(kib) || kib <= 0) throw new Error(`no %M figure in ${file}`);
    rss.set(id, [...(rss.get(id) ?? []), kib]);
  };
  const listJob = (id: string, base: RunSpec): Job<string> => ({
    id,
    setup: () => Promise.resolve(''),
    spec: () => {
      const w = wrap(id, base);
      return { ...w.spec, timeoutMs: 120_000 };
    },
    check: (run) => {
      const n = sessionsOf(parseResult(run)).length;
      if (n < opts.sessions) throw new Error(`listed ${n} sessions, expected ≥ ${opts.sessions}`);
      recordRss(id, wrap(id, base).file);
    },
  });
  const jobs = [
    listJob('list10k:ours', ourSpec(fx, { state: 'list' }, fx.agent.httpPort)),
    ...(python ? [listJob('list10k:python', pySpec(fx, { state: 'list' }, fx.agent.httpPort))] : []),
  ];
  log(`part 3: list of ${opts.sessions}, ${jobs.length} candidates interleaved, 1 warm-up + ${opts.listRuns} runs`);
  const samples = await interleave(jobs, opts.listRuns, 1);
  // The warm-up run's RSS is recorded too: drop it so RSS and wall figures describe the same runs.
  const rssOf = (id: string): number | undefined => {
    const all = rss.get(id);
    if (!all || all.length <= 1) return undefined;
    return Math.max(...all.slice(1));
  };
  const ours = stat(samples, 'list10k:ours')!;
  const oursRss = rssOf('list10k:ours');
  return {
    sessions: opts.sessions,
    runs: opts.listRuns,
    seedSeconds,
    ours,
    oursPeakRssKiB: oursRss,
    python: stat(samples, 'list10k:python'),
    pythonPeakRssKiB: rssOf('list10k:python'),
    memoryNote: gnuTime ? undefined : `peak RSS skipped: ${GNU_TIME} is missing (Debian: apt-get install time)`,
    verdicts: {
      wall: verdict(ours.median < 500),
      rss: oursRss === undefined ? 'SKIP' : verdict(oursRss < 150 * 1024),
    },
  };
}
