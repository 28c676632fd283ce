/**
 * A playbook run (playbooks/serialized_deploy.yml) and `consul lock` scripts guarding the same thing
 * with one lock, PREFIX/.lock, in both orders of arrival: the play waits for a CLI holder, then a CLI
 * waits for the play. Critical sections are read from the log (each ends before the next starts).
 */
import { expect } from 'chai';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ansibleOrSkip, onlyResult, runPlaybook } from '../support/ansible.js';
import { consulHttp, type Agent } from '../support/consul.js';
import { expectNoOverlap, sections, waitFor } from '../support/critical-sections.js';
import { devAgentForSuite } from '../support/dev-agent-suite.js';
import { consulLock, loggedSection, type CliRun } from '../support/lock-cli.js';

describe('a play and `consul lock` take turns on one lock (real agent, real CLI)', function () {
  this.timeout(180_000);
  let agent: Agent;
  let dir: string;
  const clis: CliRun[] = [];

  before(function () {
    ansibleOrSkip(this);
  });
  devAgentForSuite('play-cli-node', (started) => {
    agent = started;
    dir = mkdtempSync(join(tmpdir(), 'consul-play-cli-'));
  });
  after(async () => {
    await Promise.all(clis.map((run) => run.stop()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const sessionNamed = async (name: string) =>
    ((await consulHttp(agent, 'GET', '/v1/session/list')).body as Array<{ Name: string }>).some((s) => s.Name === name);

  it('the play waits for a CLI holder, then a CLI waits for the play; nobody is ever inside together', async () => {
    const log = join(dir, 'sections.log');
    const go = join(dir, 'cli-1.go');
    // CLI 1 holds until the test lets it go: once the play is about to take the lock, so that it waits.
    const first = consulLock(agent, 'share/deploy', `echo "$(date +%s.%N) start cli-1" >> '${log}'; while [ ! -e '${go}' ]; do sleep 0.1; done; echo "$(date +%s.%N) end cli-1" >> '${log}'`);
    clis.push(first);
    await waitFor('CLI 1 inside', () => Promise.resolve(existsSync(log)));
    const play = runPlaybook(['serialized_deploy.yml'], {
      consulAddr: agent.httpAddr,
      args: ['-e', 'deploy_run_id=play', '-e', 'deploy_lock_key=share/deploy/.lock', '-e', `deploy_log=${log}`, '-e', 'deploy_seconds=3', '-e', 'deploy_wait=2m'],
      timeoutMs: 150_000,
    });
    // The session is made by the task right before the acquire; give the play a moment to reach it.
    await waitFor("the play's session", () => sessionNamed('deploy-play'));
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    writeFileSync(go, '');
    // CLI 2 arrives while the play is inside, and has to wait for it.
    await waitFor('the play inside', () => Promise.resolve(readFileSync(log, 'utf8').includes('start play')), 120_000);
    const second = consulLock(agent, 'share/deploy', loggedSection(log, 'cli-2', 0.2));
    clis.push(second);

    const run = await play;
    expect(run.code, `${run.stdout.slice(-4000)}\n${run.stderr}`).to.equal(0);
    const taken = onlyResult(run.report!, 'Take the deploy lock, waiting for other runs at most 2m');
    expect(taken).to.include({ changed: true, acquired: true, flags: '3304740253564472344' });
    expect(await first.exited, first.output()).to.equal(0);
    expect(await second.exited, second.output()).to.equal(0);

    const list = sections(readFileSync(log, 'utf8'));
    expect(list.map((s) => s.label)).to.deep.equal(['cli-1', 'play', 'cli-2']);
    expectNoOverlap(list);
    console.log(
      `      [lock] play waited ${String(taken.waited)} s for CLI 1; handoffs CLI 1 -> play ${Math.round((list[1]!.start - list[0]!.end) * 1000)} ms ` +
        `(includes Ansible's next tasks), play -> CLI 2 ${Math.round((list[2]!.start - list[1]!.end) * 1000)} ms (includes the release task)`,
    );
  });
});
