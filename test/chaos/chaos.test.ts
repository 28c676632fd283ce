// The module's promises under faults (issue 9). The built module talks to the client agent of a real
// 3-server cluster through a proxy that resets, stalls and cuts off requests and answers, while a loop
// stops and restarts a random server. After every call the truth is read from a server (?consistent)
// and checked; at the end, with faults off, one more present per name must leave exactly one session
// per name and nothing else.
//
// CHAOS_SEED replays a run's draws (faults, restarts, strays; the interleaving of real processes still
// varies). CHAOS_CALLS (default 120), CHAOS_NAMES (default 6) and CHAOS_FAULT_RATE (default 0.2, per
// request; three times that on creates) size it. CHAOS_SEMAPHORE_STEPS (default 50) sizes the semaphore
// part, run after the first one, serially (about 1.2 s a step here): contenders with short TTL sessions,
// some dying without a release, on one semaphore of 2.
import { expect } from 'chai';
import { startCluster, type Cluster, type ClusterAgent } from '../support/cluster';
import { consulOrSkip } from '../support/consul';
import { FAULTS, startFaultProxy, type Decide, type FaultProxy } from '../support/fault-proxy';
import { SeededRandom, seedFrom } from '../support/seeded-random';
import { ServerChurn } from './server-churn';
import type { SharedLock } from './lock-steps';
import { allSessions, createKey } from './truth';
import { CONTENDERS, LIMIT, runSemaphoreScript } from './semaphore-steps';
import { STEPS, callAndCheck, runScript, type CallRecord, type Step, type StepContext } from './workload';

/** What the issue asks of the module: the target, asserted. */
const TIMEOUT_S = 2;
const RETRY_TIMEOUT_S = 20;
const MIN_OK_RATIO = 0.95;
/**
 * The semaphore's steps are mostly `wait: 0` acquires, whose requests may retry only within `timeout`
 * (a wait never reaches past wait + timeout): a stall or an election fails them cleanly more often.
 */
const MIN_SEMAPHORE_OK_RATIO = 0.9;

function numberFrom(variable: string, fallback: number): number {
  const value = Number(process.env[variable] ?? fallback);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${variable} must be a positive number`);
  return value;
}

/** Faults per request, from their own random stream; off once `on()` says so. */
function faultsOf(random: SeededRandom, rate: number, on: () => boolean): Decide {
  return ({ method, path }) => {
    if (!on()) return 'pass';
    const create = method === 'PUT' && path.startsWith('/v1/session/create');
    if (!random.chance(create ? Math.min(1, rate * 3) : rate)) return 'pass';
    // A create whose answer is lost after Consul applied it is what duplicates sessions: weighted up.
    return create && random.chance(0.5) ? 'reset-after-answer' : random.pick(FAULTS);
  };
}

function log(line: string): void {
  // Figures for the report, never assertions on time.
  console.log(`      [chaos] ${line}`);
}

describe('chaos: faults between the module and a 3-server cluster whose servers restart', function () {
  const seed = seedFrom('CHAOS_SEED');
  const names = Array.from({ length: Math.round(numberFrom('CHAOS_NAMES', 6)) }, (_, i) => `chaos-${i}`);
  const perName = Math.ceil(numberFrom('CHAOS_CALLS', 120) / names.length);
  const calls = perName * names.length;
  const rate = numberFrom('CHAOS_FAULT_RATE', 0.2);
  this.timeout(20 * 60_000);
  let cluster: Cluster;
  let client: ClusterAgent;
  let proxy: FaultProxy;
  let faultsOn = true;

  before(async function () {
    consulOrSkip(this);
    cluster = await startCluster({ client: true });
    client = cluster.client as ClusterAgent;
    proxy = await startFaultProxy(client.moduleArgs, faultsOf(new SeededRandom(seed).stream('proxy'), rate, () => faultsOn), (TIMEOUT_S + 1) * 1000);
  });

  after(async () => {
    await proxy?.close();
    await cluster?.stop();
  });

  it(`${calls} calls on ${names.length} names: every promise holds, and at least ${MIN_OK_RATIO * 100}% of calls succeed`, async () => {
    const random = new SeededRandom(seed);
    log(`seed ${seed} (replay with CHAOS_SEED=${seed}); ${calls} calls on ${names.length} names; fault rate ${rate} per request`);
    const started = Date.now();
    const connection = { ...proxy.moduleArgs, timeout: TIMEOUT_S, retry_timeout: RETRY_TIMEOUT_S };
    const lock: SharedLock = { key: 'chaos/shared-lock' };
    await createKey(cluster, lock.key);
    const contexts = new Map(names.map((name): [string, StepContext] => [name, { name, node: client.name, cluster, random: random.stream(`workload ${name}`), own: {}, lock }]));
    const context = (name: string) => contexts.get(name) as StepContext;
    const churn = new ServerChurn(cluster, random.stream('servers'), { pauseMs: [1_000, 5_000], downMs: [1_000, 4_000] });
    const records: CallRecord[] = [];

    churn.start();
    await Promise.all(names.map((name) => runScript(context(name), perName, connection, records)));
    await churn.stop();
    const workloadMs = Date.now() - started;

    // Faults off, every server back: one more present per name must converge.
    faultsOn = false;
    const finalStep = STEPS[0] as Step;
    const finals = await Promise.all(names.map((name) => callAndCheck(context(name), finalStep, connection)));
    const everything = await allSessions(cluster);
    const endViolations = finals.filter((r) => !r.ok || r.violation).map((r) => `final present of ${r.name}: ${r.violation ?? r.msg}`);
    const perNameCount = new Map(names.map((name) => [name, everything.filter((s) => s.Name === name).length]));
    for (const [name, count] of perNameCount) if (count !== 1) endViolations.push(`${name} ends with ${count} sessions`);
    const strangers = everything.filter((s) => !perNameCount.has(s.Name));
    if (strangers.length) endViolations.push(`sessions that belong to no name of the workload: ${strangers.map((s) => s.ID).join(', ')}`);

    const ok = records.filter((r) => r.ok).length;
    const failedCleanly = records.filter((r) => !r.ok && !r.violation).length;
    const violations = [...records.filter((r) => r.violation).map((r) => `${r.name} ${r.step}: ${r.violation}`), ...endViolations];
    const faults = FAULTS.map((f) => `${f} ${proxy.faults[f]}${proxy.createFaults[f] ? ` (${proxy.createFaults[f]} on creates)` : ''}`).join(', ');
    log(`requests through the proxy ${proxy.requests}; faults: ${faults}`);
    const elections = churn.leaderlessMs.map((ms) => `${(ms / 1000).toFixed(1)} s`).join(', ');
    log(`servers stopped ${churn.stops} times (${churn.leaderStops} of them the leader${elections ? `; leaderless for ${elections}` : ''})`);
    log(`runs ${records.length}: ok ${ok} (${((100 * ok) / records.length).toFixed(1)}%), failed cleanly ${failedCleanly}, violations ${violations.length}`);
    const bySteps = [...new Set(records.map((r) => r.step))].map((step) => {
      const of = records.filter((r) => r.step === step);
      return `${step} ${of.filter((r) => r.ok).length}/${of.length}`;
    });
    log(`ok per step: ${bySteps.join('; ')}`);
    log(`workload ${(workloadMs / 1000).toFixed(1)} s, with the final round ${((Date.now() - started) / 1000).toFixed(1)} s; seed ${seed}`);
    // Each failure with when it ran, next to the restarts, to tell what it ran into.
    const at = (ms: number) => `${((ms - started) / 1000).toFixed(1)} s`;
    for (const r of records.filter((x) => !x.ok)) log(`failed ${r.name} ${r.step}, ${at(r.startedAt)}–${at(r.endedAt)}: ${r.msg ?? ''}`);
    if (records.some((r) => !r.ok || r.violation)) for (const e of churn.events) log(`${at(e.at)} ${e.what}`);
    for (const v of violations) log(`VIOLATION ${v}`);

    expect(proxy.protocolErrors, 'the proxy framed every request').to.deep.equal([]);
    expect(FAULTS.reduce((n, f) => n + proxy.faults[f], 0), 'faults were injected').to.be.greaterThan(0);
    expect(churn.stops, 'servers were stopped').to.be.greaterThan(0);
    expect(violations, `seed ${seed}`).to.deep.equal([]);
    expect(ok / records.length, `share of calls that succeeded, seed ${seed}`).to.be.at.least(MIN_OK_RATIO);
  });
  it(`semaphore steps: never more live holders than the limit, no dead holder left after an acquire`, async () => {
    const steps = Math.round(numberFrom('CHAOS_SEMAPHORE_STEPS', 50));
    const random = new SeededRandom(seed);
    log(`semaphore: seed ${seed}; ${steps} steps of ${CONTENDERS} contenders on a semaphore of ${LIMIT}; fault rate ${rate} per request`);
    faultsOn = true;
    const requestsBefore = proxy.requests;
    const started = Date.now();
    const connection = { ...proxy.moduleArgs, timeout: TIMEOUT_S, retry_timeout: RETRY_TIMEOUT_S };
    const churn = new ServerChurn(cluster, random.stream('semaphore servers'), { pauseMs: [1_000, 5_000], downMs: [1_000, 4_000] });
    churn.start();
    const run = await runSemaphoreScript({ cluster, node: client.name, prefix: 'chaos/semaphore', random: random.stream('semaphore'), steps, connection }).finally(() => churn.stop());
    faultsOn = false;

    const ok = run.records.filter((r) => r.ok).length;
    const violations = run.records.filter((r) => r.violation).map((r) => `${r.step}: ${r.violation}`);
    const elections = churn.leaderlessMs.map((ms) => `${(ms / 1000).toFixed(1)} s`).join(', ');
    log(`semaphore: requests through the proxy ${proxy.requests - requestsBefore}; servers stopped ${churn.stops} times (${churn.leaderStops} of them the leader${elections ? `; leaderless for ${elections}` : ''})`);
    log(`semaphore: deaths without release ${run.deaths.destroyed} destroyed, ${run.deaths.abandoned} left to expire; dead holders pruned ${run.pruned}; steps ending full ${run.fullSeen}`);
    log(`semaphore: steps ${run.records.length}: ok ${ok}, failed cleanly ${run.records.filter((r) => !r.ok && !r.violation).length}, violations ${violations.length}; ${((Date.now() - started) / 1000).toFixed(1)} s; seed ${seed}`);
    const at = (ms: number) => `${((ms - started) / 1000).toFixed(1)} s`;
    for (const r of run.records.filter((x) => !x.ok)) log(`failed ${r.step}, ${at(r.startedAt)}–${at(r.endedAt)}: ${r.msg ?? ''}`);
    if (violations.length) for (const e of churn.events) log(`${at(e.at)} ${e.what}`);
    for (const v of violations) log(`VIOLATION ${v}`);

    expect(run.deaths.destroyed + run.deaths.abandoned, 'contenders died without releasing').to.be.greaterThan(0);
    expect(churn.stops, 'servers were stopped').to.be.greaterThan(0);
    expect(violations, `seed ${seed}`).to.deep.equal([]);
    expect(ok / run.records.length, `share of steps that succeeded, seed ${seed}`).to.be.at.least(MIN_SEMAPHORE_OK_RATIO);
  });
});
