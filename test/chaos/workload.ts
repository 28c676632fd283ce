/**
 * The chaos workload: per name, a serial script of module calls taken from STEPS in turn, and after
 * every call the truth read from a server and checked against what the call promised. STEPS is a table
 * (session steps here, lock steps in lock-steps.ts) so more can be added without touching the runner.
 */
import type { ConsulSession } from '../../src/shared/sessions';
import type { Cluster } from '../support/cluster';
import { runModule, type ModuleName, type ModuleRun } from '../support/module';
import type { SeededRandom } from '../support/seeded-random';
import { acquireStep, releaseStep, type SharedLock } from './lock-steps';
import { allSessions, createStray, lockHolder, sessionsNamed } from './truth';

export interface StepContext {
  name: string;
  /** The node the module acts on: the client agent's. */
  node: string;
  cluster: Cluster;
  random: SeededRandom;
  /** This name's session as the truth showed it after the last call (when there was exactly one). */
  own: { session?: string };
  /** The one lock every name of the workload contends for. */
  lock: SharedLock;
}

/** What Consul holds after a call, read from a server with ?consistent. */
export interface Truth {
  /** The sessions of the step's name on the node. */
  sessions: ConsulSession[];
  /** Every live session ID of the datacenter. */
  live: Set<string>;
  lockHolder: string | null;
}

export interface Step {
  label: string;
  module?: ModuleName;
  /** The call needs this name's session (renew, acquire, release); without one, present is called instead. */
  needsSession?: boolean;
  /** Done straight to a server before the call, bypassing the proxy: e.g. leave stray sessions behind. */
  arrange?: (ctx: StepContext) => Promise<void>;
  /** The module arguments of the call (connection, timeout and retry_timeout are added). */
  args: (ctx: StepContext) => Record<string, unknown>;
  /** After the call SUCCEEDED: what is wrong with the truth, or undefined. */
  verify: (result: Record<string, unknown>, truth: Truth, ctx: StepContext) => string | undefined;
}

interface Settings {
  delay: number;
  behavior: 'release' | 'delete';
}

/** Sessions have a TTL that outlasts the run, so renewals reset a real timer. */
const TTL = '300s';
const A: Settings = { delay: 5, behavior: 'release' };
const B: Settings = { delay: 7, behavior: 'delete' };
const STRAY: Settings = { delay: 9, behavior: 'release' };

const listed = (truth: ConsulSession[]) => truth.map((s) => `${s.ID} (delay ${s.LockDelay / 1e9} s, ${s.Behavior})`).join(', ');

/** A successful present promises exactly one session of the name, the reported one, with the asked settings. */
function exactlyOne(wanted: Settings): Step['verify'] {
  return (result, { sessions }) => {
    if (sessions.length !== 1) return `${sessions.length} sessions after a successful present: ${listed(sessions) || 'none'}`;
    const [session] = sessions as [ConsulSession];
    if (session.ID !== result.session_id) return `the session is ${session.ID} but the module reported ${String(result.session_id)}`;
    if (session.LockDelay !== wanted.delay * 1e9 || session.Behavior !== wanted.behavior) return `the session has other settings than asked: ${listed(sessions)}`;
    return undefined;
  };
}

const none: Step['verify'] = (_result, { sessions }) => (sessions.length ? `sessions left after a successful absent: ${listed(sessions)}` : undefined);

/** A successful renewal reset a timer of a session that exists. */
const renewedOne: Step['verify'] = (result, { sessions }) => {
  if (!sessions.some((s) => s.ID === result.session_id)) return `renewed ${String(result.session_id)}, which is not among ${listed(sessions) || 'no sessions'}`;
  return result.changed === true ? undefined : 'a renewal of a TTL session reported no change';
};

/** What a replace cut short or a lost race leaves behind: one to three sessions of the name, with any settings. */
async function leaveStrays({ name, node, cluster, random }: StepContext): Promise<void> {
  for (let i = random.int(1, 3); i > 0; i--) {
    const settings = random.pick([A, B, STRAY]);
    await createStray(cluster, { Name: name, Node: node, LockDelay: `${settings.delay}s`, Behavior: settings.behavior, TTL });
  }
}

const present = (settings: Settings) => ({ name }: StepContext) => ({ state: 'present', name, ttl: TTL, ...settings });
const PRESENT: Step = { label: 'present', args: present(A), verify: exactlyOne(A) };

export const STEPS: readonly Step[] = [
  PRESENT,
  { label: 'renewed', needsSession: true, args: ({ name }) => ({ state: 'renewed', name }), verify: renewedOne },
  acquireStep,
  releaseStep,
  { label: 'present again', args: present(A), verify: exactlyOne(A) },
  { label: 'absent', args: ({ name }) => ({ state: 'absent', name }), verify: none },
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

/** A clean failure says what failed: "Could not <what>: <why>", or a refusal that names the lock or session. */
const CLEAN_FAILURE = /^(?:Could not [^:]+: \S|Waited [\d.]+ s for the lock |The lock \S+ is held by |Cannot renew )/;

async function readTruth(ctx: StepContext): Promise<Truth> {
  const [sessions, all, holder] = await Promise.all([
    sessionsNamed(ctx.cluster, ctx.node, ctx.name),
    allSessions(ctx.cluster),
    lockHolder(ctx.cluster, ctx.lock.key),
  ]);
  return { sessions, live: new Set(all.map((s) => s.ID)), lockHolder: holder };
}

/** One call and its checks; afterwards ctx.own.session follows the truth. */
export async function callAndCheck(ctx: StepContext, planned: Step, connection: Record<string, unknown>): Promise<CallRecord> {
  const step = planned.needsSession && ctx.own.session === undefined ? { ...PRESENT, label: `present (instead of ${planned.label}: no session)` } : planned;
  const startedAt = Date.now();
  const record = () => ({ name: ctx.name, step: step.label, startedAt, endedAt: Date.now() });
  let run: ModuleRun;
  try {
    run = await runModule({ ...connection, ...step.args(ctx) }, { module: step.module });
  } catch (error) {
    // runModule asserts the output contract: one JSON line, exit code, no stack trace.
    return { ...record(), ok: false, violation: `output contract broken: ${error instanceof Error ? error.message : String(error)}` };
  }
  const done = record();
  const truth = await readTruth(ctx);
  ctx.own.session = truth.sessions.length === 1 ? truth.sessions[0]?.ID : undefined;
  if (run.result.failed) {
    const msg = typeof run.result.msg === 'string' ? run.result.msg : JSON.stringify(run.result.msg);
    return { ...done, ok: false, msg, ...(CLEAN_FAILURE.test(msg) ? {} : { violation: `a failure that does not say what failed: ${msg}` }) };
  }
  const violation = step.verify(run.result, truth, ctx);
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
