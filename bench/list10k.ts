/**
 * Part 3: `state: list` of 10,000 sessions with one Node.js binary: wall time and peak RSS (GNU
 * time's %M) of each build's consul_session and of the Python module. seedList fills the agent once.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { seedSessions } from '../test/support/cluster';
import { interleave, type Job, type RunSpec } from './harness';
import type { BigListPart, BigListRow } from './report';
import { moduleSpec, pySpec, type Fixture } from './candidates';
import type { Build } from './builds';
import { parseResult, sessionsOf } from './checks';
import { GNU_TIME, log } from './environment';
import type { NodeBinary } from './nodes';
import { stat, verdict, type Options } from './shared';

/** Seconds it took to create the sessions. */
export async function seedList(fx: Fixture, opts: Options): Promise<number> {
  const before = Date.now();
  log(`part 3: seeding ${opts.sessions} sessions`);
  await seedSessions(fx.agent, opts.sessions, { concurrency: 32, name: (i) => `${fx.prefix}-seed-${i}` });
  return Math.round((Date.now() - before) / 100) / 10;
}

export async function bigList(fx: Fixture, opts: Options, bin: NodeBinary, builds: Build[], python: boolean, gnuTime: boolean): Promise<BigListPart> {
  const rss = new Map<string, number[]>();
  const rssFile = (id: string) => path.join(fx.tmp, `rss-${bin.version}-${id.replace(/\W/g, '_')}.txt`);
  const wrap = (id: string, spec: RunSpec): RunSpec =>
    gnuTime ? { ...spec, cmd: GNU_TIME, args: ['-f', '%M', '-o', rssFile(id), spec.cmd, ...spec.args] } : spec;
  const recordRss = (id: string): void => {
    if (!gnuTime) return;
    const kib = Number(fs.readFileSync(rssFile(id), 'utf8').trim().split('\n').pop());
    if (!Number.isFinite(kib) || kib <= 0) throw new Error(`no %M figure in ${rssFile(id)}`);
    rss.set(id, [...(rss.get(id) ?? []), kib]);
  };
  const listJob = (id: string, base: RunSpec): Job => ({
    id,
    spec: () => ({ ...wrap(id, base), timeoutMs: 120_000 }),
    check: (run) => {
      const n = sessionsOf(parseResult(run)).length;
      if (n < opts.sessions) throw new Error(`listed ${n} sessions, expected ≥ ${opts.sessions}`);
      recordRss(id);
    },
  });
  const jobs = [
    ...builds.map((b) => listJob(b.id, moduleSpec(fx, bin, b.session, { state: 'list' }, fx.agent.httpPort))),
    ...(python ? [listJob('python', pySpec(fx, { state: 'list' }, fx.agent.httpPort))] : []),
  ];
  log(`part 3 (${bin.version}): list of ${opts.sessions}, ${jobs.length} candidates interleaved, 1 warm-up + ${opts.listRuns} runs`);
  const samples = await interleave(jobs, opts.listRuns, 1);
  // The warm-up run's RSS is recorded too: drop it so RSS and wall figures describe the same runs.
  const peakRss = (id: string): number | undefined => {
    const all = rss.get(id);
    return all && all.length > 1 ? Math.max(...all.slice(1)) : undefined;
  };
  const rows: BigListRow[] = jobs.map((job) => {
    const wall = stat(samples, job.id)!;
    const peak = peakRss(job.id);
    return {
      id: job.id,
      wall,
      peakRssKiB: peak,
      verdicts: job.id === 'python' ? undefined : { wall: verdict(wall.median < 500), rss: peak === undefined ? 'SKIP' : verdict(peak < 150 * 1024) },
    };
  });
  return {
    sessions: opts.sessions,
    runs: opts.listRuns,
    rows,
    memoryNote: gnuTime ? undefined : `peak RSS skipped: ${GNU_TIME} is missing (Debian: apt-get install time)`,
  };
}
