/** Part 4: the bundle's size and the HTTP requests each state makes (counted by a proxy of our own). */
import * as fs from 'node:fs';
import * as zlib from 'node:zlib';
import { startCountingProxy, timedRun, type Job } from './harness';
import type { BenchResult } from './report';
import { ourJobs, pyJobs, PY_JOB_OF_STATE, STATES, type Fixture } from './candidates';
import { MODULE } from './environment';

export async function requestCounts(fx: Fixture, python: boolean): Promise<BenchResult['requests']> {
  const proxy = await startCountingProxy(fx.agent.httpPort, { [fx.agent.nodeName]: '{node}' });
  try {
    const ours = ourJobs(fx, () => proxy.port);
    const py = python ? pyJobs(fx, () => proxy.port) : [];
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
    for (const state of STATES) {
      const counts = await countOne(ours[state]);
      const total = Object.values(counts).reduce((a, b) => a + b, 0);
      out[state] = { ours: { total, paths: counts } };
    }
    for (const job of py) {
      const counts = await countOne(job);
      const total = Object.values(counts).reduce((a, b) => a + b, 0);
      for (const state of STATES) {
        if (PY_JOB_OF_STATE[state] === job.id) out[state]!.python = { total, paths: counts };
      }
    }
    return out;
  } finally {
    await proxy.close();
  }
}

export function bundleSize(): BenchResult['bundle'] {
  const code = fs.readFileSync(MODULE);
  return { bytes: code.length, gzipBytes: zlib.gzipSync(code, { level: 9 }).length };
}
