/**
 * The keeper (consul_session state=renewed with keep_alive, async, poll: 0) in serialized_deploy.yml, as
 * users run it. Two runs go on at once, each on its own key, because both mostly wait on Consul's clock:
 * - held: a 10 s TTL lock held through 60 s of work while this process tries to take it every 3 s;
 * - killed: a run whose ansible-playbook (its whole process group) gets SIGKILL mid-work; a waiting run
 *   must get the lock within the documented bound, keep_alive + 2 x TTL + lock-delay after the keeper
 *   started, and the orphaned keeper must end by itself at keep_alive.
 * Keeper processes are found by the run's own remote_tmp in their command line; their results are read
 * from the run's own async_dir. Check mode (--check) of the same play and of a guard-free lock play
 * writes nothing, and the check before the work catches a lost lock (plays/hold_check.yml). Runs under
 * every ansible-core of the matrix (it is in test/playbook).
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { consulHttp, consulOrSkip, startDevAgent } from '../support/consul.js';
import type { Agent } from '../support/consul.js';
import { ansibleEnv, ansibleOrSkip, onlyResult, PLAYBOOKS_DIR, runPlaybook, taskRows } from '../support/ansible.js';
import { ansibleTool, moduleNode, moduleNodeChosen } from '../support/toolchain.js';
import { sections, waitFor } from '../support/critical-sections.js';

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));
const TTL_S = 10;
const LOCK_DELAY_S = 15; // serialized_deploy.yml's sessions keep Consul's default lock-delay
const KILLED_KEEP_ALIVE_S = 20;

/** PIDs of processes whose command line mentions `marker` (a run's own remote_tmp): its keepers. */
function processesMentioning(marker: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(marker)) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/**
 * PIDs of a run's keepers: consul_session modules started by async_wrapper (not the run's other
 * consul_session tasks, nor async_wrapper's watcher, which looks only every 5 s whether its module ended).
 */
function keeperPids(remoteTmp: string): number[] {
  return processesMentioning(`${remoteTmp}/`).filter((pid) => {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      // /proc/PID/stat: "pid (comm) state ppid ..."; comm may hold spaces, so read after its closing parenthesis.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const parent = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1];
      return cmdline.includes('consul_session') && !cmdline.includes('async_wrapper') && readFileSync(`/proc/${parent}/cmdline`, 'utf8').includes('async_wrapper');
    } catch {
      return false;
    }
  });
}

/** The keeper results a run's async_dir holds (async_wrapper writes one file per job). */
function keeperResults(asyncDir: string): Array<Record<string, unknown>> {
  if (!existsSync(asyncDir)) return [];
  return readdirSync(asyncDir)
    .filter((f) => /^j\d+\.\d+$/.test(f))
    .map((f) => JSON.parse(readFileSync(join(asyncDir, f), 'utf8')) as Record<string, unknown>);
}

interface RunDirs {
  remoteTmp: string;
  asyncDir: string;
}

describe('the keeper in serialized_deploy.yml (real ansible-playbook, dev agent)', function () {
  this.timeout(300_000);
  let agent: Agent | undefined;
  let dir: string;
  let killed: Promise<{ figures?: KilledFigures; error?: unknown }> | undefined;

  const dirsFor = (run: string): RunDirs => ({ remoteTmp: join(dir, `${run}-tmp`), asyncDir: join(dir, `${run}-async`) });
  const deployArgs = (run: string, key: string, extra: string[]) => [
    '-e', `deploy_run_id=${run}`, '-e', `deploy_lock_key=${key}`, '-e', `deploy_log=${join(dir, `${run}.log`)}`, '-e', `deploy_ttl=${TTL_S}s`, ...extra,
  ];
  const runEnv = (dirs: RunDirs) => ({ ANSIBLE_REMOTE_TEMP: dirs.remoteTmp, ANSIBLE_ASYNC_DIR: dirs.asyncDir });

  before(async function () {
    ansibleOrSkip(this);
    consulOrSkip(this);
    dir = mkdtempSync(join(tmpdir(), 'consul-keeper-test-'));
    agent = await startDevAgent({ nodeName: 'keeper-node' });
    killed = killedRun(agent).then((figures) => ({ figures }), (error: unknown) => ({ error }));
  });

  after(async function () {
    await killed;
    await agent?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function kv(key: string): Promise<{ Session?: string } | undefined> {
    const res = await consulHttp(agent!, 'GET', `/v1/kv/${key}`);
    return res.status === 404 ? undefined : (res.body as Array<{ Session?: string }>)[0];
  }

  async function sessionNames(prefix: string): Promise<string[]> {
    const all = (await consulHttp(agent!, 'GET', '/v1/session/list')).body as Array<{ Name: string }>;
    return all.map((s) => s.Name).filter((n) => n.startsWith(prefix));
  }

  interface KilledFigures {
    keeperSeenAt: number;
    killedAt: number;
    lockTakenAt: number;
    keeperGoneAt: number;
    keeper: Record<string, unknown>;
    waiterCode: number | null;
    waiterOutput: string;
  }

  /** The killed run and its waiter, from start to the waiter's end (started in before(), asserted below). */
  async function killedRun(consul: Agent): Promise<KilledFigures> {
    const key = 'test/keeper-killed';
    const dirs = dirsFor('doomed');
    const node = moduleNodeChosen() ? ['-e', `ansible_node_interpreter=${moduleNode()}`] : [];
    const args = [...node, ...deployArgs('doomed', key, ['-e', 'deploy_seconds=600', '-e', `deploy_keep_alive=${KILLED_KEEP_ALIVE_S}`]), 'serialized_deploy.yml'];
    // Its own process group, so that SIGKILL hits ansible-playbook, its workers and the work, as when a
    // controller dies; the keeper is async_wrapper's daemon (its own session) and lives on.
    const child = spawn(ansibleTool('ansible-playbook'), args, {
      cwd: PLAYBOOKS_DIR, detached: true, stdio: 'ignore', env: ansibleEnv({ CONSUL_HTTP_ADDR: consul.httpAddr, ...runEnv(dirs) }),
    });
    const exited = new Promise((done) => child.on('exit', done));
    let keeperSeenAt = 0;
    const log = join(dir, 'doomed.log');
    await waitFor('the doomed run to start its work', () => {
      if (!keeperSeenAt && keeperPids(dirs.remoteTmp).length > 0) keeperSeenAt = Date.now();
      return Promise.resolve(existsSync(log) && readFileSync(log, 'utf8').includes('start doomed'));
    }, 120_000);
    expect(keeperSeenAt, 'the keeper ran before the work').to.be.greaterThan(0);
    const holder = (await kv(key))?.Session;
    expect(holder, 'the doomed run holds the lock').to.be.a('string');
    await sleep(2_000);
    const killedAt = Date.now();
    process.kill(-child.pid!, 'SIGKILL');
    await exited;

    const waiter = runPlaybook(['serialized_deploy.yml'], {
      consulAddr: consul.httpAddr, json: false, timeoutMs: 150_000,
      args: deployArgs('waiter', key, ['-e', 'deploy_seconds=0', '-e', 'deploy_wait=2m', '-e', 'deploy_keep_alive=60']),
      env: runEnv(dirsFor('waiter')),
    });
    let lockTakenAt = 0;
    let keeperGoneAt = 0;
    const deadline = Date.now() + 120_000;
    while ((!lockTakenAt || !keeperGoneAt) && Date.now() < deadline) {
      if (!keeperGoneAt && keeperPids(dirs.remoteTmp).length === 0) keeperGoneAt = Date.now();
      if (!lockTakenAt) {
        const now = (await kv(key))?.Session;
        if (now !== undefined && now !== holder) lockTakenAt = Date.now();
      }
      await sleep(250);
    }
    const run = await waiter;
    const [keeper] = keeperResults(dirs.asyncDir);
    return { keeperSeenAt, killedAt, lockTakenAt, keeperGoneAt, keeper: keeper ?? {}, waiterCode: run.code, waiterOutput: `${run.stdout.slice(-3000)}\n${run.stderr}` };
  }

  it('holds a 10 s TTL lock through 60 s of work while another process keeps trying, and leaves no keeper behind', async function () {
    const key = 'test/keeper-held';
    const dirs = dirsFor('held');
    const run = runPlaybook(['serialized_deploy.yml'], {
      consulAddr: agent!.httpAddr, timeoutMs: 200_000,
      args: deployArgs('held', key, ['-e', 'deploy_seconds=60', '-e', 'deploy_keep_alive=300']),
      env: runEnv(dirs),
    });
    const log = join(dir, 'held.log');
    const created = await consulHttp(agent!, 'PUT', '/v1/session/create', { Name: 'contender' });
    const contender = (created.body as { ID: string }).ID;
    await waitFor('the held run to start its work', () => Promise.resolve(existsSync(log) && readFileSync(log, 'utf8').includes('start held')), 120_000);
    const holder = (await kv(key))?.Session;
    // Every 3 s until the work is over: the contender never gets the lock, and the run's session still holds it.
    const attempts: boolean[] = [];
    while (!readFileSync(log, 'utf8').includes('end held')) {
      attempts.push((await consulHttp(agent!, 'PUT', `/v1/kv/${key}?acquire=${contender}`, 'contender')).body === true);
      expect((await kv(key))?.Session, 'the held run holds the lock').to.equal(holder);
      await sleep(3_000);
    }
    const done = await run;
    expect(done.code, done.stdout.slice(-4000)).to.equal(0);
    const report = done.report!;
    const [work] = sections(readFileSync(log, 'utf8'));
    expect(work!.end - work!.start, 'the work took 60 s, six TTLs').to.be.at.least(60);
    expect(attempts.length, 'the contender tried all along').to.be.at.least(15);
    expect(attempts.filter(Boolean), 'acquires the contender got').to.deep.equal([]);
    // Released by the run's session, which held it through the whole work.
    expect(onlyResult(report, 'Release the deploy lock')).to.include({ changed: true, holder: null });
    const keeper = onlyResult(report, 'Show how the keeper ended');
    expect(Boolean(keeper.finished), 'finished (1 under ansible-core 2.14, true under 2.19)').to.equal(true);
    expect(keeper).to.include({ ended: 'session_gone', session_id: holder, ttl: TTL_S, renew_every: TTL_S / 2 });
    expect(keeper.renewals, 'a renewal every 5 s of the 60 s work').to.be.at.least(12);
    expect(keeper).not.to.have.property('warnings');
    console.log(`      [keeper] held ${TTL_S} s TTL lock through ${(work!.end - work!.start).toFixed(1)} s of work: ${String(keeper.renewals)} renewals in ${String(keeper.kept_for)} s, ${attempts.length} refused acquires by the contender`);
    await waitFor('no process of the held run left', () => Promise.resolve(processesMentioning(`${dirs.remoteTmp}/`).length === 0), 10_000);
    expect(await sessionNames('deploy-held')).to.deep.equal([]);
    await consulHttp(agent!, 'PUT', `/v1/session/destroy/${contender}`);
  });

  it('ansible-playbook SIGKILLed mid-work: a waiting run gets the lock within keep_alive + 2 x TTL + lock-delay, and the keeper ends at keep_alive', async function () {
    const { figures, error } = (await killed) ?? {};
    if (!figures) throw error;
    const { keeperSeenAt, killedAt, lockTakenAt, keeperGoneAt, keeper } = figures;
    expect(figures.waiterCode, figures.waiterOutput).to.equal(0);
    expect(lockTakenAt, 'the waiting run got the lock').to.be.greaterThan(0);
    expect(keeperGoneAt, 'the orphaned keeper ended').to.be.greaterThan(0);
    const boundS = KILLED_KEEP_ALIVE_S + 2 * TTL_S + LOCK_DELAY_S;
    const s = (ms: number) => (ms / 1000).toFixed(1);
    console.log(
      `      [keeper] killed ${s(killedAt - keeperSeenAt)} s after the keeper started: lock taken by the waiting run ${s(lockTakenAt - killedAt)} s after the kill, ` +
        `${s(lockTakenAt - keeperSeenAt)} s after the keeper started (bound ${boundS} s = keep_alive ${KILLED_KEEP_ALIVE_S} + 2 x TTL ${TTL_S} + lock-delay ${LOCK_DELAY_S}); ` +
        `keeper ended ${s(keeperGoneAt - keeperSeenAt)} s after it started (keep_alive ${KILLED_KEEP_ALIVE_S} s), ${String(keeper.renewals)} renewals`,
    );
    // keeperSeenAt is when the keeper was first seen (polled every 250 ms), so both spans are a little short at most.
    expect((lockTakenAt - keeperSeenAt) / 1000, 'within the documented bound').to.be.at.most(boundS + 1);
    expect((keeperGoneAt - keeperSeenAt) / 1000, 'the keeper outlives its keep_alive by no more than a moment').to.be.at.most(KILLED_KEEP_ALIVE_S + 2);
    expect(keeper).to.include({ ended: 'keep_alive_over', keep_alive: KILLED_KEEP_ALIVE_S });
    expect(keeper.renewals).to.be.within(4, 5);
    expect(String((keeper.warnings as string[] | undefined) ?? [])).to.contain(`keep_alive (${KILLED_KEEP_ALIVE_S} s) ran out while session`);
  });

  it("the hold check before the work passes while the run holds the lock, and fails once it was lost: taken by another session, or taken again", async function () {
    const run = await runPlaybook([join(resolve(__dirname, 'plays'), 'hold_check.yml')], { consulAddr: agent!.httpAddr });
    expect(run.code, run.stdout.slice(-4000)).to.equal(0);
    const outcomes = taskRows(run.report!).map((row) => row.result.hold_outcomes).filter((o) => o !== undefined);
    expect(outcomes.at(-1)).to.deep.equal({ held: 'passed', taken: 'failed', retaken: 'failed' });
  });

  for (const play of ['serialized_deploy.yml', join(resolve(__dirname, 'plays'), 'lock_state.yml')]) {
    it(`ansible-playbook --check ${play.replace(/.*\//, '')}, without when: guards: runs through and writes nothing`, async function () {
      const run = await runPlaybook([play], { consulAddr: agent!.httpAddr, args: ['--check', '-e', 'deploy_run_id=checked', '-e', 'deploy_lock_key=test/checked'] });
      expect(run.code, run.stdout.slice(-4000)).to.equal(0);
      const report = run.report!;
      const lockTask = play.endsWith('lock_state.yml') ? 'Bring the lock to its state' : 'Take the deploy lock, waiting for other runs at most 10m';
      expect(onlyResult(report, lockTask)).to.include({ changed: true, acquired: true, holder: null, pending_session: true });
      expect(report.stats.localhost).to.include({ failures: 0 });
      expect(await kv(play.endsWith('lock_state.yml') ? 'idem/lock' : 'test/checked')).to.equal(undefined);
      expect(await sessionNames(play.endsWith('lock_state.yml') ? 'idem-lock' : 'deploy-checked'), 'no session was created').to.deep.equal([]);
    });
  }
});
