/**
 * The benchmark's measuring tools: a timed child process (spawn + process.hrtime), an interleaving
 * scheduler (A B C, B C A, C A B … so that no candidate always runs first or right after another),
 * order statistics, and a counting HTTP proxy that sits in front of the Consul agent.
 */
import { spawn } from 'node:child_process';
import * as http from 'node:http';

export interface RunSpec {
  cmd: string;
  args: string[];
  /** written to the child's stdin (which is closed after); without it stdin is /dev/null */
  stdin?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  timeoutMs?: number;
}

export interface TimedRun {
  /** wall time from just before spawn() to the child's 'close' (exited and stdio drained), in ms */
  ms: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs one command to completion and times it. Never rejects on a non-zero exit: the caller checks. */
export function timedRun(spec: RunSpec): Promise<TimedRun> {
  return new Promise((resolve, reject) => {
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    const start = process.hrtime.bigint();
    const child = spawn(spec.cmd, spec.args, {
      cwd: spec.cwd,
      env: spec.env,
      stdio: [spec.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), spec.timeoutMs ?? 120_000);
    child.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));
    if (spec.stdin !== undefined && child.stdin) child.stdin.end(spec.stdin);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      const end = process.hrtime.bigint();
      clearTimeout(timer);
      resolve({
        ms: Number(end - start) / 1e6,
        code,
        signal,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
      });
    });
  });
}

/** One thing to measure. setup/teardown run outside the timed region, right before/after the run. */
export interface Job<C = unknown> {
  id: string;
  setup?: () => Promise<C>;
  spec: (ctx: C) => RunSpec | Promise<RunSpec>;
  /** throws when the run did not do what it should (a benchmark of failures is worthless) */
  check: (run: TimedRun, ctx: C) => void | Promise<void>;
  teardown?: (run: TimedRun, ctx: C) => Promise<void>;
}

export interface Samples {
  /** measured wall times, in round order */
  ms: number[];
}

/**
 * Runs every job once per round, the order rotated by one each round; the first `warmup` rounds are
 * run and checked but not recorded.
 */
export async function interleave(
  jobs: Job<any>[], // eslint-disable-line @typescript-eslint/no-explicit-any -- each job has its own context type
  rounds: number,
  warmup: number,
  onRound?: (round: number, total: number) => void,
): Promise<Map<string, Samples>> {
  const samples = new Map<string, Samples>(jobs.map((job) => [job.id, { ms: [] }]));
  const total = warmup + rounds;
  for (let round = 0; round < total; round++) {
    onRound?.(round, total);
    const shift = round % jobs.length;
    const order = [...jobs.slice(shift), ...jobs.slice(0, shift)];
    for (const job of order) {
      const ctx: unknown = job.setup ? await job.setup() : undefined;
      const spec = await job.spec(ctx);
      const run = await timedRun(spec);
      try {
        await job.check(run, ctx);
      } catch (err) {
        const why = err instanceof Error ? err.message : String(err);
        throw new Error(
          `${job.id}: ${why}\n  command: ${spec.cmd} ${spec.args.join(' ')}\n  exit: ${String(run.code ?? run.signal)}\n` +
            `  stdout: ${run.stdout.slice(0, 2000)}\n  stderr: ${run.stderr.slice(0, 2000)}`,
          { cause: err },
        );
      }
      if (job.teardown) await job.teardown(run, ctx);
      if (round >= warmup) samples.get(job.id)!.ms.push(run.ms);
    }
  }
  return samples;
}

// ---------------------------------------------------------------------------
// statistics
// ---------------------------------------------------------------------------

/** Linear-interpolated quantile, q in [0, 1]. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export const median = (values: readonly number[]): number => quantile(values, 0.5);

export interface Summary {
  n: number;
  median: number;
  min: number;
  p25: number;
  p75: number;
  max: number;
}

export function summarize(values: readonly number[]): Summary {
  const round = (x: number) => Math.round(x * 100) / 100;
  return {
    n: values.length,
    median: round(median(values)),
    min: round(Math.min(...values)),
    p25: round(quantile(values, 0.25)),
    p75: round(quantile(values, 0.75)),
    max: round(Math.max(...values)),
  };
}

/** a / b, rounded to 3 decimals. */
export function ratio(a: number, b: number): number {
  return Math.round((a / b) * 1000) / 1000;
}

// ---------------------------------------------------------------------------
// counting proxy
// ---------------------------------------------------------------------------

export interface CountingProxy {
  port: number;
  /** requests seen since the last reset, as "METHOD /path" (session IDs shown as {id}, no query) */
  take(): Record<string, number>;
  close(): Promise<void>;
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

/**
 * A plain HTTP forwarder to 127.0.0.1:targetPort that counts the requests it forwards. `names` maps
 * path parts (text or patterns) to placeholders (e.g. the agent's node name to {node}) so keys read the
 * same in every run.
 */
export function startCountingProxy(targetPort: number, names: Array<[string | RegExp, string]> = []): Promise<CountingProxy> {
  let counts: Record<string, number> = {};
  const server = http.createServer((req, res) => {
    let pathname = (req.url ?? '/').split('?')[0]!.replace(UUID, '{id}');
    for (const [part, placeholder] of names) pathname = typeof part === 'string' ? pathname.split(part).join(placeholder) : pathname.replace(part, placeholder);
    const key = `${req.method ?? '?'} ${pathname}`;
    counts[key] = (counts[key] ?? 0) + 1;
    const upstream = http.request(
      { host: '127.0.0.1', port: targetPort, method: req.method, path: req.url, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', (err) => {
      if (!res.headersSent) res.writeHead(502, { 'Content-Type': 'text/plain' });
      res.end(`proxy: ${err.message}`);
    });
    req.pipe(upstream);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      resolve({
        port,
        take() {
          const out = counts;
          counts = {};
          return out;
        },
        close() {
          server.closeAllConnections();
          return new Promise<void>((done) => server.close(() => done()));
        },
      });
    });
  });
}
