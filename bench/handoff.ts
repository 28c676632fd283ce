/**
 * The handoff part (issue 15): how long after one holder lets go the next waiter is inside, for
 * consul_lock, consul_semaphore (limit 1) and `consul lock`, each with one holder and `waiters` waiters on
 * one lock. The release is timed as Consul saw it (the proxy stamps its answer to the releasing write);
 * "inside" as the waiter saw it (our module's process exiting with acquired: true; the CLI's command
 * stamping `date +%s%N`). Every round also checks that never more than one was inside and all got in.
 * The tools take turns round by round, in a rotated order, so they meet the same load.
 *
 * Consul's share of each handoff is reported too: from the release's answer to the answer of the write
 * that let the next one in; the rest is the waiter's own (our module: read back, report, exit; the CLI:
 * start its command). A waiter of ours is a module already running and blocked in its wait. A task that only starts once the
 * lock is free pays a whole run instead: `freshRun` is that, from spawn to exit on a free lock.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Agent } from '../test/support/consul';
import { createSession, type Fixture } from './candidates';
import { cleanEnv, log } from './environment';
import { summarize, type Summary } from './harness';
import { epochMs, startHandoffProxy } from './handoff-proxy';
import { cliRound, moduleRound, runBuiltModule, TOOLS, type RoundRecord, type RoundSetup, type Tool } from './handoff-waiters';
import type { NodeBinary } from './nodes';
import type { Verdict } from './report';

/** Issue 15: ours within 50 ms of the CLI's median handoff. */
export const HANDOFF_TARGET_MS = 50;

export interface HandoffOptions {
  rounds: number;
  waiters: number;
  holdMs: number;
}

export interface HandoffRow {
  tool: Tool;
  /** ms from the release's answer to the next one inside, every handoff of every round */
  handoff: Summary | undefined;
  /** of that, ms from the release's answer to the next one's taking write answered (Consul's side) */
  toTake: Summary | undefined;
  /** the most contenders inside at once, over every round (1 is right) */
  maxInside: number;
  /** contenders that got in, of all that tried */
  gotIn: number;
  contenders: number;
  /** our modules: one run from spawn to exit on a free lock, ms */
  freshRun: Summary | undefined;
  /** this tool's median − the CLI's, ms (our modules only) */
  overCli: number | undefined;
  verdict: Verdict | undefined;
}

export interface HandoffPart extends HandoffOptions {
  /** the Node.js that ran our modules */
  node: string;
  rows: HandoffRow[];
  problems: string[];
}

/** Sections sorted by entry; each next one's handoff from the first release answered after the previous left. */
export function analyse(record: RoundRecord): { handoffs: number[]; toTakes: number[]; maxInside: number; problems: string[] } {
  const sections = [...record.sections].sort((a, b) => a.in - b.in);
  const problems = record.problems.map((p) => `${record.tool}: ${p}`);
  const handoffs: number[] = [];
  const toTakes: number[] = [];
  let maxInside = 0;
  for (const s of sections) maxInside = Math.max(maxInside, sections.filter((o) => o.in <= s.in && o.out > s.in).length);
  for (let i = 1; i < sections.length; i++) {
    const [previous, next] = [sections[i - 1]!, sections[i]!];
    const release = record.releases.find((at) => at >= previous.out);
    if (release === undefined || release > next.in) problems.push(`${record.tool}: ${next.label} was inside before the release of ${previous.label} was answered`);
    else {
      handoffs.push(next.in - release);
      const take = record.takes.find((at) => at >= release);
      if (take !== undefined && take <= next.in) toTakes.push(take - release);
    }
  }
  return { handoffs, toTakes, maxInside, problems };
}

async function freshRun(setup: RoundSetup, tool: 'consul_lock' | 'consul_semaphore', round: number): Promise<number> {
  const session = await createSession(setup.fx, `${setup.fx.prefix}-fresh-${tool}-${round}`);
  const target = tool === 'consul_lock' ? { key: `${setup.fx.prefix}/fresh/${tool}-${round}` } : { prefix: `${setup.fx.prefix}/fresh/${tool}-${round}`, limit: 1 };
  const start = epochMs();
  const run = await runBuiltModule(setup, setup.modules[tool], { state: 'acquired', session, value: 'fresh', wait: '60s', ...target });
  if (run.result.acquired !== true) throw new Error(`${tool} did not take a free lock: ${String(run.result.msg)}`);
  return run.at - start;
}

export async function handoffPart(agent: Agent, node: NodeBinary, modules: RoundSetup['modules'], opts: HandoffOptions, tmp: string): Promise<HandoffPart> {
  const proxy = await startHandoffProxy(agent.httpPort);
  const dir = fs.mkdtempSync(path.join(tmp, 'handoff-'));
  const fx: Fixture = { agent, tmp: dir, env: cleanEnv(), hitName: '', hitId: '', prefix: `bench-handoff-${process.pid}`, counter: 0, lockSession: '' };
  const setup: RoundSetup = { fx, proxy, node, modules, waiters: opts.waiters, holdMs: opts.holdMs };
  const handoffs = new Map<Tool, number[]>(TOOLS.map((t) => [t, []]));
  const toTakes = new Map<Tool, number[]>(TOOLS.map((t) => [t, []]));
  const fresh = new Map<Tool, number[]>(TOOLS.map((t) => [t, []]));
  const inside = new Map<Tool, { max: number; gotIn: number; contenders: number }>(TOOLS.map((t) => [t, { max: 0, gotIn: 0, contenders: 0 }]));
  const problems: string[] = [];
  try {
    for (let round = 0; round < opts.rounds; round++) {
      const order = TOOLS.map((_, i) => TOOLS[(i + round) % TOOLS.length]!);
      for (const tool of order) {
        const record = tool === 'consul lock' ? await cliRound(setup, round) : await moduleRound(setup, tool, round);
        const result = analyse(record);
        handoffs.get(tool)!.push(...result.handoffs);
        toTakes.get(tool)!.push(...result.toTakes);
        const seen = inside.get(tool)!;
        seen.max = Math.max(seen.max, result.maxInside);
        seen.gotIn += record.sections.length;
        seen.contenders += opts.waiters + 1;
        problems.push(...result.problems);
        if (tool !== 'consul lock') fresh.get(tool)!.push(await freshRun(setup, tool, round));
        log(`handoff round ${round + 1}/${opts.rounds} ${tool}: ${result.handoffs.map((ms) => ms.toFixed(1)).join(', ')} ms`);
      }
    }
  } finally {
    await proxy.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  for (const p of problems) log(`handoff: ${p}`);
  const summary = (values: number[]) => (values.length ? summarize(values) : undefined);
  const cli = summary(handoffs.get('consul lock')!);
  const rows = TOOLS.map((tool): HandoffRow => {
    const handoff = summary(handoffs.get(tool)!);
    const overCli = tool === 'consul lock' || !handoff || !cli ? undefined : handoff.median - cli.median;
    const seen = inside.get(tool)!;
    return {
      tool,
      handoff,
      toTake: summary(toTakes.get(tool)!),
      maxInside: seen.max,
      gotIn: seen.gotIn,
      contenders: seen.contenders,
      freshRun: summary(fresh.get(tool)!),
      overCli,
      verdict: overCli === undefined ? undefined : overCli <= HANDOFF_TARGET_MS ? 'PASS' : 'MISS',
    };
  });
  return { ...opts, node: node.version, rows, problems };
}
