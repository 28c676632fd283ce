/**
 * One round of the handoff part for one tool: a holder and `waiters` waiters on one lock, each holding
 * for a moment and then letting go, until every one has been inside. What it gives back: each
 * contender's critical section as the contender itself saw it (in, out: epoch ms) and the moments Consul
 * answered each releasing write (from the proxy, handoff-proxy.ts). handoff.ts pairs them up.
 *
 *  - consul_lock / consul_semaphore (limit 1): all contenders start at once as the built module with
 *    `wait`, each with its own session; one is inside as soon as its process exits reporting acquired.
 *    The bench plays its holder: it holds, then runs the module's `released` (whose answer is the release).
 *  - `consul lock PREFIX cmd`: the CLI's command stamps `date +%s%N` first thing, holds, stamps again.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { consulBinary } from '../test/support/consul';
import { createSession, type Fixture } from './candidates';
import { epochMs, type HandoffProxy, type Write } from './handoff-proxy';
import type { NodeBinary } from './nodes';

export const TOOLS = ['consul_lock', 'consul_semaphore', 'consul lock'] as const;
export type Tool = (typeof TOOLS)[number];

/** The longest the first holder waits for every waiter to be blocked in its wait before it lets go. */
const ALL_WAITING_WITHIN_MS = 30_000;

export interface Section {
  label: string;
  in: number;
  out: number;
}

export interface RoundRecord {
  tool: Tool;
  sections: Section[];
  /** When Consul answered each write that let a holder go, in order. */
  releases: number[];
  /** When Consul answered each write that let one in (an acquire, a slot's CAS write), in order. */
  takes: number[];
  /** Contenders that never got in (or whose run failed), with why. */
  problems: string[];
}

export interface RoundSetup {
  fx: Fixture;
  proxy: HandoffProxy;
  node: NodeBinary;
  /** dist/consul_lock.js and dist/consul_semaphore.js */
  modules: Record<'consul_lock' | 'consul_semaphore', string>;
  waiters: number;
  holdMs: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Until every waiter has sent a blocking read of `path` (so each is waiting, not still starting): the
 * first holder lets go only then, so that its handoff measures a wait, not a Node.js or CLI start-up.
 */
async function allWaiting(setup: RoundSetup, path: string, problems: string[]): Promise<void> {
  const deadline = Date.now() + ALL_WAITING_WITHIN_MS;
  while (setup.proxy.blockers(path) < setup.waiters) {
    if (Date.now() > deadline) {
      problems.push(`only ${setup.proxy.blockers(path)} of ${setup.waiters} waiters were waiting on ${path} after ${ALL_WAITING_WITHIN_MS} ms`);
      return;
    }
    await sleep(10);
  }
}

interface ModuleExit {
  at: number;
  result: Record<string, unknown>;
}

/** Wall-clock epoch ms from `date +%s%N` output. */
const fromDate = (ns: string): number => Number(BigInt(ns.trim()) / 1000n) / 1000;

/**
 * One run of a built module through the proxy. `at`, when its process exited, is stamped by a shell
 * around it with `date +%s%N`, as the CLI's command stamps its start: never by this process, whose event
 * loop also runs the proxy and would stamp late while the waiters' requests pass through it.
 */
export function runBuiltModule(setup: RoundSetup, module: string, args: Record<string, unknown>): Promise<ModuleExit> {
  const file = path.join(setup.fx.tmp, `handoff-args-${++setup.fx.counter}.json`);
  const stamp = `${file}.exited`;
  fs.writeFileSync(file, JSON.stringify({ host: '127.0.0.1', port: setup.proxy.port, ...args }));
  const script = '"$0" "$1" "$2"; status=$?; date +%s%N > "$3"; exit $status';
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', script, setup.node.path, module, file, stamp], { env: setup.fx.env, cwd: setup.fx.tmp, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', () => {
      try {
        resolve({ at: fromDate(fs.readFileSync(stamp, 'utf8')), result: JSON.parse(out.trim().split('\n').pop() ?? '') as Record<string, unknown> });
      } catch {
        reject(new Error(`${path.basename(module)} printed no JSON result: ${out.slice(0, 200)}`));
      }
    });
  });
}

/** Our module's round: everyone waits at once; the bench holds for whoever got in, then releases. */
export async function moduleRound(setup: RoundSetup, tool: 'consul_lock' | 'consul_semaphore', round: number): Promise<RoundRecord> {
  const module = setup.modules[tool];
  const where = `${setup.fx.prefix}/handoff/${tool}-${round}`;
  const target = tool === 'consul_lock' ? { key: where } : { prefix: where };
  const sessions = await Promise.all(Array.from({ length: setup.waiters + 1 }, (_, i) => createSession(setup.fx, `${setup.fx.prefix}-handoff-${i}`)));
  const problems: string[] = [];
  const sections: Section[] = [];
  const releases: number[] = [];
  const pending = new Map(
    sessions.map((session, i) => {
      const acquire = { state: 'acquired', session, value: `contender ${i}`, wait: '60s', ...target, ...(tool === 'consul_semaphore' ? { limit: 1 } : {}) };
      return [session, runBuiltModule(setup, module, acquire).then((exit) => ({ session, label: `contender ${i}`, exit }))] as const;
    }),
  );
  while (pending.size > 0) {
    const next = await Promise.race(pending.values());
    pending.delete(next.session);
    if (next.exit.result.acquired !== true) {
      problems.push(`${next.label}: ${typeof next.exit.result.msg === 'string' ? next.exit.result.msg : 'not acquired'}`);
      continue;
    }
    if (sections.length === 0) await allWaiting(setup, `/v1/kv/${where}`, problems);
    await sleep(setup.holdMs);
    const out = epochMs();
    sections.push({ label: next.label, in: next.exit.at, out });
    const released = await runBuiltModule(setup, module, { state: 'released', session: next.session, ...target });
    if (released.result.failed) problems.push(`${next.label}: release failed: ${String(released.result.msg)}`);
    const write = setup.proxy.writes.find((w) => w.answeredAt >= out && isRelease(w, tool, where, next.session));
    if (write) releases.push(write.answeredAt);
    else problems.push(`${next.label}: the proxy saw no release write`);
  }
  const takes = setup.proxy.writes.filter((w) => isTake(w, tool, where)).map((w) => w.answeredAt);
  return { tool, sections, releases, takes, problems };
}

/** consul_lock: PUT KEY?acquire= answered true. consul_semaphore: a CAS write of .lock that leaves a holder in. */
function isTake(w: Write, tool: Tool, where: string): boolean {
  if (w.method !== 'PUT' || w.answer.trim() !== 'true') return false;
  const url = decodeURIComponent(w.url);
  if (tool === 'consul_lock') return url.startsWith(`/v1/kv/${where}?`) && url.includes('acquire=');
  if (!url.startsWith(`/v1/kv/${where}/.lock?`) || !url.includes('cas=')) return false;
  try {
    return Object.keys((JSON.parse(w.body) as { Holders?: Record<string, boolean> }).Holders ?? {}).length > 0;
  } catch {
    return false;
  }
}

/** consul_lock: PUT KEY?release=SESSION answered true. consul_semaphore: the CAS write of .lock without the session. */
function isRelease(w: Write, tool: Tool, where: string, session: string): boolean {
  if (w.method !== 'PUT' || w.answer.trim() !== 'true') return false;
  const url = decodeURIComponent(w.url);
  if (tool === 'consul_lock') return url.startsWith(`/v1/kv/${where}?`) && url.includes(`release=${session}`);
  if (!url.startsWith(`/v1/kv/${where}/.lock?`) || !url.includes('cas=')) return false;
  try {
    return !(session in ((JSON.parse(w.body) as { Holders?: Record<string, boolean> }).Holders ?? {}));
  } catch {
    return false;
  }
}

/** `consul lock PREFIX cmd` × (waiters + 1), started at once; each command logs its own in and out. */
export async function cliRound(setup: RoundSetup, round: number): Promise<RoundRecord> {
  const prefix = `${setup.fx.prefix}/handoff/cli-${round}`;
  const dir = fs.mkdtempSync(path.join(setup.fx.tmp, 'handoff-cli-'));
  const log = path.join(dir, 'sections');
  const seconds = (ms: number) => (ms / 1000).toFixed(3);
  const problems: string[] = [];
  const runs = Array.from({ length: setup.waiters + 1 }, (_, i) => {
    // The first one in (it makes the directory) waits for the bench's word that all others are waiting.
    const command =
      `echo "$(date +%s%N) in ${i}" >> '${log}'; ` +
      `if mkdir '${dir}/first' 2>/dev/null; then while [ ! -e '${dir}/go' ]; do sleep 0.01; done; fi; sleep ${seconds(setup.holdMs)}; ` +
      `echo "$(date +%s%N) out ${i}" >> '${log}'`;
    const child = spawn(consulBinary(), ['lock', prefix, command], { env: { PATH: process.env.PATH, CONSUL_HTTP_ADDR: setup.proxy.addr }, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    return new Promise<void>((resolve) =>
      child.on('close', (code) => {
        clearTimeout(timer);
        if (code !== 0) problems.push(`consul lock ${i} exited ${String(code)}: ${err.trim().slice(0, 200)}`);
        resolve();
      }),
    );
  });
  await allWaiting(setup, `/v1/kv/${prefix}/.lock`, problems);
  fs.writeFileSync(path.join(dir, 'go'), '');
  await Promise.all(runs);
  const stamps = new Map<string, Partial<Section>>();
  for (const line of fs.readFileSync(log, 'utf8').trim().split('\n')) {
    const [ns, kind, label] = line.split(' ') as [string, 'in' | 'out', string];
    const section = stamps.get(label) ?? { label: `contender ${label}` };
    section[kind] = fromDate(ns);
    stamps.set(label, section);
  }
  const sections = [...stamps.values()].filter((s): s is Section => s.in !== undefined && s.out !== undefined);
  const lockWrites = (kind: string) =>
    setup.proxy.writes
      .filter((w) => w.method === 'PUT' && w.answer.trim() === 'true' && decodeURIComponent(w.url).startsWith(`/v1/kv/${prefix}/.lock?`) && w.url.includes(`${kind}=`))
      .map((w) => w.answeredAt);
  return { tool: 'consul lock', sections, releases: lockWrites('release'), takes: lockWrites('acquire'), problems };
}
