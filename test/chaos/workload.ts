/**
 * The chaos workload: per name, a serial script of module calls taken from STEPS in turn, and after
 * every call the truth read from a server and checked against what the call promised. STEPS is a table
 * so that more can be added (e.g. `renewed`, consul_lock acquire/release) without touching the runner.
 */
import type { ConsulSession } from '../../src/shared/sessions';
import type { Cluster } from '../support/cluster';
import { runModule, type ModuleRun } from '../support/module';
import type { SeededRandom } from '../support/seeded-random';
import { createStray, sessionsNamed } from './truth';

export interface StepContext {
  name: string;
  /** The node the module acts on: the client agent's. */
  node: string;
  cluster: Cluster;
  random: SeededRandom;
}

export interface Step {
  label: string;
  /** Done straight to a server before the call, bypassing the proxy: e.g. leave stray sessions behind. */
  arrange?: (ctx: StepContext) => Promise<void>;
  /** The module arguments of the call (connection, timeout and retry_timeout are added). */
  args: (name: string) => Record<string, unknown>;
  /** After the call SUCCEEDED: what is wrong with the truth (the sessions of the name), or undefined. */
  verify: (result: Record<string, unknown>, truth: ConsulSession[]) => string | undefined;
}

interface Settings {
  delay: number;
  behavior: 'release' | 'delete';
}

const A: Settings = { delay: 5, behavior: 'release' };
const B: Settings = { delay: 7, behavior: 'delete' };
const STRAY: Settings = { delay: 9, behavior: 'release' };

const listed = (truth: ConsulSession[]) => truth.map((s) => `${s.ID} (delay ${s.LockDelay / 1e9} s, ${s.Behavior})`).join(', ');

/** A successful present promises exactly one session of the name, the reported one, with the asked settings. */
function exactlyOne(wanted: Settings): Step['verify'] {
  return (result, truth) => {
    if (truth.length !== 1) return `${truth.length} sessions after a successful present: ${listed(truth) || 'none'}`;
    const [session] = truth as [ConsulSession];
    if (session.ID !== result.session_id) return `the session is ${session.ID} but the module reported ${String(result.session_id)}`;
    if (session.LockDelay !== wanted.delay * 1e9 || session.Behavior !== wanted.behavior) return `the session has other settings than asked: ${listed(truth)}`;
    return undefined;
  };
}

const none: Step['verify'] = (_result, truth) => (truth.length ? `sessions left after a successful absent: ${listed(truth)}` : undefined);

/** What a replace cut short or a lost race leaves behind: one to three sessions of the name, with any settings. */
async function leaveStrays({ name, node, cluster, random }: StepContext): Promise<void> {
  for (let i = random.int(1, 3); i > 0; i--) {
    const settings = random.pick([A, B, STRAY]);
    await createStray(cluster, { Name: name, Node: node, LockDelay: `${settings.delay}s`, Behavior: settings.behavior });
  }
}

const present = (settings: Settings) => (name: string) => ({ state: 'present', name, ...settings });

export const STEPS: readonly Step[] = [
  { label: 'present', args: present(A), verify: exactlyOne(A) },
  { label: 'present again', args: present(A), verify: exactlyOne(A) },
  { label: 'absent', args: (name) => ({ state: 'absent', name }), verify: none },
  { label: 'drift (strays left behind, then present)', arrange: leaveStrays, args: present(A), verify: exactlyOne(A) },
  { label: 'replace (other settings)', args: present(B), verify: exactlyOne(B) },
];

export interface CallRecord {
  name: string;
  step: string;
  /** When the call started and ended (Date.now()). */
  startedAt: number;
  endedAt: number;
  ok: boolean;
  /** The module's msg when it failed. */
  msg?: string;
  violation?: string;
}

/** One call and its checks. A failure is clean when it says what failed ("Could not <what>: <why>"). */
export async function callAndCheck(ctx: StepContext, step: Step, connection: Record<string, unknown>): Promise<CallRecord> {
  const startedAt = Date.now();
  const record = () => ({ name: ctx.name, step: step.label, startedAt, endedAt: Date.now() });
  let run: ModuleRun;
  try {
    run = await runModule({ ...connection, ...step.args(ctx.name) });
  } catch (error) {
    // runModule asserts the output contract: one JSON line, exit code, no stack trace.
    return { ...record(), ok: false, violation: `output contract broken: ${error instanceof Error ? error.message : String(error)}` };
  }
  if (run.result.failed) {
    const msg = typeof run.result.msg === 'string' ? run.result.msg : JSON.stringify(run.result.msg);
    return { ...record(), ok: false, msg, ...(/^Could not [^:]+: \S/.test(msg) ? {} : { violation: `a failure that does not say what failed: ${msg}` }) };
  }
  const done = record();
  const violation = step.verify(run.result, await sessionsNamed(ctx.cluster, ctx.node, ctx.name));
  return { ...done, ok: true, ...(violation ? { violation } : {}) };
}

/** `calls` calls on one name, serially, walking STEPS in order; records land in `records` as they finish. */
export async function runScript(ctx: StepContext, calls: number, connection: Record<string, unknown>, records: CallRecord[]): Promise<void> {
  for (let i = 0; i < calls; i++) {
    const step = STEPS[i % STEPS.length] as Step;
    await step.arrange?.(ctx);
    records.push(await callAndCheck(ctx, step, connection));
  }
}
