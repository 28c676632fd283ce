// consul_semaphore beside the real `consul lock -n` (the same 1.8.7 binary): a CLI holder killed with
// SIGKILL is taken over once its session dies (it is pruned, never trusted), and the CLI then uses the
// semaphore the module leaves; the last one out cleans up.
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Agent } from '../support/consul';
import { sections, waitFor } from '../support/critical-sections';
import { devAgentForSuite } from '../support/dev-agent-suite';
import { createSession } from '../support/locks';
import { cliSemaphore, exitOf, prefixEntries, semaphoreJson, semaphoreOk } from '../support/semaphores';

describe('consul_semaphore and consul lock -n (the real CLI)', function () {
  this.timeout(120_000);
  let agent: Agent;
  let env: NodeJS.ProcessEnv;
  let dir: string;

  devAgentForSuite('semaphore-cli-node', (started, startedEnv) => {
    agent = started;
    env = startedEnv;
  });
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'consul-semaphore-cli-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a CLI holder killed with SIGKILL is taken over once its session dies; then the CLI gets in after the module', async () => {
    const prefix = 'sem/killed';
    const log = join(dir, 'killed.log');
    // `consul lock -n 1` keeps a plain lock, not a semaphore: 2 slots, one for the CLI, one for another session.
    const other = await createSession(agent, { Name: 'other-holder', Behavior: 'delete' });
    await semaphoreOk({ prefix, limit: 2, session: other }, { env });
    const cli = cliSemaphore(agent, prefix, 2, 'doomed', log, 300);
    await waitFor('the CLI inside', async () => Object.keys((await semaphoreJson(agent, prefix))?.Holders ?? {}).length === 2);
    const cliSession = Object.keys((await semaphoreJson(agent, prefix))!.Holders).find((h) => h !== other)!;
    // The CLI and its command together: nothing releases the slot or destroys the session.
    process.kill(-cli.pid!, 'SIGKILL');
    await exitOf(cli);
    const killedAt = Date.now();

    const mine = await createSession(agent, { Name: 'after-the-kill', TTL: '10s', Behavior: 'delete' });
    const taken = await semaphoreOk({ prefix, limit: 2, session: mine, wait: 90 }, { env });
    const tookOverAfter = (Date.now() - killedAt) / 1000;
    console.log(`      [semaphore] SIGKILLed CLI holder (TTL 15s) taken over after ${tookOverAfter.toFixed(1)} s`);
    expect(taken).to.deep.include({ changed: true, acquired: true, holders: [mine, other].sort(), pruned: [cliSession] });
    // Its session went by its TTL (Consul invalidates at up to twice the TTL), not at once.
    expect(Number(taken.waited)).to.be.at.least(10);
    expect(sections(`${readFileSync(log, 'utf8')}${Date.now() / 1000} end doomed\n`).map((s) => s.label)).to.deep.equal(['doomed']);

    // A CLI arriving now waits for the module's slot, gets it once it is given back, and cleans up after itself.
    const next = cliSemaphore(agent, prefix, 2, 'next', log, 0);
    await waitFor('the CLI waiting as a contender', async () => (await prefixEntries(agent, prefix)).length === 4);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(readFileSync(log, 'utf8')).to.not.contain('start next');
    await semaphoreOk({ prefix, session: mine, state: 'released' }, { env });
    expect(await exitOf(next), next.output()).to.equal(0);
    // `other` is still inside, so the CLI leaves .lock; the module, last one out, removes it.
    expect(next.output()).to.contain('Cleanup aborted, lock in use');
    expect(readFileSync(log, 'utf8')).to.contain('end next');
    expect(await semaphoreOk({ prefix, session: other, state: 'released' }, { env })).to.deep.include({ changed: true, holders: [], limit: null });
    expect(await prefixEntries(agent, prefix)).to.deep.equal([]);
  });
});
