/** Part 4: the bundles' sizes and the HTTP requests each state makes (counted by a proxy of our own). */
import * as fs from 'node:fs';
import * as zlib from 'node:zlib';
import { startCountingProxy, timedRun, type Job } from './harness';
import type { BenchResult } from './report';
import { pyJobs, PY_JOB_OF_STATE, sessionJobs, STATES, type Fixture } from './candidates';
import { lockJobs } from './lock-candidates';
import type { Build } from './builds';
import type { NodeBinary } from './nodes';

export async function requestCounts(fx: Fixture, bin: NodeBinary, ours: Build, python: boolean): Promise<BenchResult['requests']> {
  const proxy = await startCountingProxy(fx.agent.httpPort, [
    [fx.agent.nodeName, '{node}'],
    [new RegExp(`/v1/kv/${fx.prefix}/[^/]+$`), '/v1/kv/{key}'],
  ]);
  try {
    const port = () => proxy.port;
    const out: BenchResult['requests'] = {};
    const countOne = async (job: Job<any>): Promise<Record<string, number>> => { // eslint-disable-line @typescript-eslint/no-explicit-any
      const ctx: unknown = job.setup ? await job.setup() : undefined;
      proxy.take();
      const run = await timedRun(await job.spec(ctx));
      const counts = proxy.take();
      await job.check(run, ctx);
      if (job.teardown) await job.teardown(run, ctx);
      return counts;
    };
    const total = (counts: Record<string, number>) => Object.values(counts).reduce((a, b) => a + b, 0);
    const session = sessionJobs(fx, bin, ours, port);
    for (const state of STATES) {
      const counts = await countOne(session[state]);
      out[state] = { ours: { total: total(counts), paths: counts } };
    }
    if (ours.lock !== undefined) {
      for (const [state, job] of Object.entries(lockJobs(fx, bin, { ...ours, lock: ours.lock }, port))) {
        const counts = await countOne(job);
        out[state] = { ours: { total: total(counts), paths: counts } };
      }
    }
    for (const job of python ? pyJobs(fx, port) : []) {
      const counts = await countOne(job);
      for (const state of STATES) {
        if (PY_JOB_OF_STATE[state] === job.id) out[state]!.python = { total: total(counts), paths: counts };
      }
    }
    return out;
  } finally {
    await proxy.close();
  }
}

function sizeOf(file: string): { bytes: number; gzipBytes: number } {
  const code = fs.readFileSync(file);
  return { bytes: code.length, gzipBytes: zlib.gzipSync(code, { level: 9 }).length };
}

/** Size of each module of each build, e.g. { 'ours:consul_session': {...} }. */
export function bundleSizes(builds: Build[]): BenchResult['bundles'] {
  const out: BenchResult['bundles'] = {};
  for (const build of builds) {
    out[`${build.id}:consul_session`] = sizeOf(build.session);
    if (build.lock !== undefined) out[`${build.id}:consul_lock`] = sizeOf(build.lock);
  }
  return out;
}
