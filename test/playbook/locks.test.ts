/**
 * Locks where they matter: several ansible-playbook runs at once, and several hosts in one play. Each
 * critical section appends "<epoch seconds> start|end <label>" to a log; the lock is proven by the log
 * (every section ends before the next one starts), not by timings.
 */
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { consulHttp, consulOrSkip, startDevAgent } from '../support/consul.js';
import type { Agent } from '../support/consul.js';
import { ansibleOrSkip, onlyResult, playbookOk, runPlaybook } from '../support/ansible.js';
import type { HostResult, JsonReport } from '../support/ansible.js';
import { expectNoOverlap, sections, waitFor } from '../support/critical-sections.js';

const PLAYS = resolve(__dirname, 'plays');
const HOSTS = ['locker01', 'locker02', 'locker03', 'locker04'];

/**
 * The per-host results of task `task` in the play(s) named `play`. serial: 1 starts the play once per
 * batch, and the report files every batch's results under the first one, so plays are merged by name.
 */
function resultsIn(report: JsonReport, play: string, task: string): Record<string, HostResult> {
  const tasks = report.plays.filter((p) => p.play.name === play).flatMap((p) => p.tasks);
  return Object.assign({}, ...tasks.filter((t) => t.task.name === task).map((t) => t.hosts)) as Record<string, HostResult>;
}

describe('locks in playbooks (consul_lock against a dev agent)', function () {
  this.timeout(240_000);
  let agent: Agent | undefined;
  let dir: string;
  // The one-play patterns mostly wait (serial batches, the traps' waits), so that play runs on its own
  // keys and sessions while the other tests run, and its test only reads its report.
  let onePlay: Promise<{ report?: JsonReport; error?: unknown }> | undefined;
  const onePlayLog = () => join(dir, 'one-play.log');

  before(async function () {
    ansibleOrSkip(this);
    consulOrSkip(this);
    dir = mkdtempSync(join(tmpdir(), 'consul-locks-test-'));
    agent = await startDevAgent({ nodeName: 'locks-node' });
    onePlay = playbookOk([join(PLAYS, 'one_play_locks.yml')], { consulAddr: agent.httpAddr, args: ['-e', `lock_log=${onePlayLog()}`] }).then(
      (report) => ({ report }),
      (error: unknown) => ({ error }),
    );
  });

  after(async function () {
    await onePlay; // never leave the play running past the suite
    await agent?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  function consul(): Agent {
    if (!agent) throw new Error('no agent');
    return agent;
  }

  /** The names of the sessions that start with `prefix` (other tests' sessions live beside them). */
  async function sessionNames(prefix: string): Promise<string[]> {
    const all = (await consulHttp(consul(), 'GET', '/v1/session/list')).body as Array<{ Name: string }>;
    return all.map((s) => s.Name).filter((name) => name.startsWith(prefix)).sort();
  }

  async function kvEntry(key: string): Promise<{ Session?: string; LockIndex: number; Value: string | null }> {
    const res = await consulHttp(consul(), 'GET', `/v1/kv/${key}`);
    expect(res.status, `GET /v1/kv/${key}`).to.equal(200);
    return (res.body as Array<{ Session?: string; LockIndex: number; Value: string | null }>)[0]!;
  }

  it('four serialized_deploy.yml runs started at once all succeed, one at a time, and leave nothing behind', async function () {
    const key = 'test/serialized-deploy';
    const log = join(dir, 'deploy.log');
    // The test holds the lock while the runs start, so that all four queue behind it whatever the
    // machine's speed; it lets go once every run has its session (the step right before the acquire).
    const created = await consulHttp(consul(), 'PUT', '/v1/session/create', { Name: 'test-blocker' });
    expect(created.status, created.text).to.equal(200);
    const blocker = (created.body as { ID: string }).ID;
    expect((await consulHttp(consul(), 'PUT', `/v1/kv/${key}?acquire=${blocker}`, 'the test')).body).to.equal(true);

    const runs = [1, 2, 3, 4].map((n) =>
      runPlaybook(['serialized_deploy.yml'], {
        consulAddr: consul().httpAddr,
        args: ['-e', `deploy_run_id=run-${n}`, '-e', `deploy_lock_key=${key}`, '-e', `deploy_log=${log}`, '-e', 'deploy_seconds=0.5', '-e', 'deploy_wait=2m'],
        timeoutMs: 200_000,
      }),
    );
    await waitFor('the four runs to create their sessions', async () => (await sessionNames('deploy-run-')).length === 4);
    expect((await consulHttp(consul(), 'PUT', `/v1/kv/${key}?release=${blocker}`, 'the test')).body).to.equal(true);
    await consulHttp(consul(), 'PUT', `/v1/session/destroy/${blocker}`);

    const done = await Promise.all(runs);
    for (const [i, run] of done.entries()) {
      expect(run.code, `run-${i + 1}:\n${run.stdout.slice(-4000)}\n${run.stderr}`).to.equal(0);
      const report = run.report!;
      const id = String(onlyResult(report, "Create this run's session").session_id);
      expect(onlyResult(report, 'Take the deploy lock, waiting for other runs at most 2m')).to.include({ changed: true, acquired: true, holder: id, value: `run run-${i + 1}` });
      expect(onlyResult(report, 'Make sure this run still holds the deploy lock')).to.include({ acquired: true, holder: id });
      // The keeper renewed the session from the acquire on, and ended once the play destroyed it.
      expect(onlyResult(report, 'Show how the keeper ended')).to.include({ ended: 'session_gone', session_id: id, ttl: 30 });
      // The holder after the release may already be the next run, which was waiting for exactly this.
      const released = onlyResult(report, 'Release the deploy lock');
      expect(released).to.include({ changed: true, acquired: false });
      expect(released.holder).to.not.equal(id);
      expect(onlyResult(report, "Destroy this run's session")).to.include({ changed: true }).and.have.property('removed').that.deep.equals([id]);
    }

    const list = sections(readFileSync(log, 'utf8'));
    expect(list.map((s) => s.label).sort()).to.deep.equal(['run-1', 'run-2', 'run-3', 'run-4']);
    expectNoOverlap(list);
    // Acquired five times (the test, then each run once); nobody holds it now, and no session is left.
    expect(await kvEntry(key)).to.include({ LockIndex: 5 }).and.not.have.property('Session');
    expect(await sessionNames('deploy-run-')).to.deep.equal([]);
  });

  it('a serialized_deploy.yml run whose deploy fails still releases the lock and destroys its session', async function () {
    const key = 'test/failed-deploy';
    const run = await runPlaybook(['serialized_deploy.yml'], {
      consulAddr: consul().httpAddr,
      // The work cannot write its log, so the deploy step fails while the run holds the lock.
      args: ['-e', 'deploy_run_id=doomed', '-e', `deploy_lock_key=${key}`, '-e', `deploy_log=${join(dir, 'missing/deploy.log')}`, '-e', 'deploy_seconds=0'],
    });
    expect(run.code, 'the failed deploy fails the run').to.equal(2);
    const report = run.report!;
    expect(onlyResult(report, 'Deploy, logging when it starts and ends')).to.include({ failed: true });
    expect(onlyResult(report, 'Release the deploy lock')).to.include({ changed: true, holder: null });
    expect(onlyResult(report, "Destroy this run's session")).to.include({ changed: true });
    expect(onlyResult(report, 'Show how the keeper ended')).to.include({ ended: 'session_gone' });
    expect(await kvEntry(key)).to.include({ LockIndex: 1 }).and.not.have.property('Session');
    expect(await sessionNames('deploy-doomed')).to.deep.equal([]);
  });

  it('a lock play run again changes nothing: acquired twice, then released twice', async function () {
    const play = join(PLAYS, 'lock_state.yml');
    const run = async (state: string) => {
      const report = await playbookOk([play], { consulAddr: consul().httpAddr, args: ['-e', `lock_state=${state}`] });
      return { changed: report.stats.localhost?.changed, lock: onlyResult(report, 'Bring the lock to its state') };
    };
    const first = await run('acquired');
    expect(first.changed, 'the session and the lock').to.equal(2);
    const id = String(first.lock.holder);
    expect((await kvEntry('idem/lock')).Session).to.equal(id);
    const again = await run('acquired');
    expect(again.changed).to.equal(0);
    expect(again.lock).to.include({ holder: id, acquired: true, lock_index: 1 });

    expect((await run('released')).changed).to.equal(1);
    expect(await kvEntry('idem/lock')).to.not.have.property('Session');
    const releasedAgain = await run('released');
    expect(releasedAgain.changed).to.equal(0);
    expect(releasedAgain.lock).to.include({ holder: null, acquired: false, value: 'held by the idempotence play' });
    await consulHttp(consul(), 'PUT', `/v1/session/destroy/${id}`);
  });

  it('four hosts in one play: serial: 1 and strategy: free take turns; linear and throttle: 1 trap the waiters', async function () {
    const { report, error } = (await onePlay) ?? {};
    if (!report) throw error;
    const ids = resultsIn(report, 'Sessions', "Ensure this host's session");
    const byPattern = (section: string) => sections(readFileSync(onePlayLog(), 'utf8')).filter((s) => s.label.startsWith(`${section} `));

    for (const [play, section] of [['Pattern serial 1', 'serial'], ['Pattern strategy free', 'free']] as const) {
      const taken = resultsIn(report, play, `Take the lock, pattern ${section}`);
      expect(Object.keys(taken).sort(), play).to.deep.equal(HOSTS);
      for (const host of HOSTS) expect(taken[host], `${play} ${host}`).to.include({ changed: true, acquired: true, holder: ids[host]?.session_id });
      const list = byPattern(section);
      expect(list.map((s) => s.label).sort(), play).to.deep.equal(HOSTS.map((h) => `${section} ${h}`));
      expectNoOverlap(list);
    }

    const rescues = new Map<string, number>();
    for (const [play, section] of [['Trap linear', 'linear'], ['Trap throttle 1 on a block', 'throttle']] as const) {
      const taken = resultsIn(report, play, `Take the lock, pattern ${section}`);
      const winners = HOSTS.filter((h) => taken[h]?.acquired === true);
      expect(winners, `${play}: one host got the lock`).to.have.length(1);
      for (const host of HOSTS) if (host !== winners[0]) rescues.set(host, (rescues.get(host) ?? 0) + 1);
      const holder = String(ids[winners[0]!]?.session_id);
      for (const host of HOSTS.filter((h) => h !== winners[0])) {
        // The holder sat in the same task, so it never reached its release while this host waited.
        expect(taken[host], `${play} ${host}`).to.include({ failed: true });
        expect(String(taken[host]?.msg)).to.match(new RegExp(`^Waited [\\d.]+ s for the lock one-play/${section}; it is still held by session ${holder} `));
      }
      expect(byPattern(section).map((s) => s.label), play).to.deep.equal([`${section} ${winners[0]}`]);
    }
    // The hosts that gave up waiting were rescued, and nothing else failed.
    for (const host of HOSTS) expect(report.stats[host], host).to.include({ failures: 0, rescued: rescues.get(host) ?? 0 });
    expect(await sessionNames('one-play-')).to.deep.equal([]);
  });
});
