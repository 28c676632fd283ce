/**
 * One semaphore of 2 shared by three `consul lock -n 2` processes and three runs of
 * playbooks/limited_rollout.yml, in both orders of arrival. Every critical section appends
 * "<epoch seconds> start|end <label>" to one log; the limit is proven by the log (never 3 inside at
 * once), not by timings, and every one of the six gets in.
 */
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { consulHttp, consulOrSkip, startDevAgent } from '../support/consul.js';
import type { Agent } from '../support/consul.js';
import { ansibleOrSkip, onlyResult, runPlaybook, type PlaybookRun } from '../support/ansible.js';
import { expectAtMostInside, sections, waitFor } from '../support/critical-sections.js';
import { cliSemaphore, exitOf, prefixEntries, semaphoreJson } from '../support/semaphores.js';

describe('a semaphore of 2 shared by consul lock -n 2 and limited_rollout.yml', function () {
  this.timeout(240_000);
  let agent: Agent | undefined;
  let dir: string;

  before(async function () {
    ansibleOrSkip(this);
    consulOrSkip(this);
    dir = mkdtempSync(join(tmpdir(), 'consul-semaphore-test-'));
    agent = await startDevAgent({ nodeName: 'semaphore-play-node' });
  });

  after(async function () {
    await agent?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  function consul(): Agent {
    if (!agent) throw new Error('no agent');
    return agent;
  }

  const holdersOf = async (prefix: string) => Object.keys((await semaphoreJson(consul(), prefix))?.Holders ?? {});

  function plays(prefix: string, log: string, seconds: number): Array<Promise<PlaybookRun>> {
    return [1, 2, 3].map((n) =>
      runPlaybook(['limited_rollout.yml'], {
        consulAddr: consul().httpAddr,
        args: ['-e', `rollout_run_id=play-${n}`, '-e', `rollout_prefix=${prefix}`, '-e', `rollout_log=${log}`, '-e', `rollout_seconds=${seconds}`, '-e', 'rollout_wait=3m'],
        timeoutMs: 220_000,
      }),
    );
  }

  function clis(prefix: string, log: string, seconds: number) {
    return [1, 2, 3].map((n) => cliSemaphore(consul(), prefix, 2, `cli-${n}`, log, seconds));
  }

  /** Every run succeeded and went in once; never more than 2 inside; the prefix and the sessions are left clean. */
  async function expectShared(prefix: string, log: string, playRuns: PlaybookRun[], cliRuns: ReturnType<typeof clis>): Promise<number[]> {
    for (const [i, child] of cliRuns.entries()) expect(await exitOf(child), `cli-${i + 1}: ${child.output()}`).to.equal(0);
    const waited: number[] = [];
    for (const [i, run] of playRuns.entries()) {
      expect(run.code, `play-${i + 1}:\n${run.stdout.slice(-4000)}\n${run.stderr}`).to.equal(0);
      const slot = onlyResult(run.report!, 'Take a rollout slot, waiting for one at most 3m');
      expect(slot).to.include({ changed: true, acquired: true });
      waited.push(Number(slot.waited));
    }
    const list = sections(readFileSync(log, 'utf8'));
    expect(list.map((s) => s.label).sort()).to.deep.equal(['cli-1', 'cli-2', 'cli-3', 'play-1', 'play-2', 'play-3']);
    expectAtMostInside(list, 2);
    // Every one removed its contender key, and the last one out (CLI or play) removed .lock.
    expect(await prefixEntries(consul(), prefix)).to.deep.equal([]);
    // The plays destroyed their sessions before they ended. The CLI's are not checked: `consul lock`
    // destroys its session from a goroutine as it exits, so when the exit wins that race the session
    // stays until Consul's TTL timer (up to twice its 15 s TTL) invalidates it; it holds no key by then.
    const left = (await consulHttp(consul(), 'GET', '/v1/session/list')).body as Array<{ Name: string }>;
    expect(left.filter((s) => s.Name.startsWith('rollout-play-'))).to.deep.equal([]);
    return waited;
  }

  it('CLI processes first, then playbook runs: the plays wait their turn, never 3 inside, all six get in', async function () {
    const prefix = 'semaphores/cli-first';
    const log = join(dir, 'cli-first.log');
    const cliRuns = clis(prefix, log, 3);
    await waitFor('two CLI processes inside', async () => (await holdersOf(prefix)).length === 2);
    const playRuns = await Promise.all(plays(prefix, log, 1));
    const waited = await expectShared(prefix, log, playRuns, cliRuns);
    expect(Math.max(...waited), 'a play waited for a CLI holder').to.be.greaterThan(0);
  });

  it('playbook runs first, then CLI processes: the CLI waits its turn, never 3 inside, all six get in', async function () {
    const prefix = 'semaphores/plays-first';
    const log = join(dir, 'plays-first.log');
    const playing = plays(prefix, log, 3);
    await waitFor('two plays inside', async () => (await holdersOf(prefix)).length === 2, 120_000);
    const cliRuns = clis(prefix, log, 1);
    await expectShared(prefix, log, await Promise.all(playing), cliRuns);
    const list = sections(readFileSync(log, 'utf8'));
    const firstCli = Math.min(...list.filter((s) => s.label.startsWith('cli-')).map((s) => s.start));
    const firstPlayEnd = Math.min(...list.filter((s) => s.label.startsWith('play-')).map((s) => s.end));
    expect(firstCli, 'the first CLI got in only once a play had left').to.be.at.least(firstPlayEnd);
  });
});
