/**
 * consul_semaphore in the chaos workload: CONTENDERS contenders share one semaphore of LIMIT slots, each
 * with its own short TTL session (what the CLI uses), run one at a time through the fault proxy. A step
 * is one module run (acquire or release) of a random contender; before it, a contender sometimes dies
 * without releasing: its session destroyed (a crash the agent notices) or left to expire (a host that
 * vanished). After every step the truth is read from a server and semaphore-invariant.ts checks it.
 */
import type { Cluster } from '../support/cluster';
import { runModule, type ModuleRun } from '../support/module';
import type { SeededRandom } from '../support/seeded-random';
import { semaphoreViolations, holdersOf, type SemaphoreJson, type SemaphoreState } from './semaphore-invariant';
import { allSessions, fromServers } from './truth';
import type { CallRecord } from './workload';

export const LIMIT = 2;
export const CONTENDERS = 4;
/** Short, as the CLI's 15 s: dead sessions go while the script runs (Consul waits up to twice the TTL). */
const TTL = '10s';
/** The chance, before each step, that some contender dies without releasing. */
const DEATH_RATE = 0.15;

/** A failure that says what failed (transport and Consul errors, a lost session, a refusal naming the key). */
const CLEAN_FAILURE = /^(?:Could not [^:]+: \S|Session \S+ does not exist|Consul refused session \S+ its contender key)/;

interface Contender {
  label: string;
  /** Its current session; undefined once it died (a new one is made when it is picked next). */
  session?: string;
}

export interface SemaphoreRun {
  records: CallRecord[];
  /** How contenders died: destroyed, abandoned to expire. */
  deaths: { destroyed: number; abandoned: number };
  /** Steps whose truth showed the semaphore full (LIMIT live holders), and whose acquire pruned a dead holder. */
  fullSeen: number;
  pruned: number;
}

const kvPath = (key: string) => `/v1/kv/${key.split('/').map(encodeURIComponent).join('/')}`;

async function readState(cluster: Cluster, prefix: string): Promise<SemaphoreState> {
  const entries = (await fromServers(cluster, 'GET', `${kvPath(prefix)}/?recurse&consistent`, undefined, 90_000, true)) as Array<{ Key: string; Value: string | null }> | undefined;
  const lock = entries?.find((e) => e.Key === `${prefix}/.lock`);
  const text = lock?.Value ? Buffer.from(lock.Value, 'base64').toString('utf8') : '';
  // Read after the prefix: a session that dies in between counts as dead, never as a live holder too many.
  const live = new Set((await allSessions(cluster)).map((s) => s.ID));
  return { record: text ? (JSON.parse(text) as SemaphoreJson) : undefined, live };
}

async function newSession(cluster: Cluster, node: string, random: SeededRandom, label: string): Promise<string> {
  const behavior = random.pick(['delete', 'release']);
  const body = { Name: `chaos-semaphore ${label}`, Node: node, TTL, Behavior: behavior, LockDelay: '0s' };
  return ((await fromServers(cluster, 'PUT', '/v1/session/create', body)) as { ID: string }).ID;
}

/** Keeps the living contenders' sessions alive across a step (a run can spend its 20 s retry budget). */
async function renewAll(cluster: Cluster, contenders: Contender[]): Promise<void> {
  for (const c of contenders) {
    if (c.session === undefined) continue;
    const renewed = await fromServers(cluster, 'PUT', `/v1/session/renew/${c.session}`, undefined, 90_000, true);
    if (renewed === undefined) c.session = undefined; // expired during an election after all: it died
  }
}

/** `steps` module runs on the semaphore at `prefix`, one at a time; every result and truth checked. */
export async function runSemaphoreScript(opts: { cluster: Cluster; node: string; prefix: string; random: SeededRandom; steps: number; connection: Record<string, unknown> }): Promise<SemaphoreRun> {
  const { cluster, node, prefix, random, connection } = opts;
  const contenders: Contender[] = Array.from({ length: CONTENDERS }, (_, i) => ({ label: `contender-${i}` }));
  const released = new Map<string, number>();
  const run: SemaphoreRun = { records: [], deaths: { destroyed: 0, abandoned: 0 }, fullSeen: 0, pruned: 0 };
  for (let step = 1; step <= opts.steps; step++) {
    // A death without a release, before the step: the next acquire must not count that holder.
    const alive = contenders.filter((c) => c.session !== undefined);
    if (alive.length && random.chance(DEATH_RATE)) {
      const victim = random.pick(alive);
      if (random.chance(0.5)) {
        await fromServers(cluster, 'PUT', `/v1/session/destroy/${victim.session}`);
        run.deaths.destroyed++;
      } else run.deaths.abandoned++; // no more renewals: Consul lets it expire within 2 × TTL
      victim.session = undefined;
    }
    await renewAll(cluster, contenders);
    const contender = random.pick(contenders);
    contender.session ??= await newSession(cluster, node, random, contender.label);
    const session = contender.session;
    const before = await readState(cluster, prefix);
    const holding = holdersOf(before).includes(session) && before.live.has(session);
    const release = holding && random.chance(0.75);
    const args = release
      ? { state: 'released', prefix, session }
      : { state: 'acquired', prefix, session, limit: LIMIT, value: contender.label, fail_if_not_acquired: false, wait: random.chance(0.1) ? '2s' : '0s' };
    if (!release) released.delete(session);
    const label = `${contender.label} ${release ? 'release' : 'acquire'}`;
    const startedAt = Date.now();
    let module: ModuleRun;
    try {
      module = await runModule({ ...connection, ...args }, { module: 'consul_semaphore' });
    } catch (error) {
      run.records.push({ name: 'semaphore', step: label, startedAt, endedAt: Date.now(), ok: false, violation: `output contract broken: ${error instanceof Error ? error.message : String(error)}` });
      continue;
    }
    const endedAt = Date.now();
    const state = await readState(cluster, prefix);
    const result = module.result;
    const record: CallRecord = { name: 'semaphore', step: label, startedAt, endedAt, ok: !result.failed };
    const problems: string[] = [];
    if (result.failed) {
      record.msg = String(result.msg);
      if (!CLEAN_FAILURE.test(record.msg)) problems.push(`a failure that does not say what failed: ${record.msg}`);
    } else if (release) {
      released.set(session, step);
      if (result.acquired !== false) problems.push(`release of ${session} reported acquired ${String(result.acquired)}`);
    } else {
      if (Array.isArray(result.pruned)) run.pruned += result.pruned.length;
      // (A session that died during the run's retries may have lost the slot again: not a wrong report.)
      if (result.acquired === true && state.live.has(session) && !holdersOf(state).includes(session)) problems.push(`acquire of ${session} reported a slot, Consul's holders are ${holdersOf(state).join(', ') || 'none'}`);
    }
    // An acquire that took a slot wrote .lock (pruning the dead); one that found it full counted only the living.
    const decided = !result.failed && !release && ((result.changed === true && !holding) || result.acquired === false);
    problems.push(...semaphoreViolations(state, LIMIT, { acquireThatDecided: decided, liveBefore: before.live, released }));
    if (holdersOf(state).filter((h) => state.live.has(h)).length === LIMIT) run.fullSeen++;
    if (problems.length) {
      // What the run answered, to tell a lost answer from a wrong one (a release that did not stick).
      record.violation = `${problems.join('; ')} (step ${step}; module said ${JSON.stringify({ changed: result.changed, acquired: result.acquired, holders: result.holders, pruned: result.pruned, warnings: result.warnings, msg: result.msg })})`;
    }
    run.records.push(record);
  }
  return run;
}
