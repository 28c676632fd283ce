// consul_lock and the reference client, `consul lock PREFIX` (its key is PREFIX/.lock), against a real
// 1.8.7 agent: each waits for the other's lock with critical sections that never overlap (from the
// log, not from timings); a key the module used, even a flags-0 one an older release left, is taken by
// the CLI; a semaphore's keys are refused and never rewritten; a SIGKILLed CLI holder is taken over
// once its session dies. The handoff times printed are measured figures, not assertions.
import { expect } from 'chai';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { consulHttp, type Agent } from '../support/consul';
import { expectNoOverlap, sections, waitFor } from '../support/critical-sections';
import { devAgentForSuite } from '../support/dev-agent-suite';
import { consulLock, loggedSection, type CliRun } from '../support/lock-cli';
import { createSession, decoded, kvEntry, lockDirectly, lockOk } from '../support/locks';
import { runModule } from '../support/module';
import { startRecordingProxy } from '../support/recording-proxy';
import { LOCK_FLAGS, SEMAPHORE_FLAGS } from '../../src/shared/lock-protocol';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const stamp = () => (Date.now() / 1000).toFixed(6);
/** The key's flags exactly, from the answer's text (JSON.parse would round them). */
const rawFlags = async (agent: Agent, key: string) => /"Flags":\s*(\d+)/.exec((await consulHttp(agent, 'GET', `/v1/kv/${key}`)).text)?.[1];

describe('consul_lock and `consul lock` share one lock (real agent, real CLI)', function () {
  this.timeout(120_000);
  let agent: Agent;
  let env: NodeJS.ProcessEnv;
  let dir: string;
  const clis: CliRun[] = [];
  const cli = (prefix: string, command: string, options?: { limit?: number }) => {
    const run = consulLock(agent, prefix, command, options);
    clis.push(run);
    return run;
  };

  devAgentForSuite('cli-node', (started, startedEnv) => {
    agent = started;
    env = startedEnv;
    dir = mkdtempSync(join(tmpdir(), 'consul-lock-cli-'));
  });
  after(async () => {
    await Promise.all(clis.map((run) => run.stop()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const heldBy = async (key: string) => (await kvEntry(agent, key))?.Session;

  it('info describes a lock the CLI holds; the module waits for it (blocking queries), and gets in once the CLI is out', async () => {
    const log = join(dir, 'module-waits.log');
    const holder = cli('share/a', loggedSection(log, 'cli', 2));
    await waitFor('the CLI to hold share/a/.lock', async () => (await heldBy('share/a/.lock')) !== undefined);
    const info = await lockOk({ key: 'share/a/.lock', state: 'info' }, { env });
    expect(info).to.include({ holder_node: 'cli-node', flags: LOCK_FLAGS, acquired: false });
    expect(info.holder_name).to.match(/^Consul lock for '.*' at 'share\/a'$/);
    const session = await createSession(agent, { Name: 'module-waits' });
    const proxy = await startRecordingProxy(agent);
    try {
      const result = await lockOk({ key: 'share/a/.lock', session, wait: '60s', value: 'module' }, { env: { CONSUL_HTTP_ADDR: proxy.addr } });
      appendFileSync(log, `${stamp()} start module\n`);
      expect(result).to.include({ changed: true, acquired: true, holder: session, flags: LOCK_FLAGS });
      expect(result.waited).to.be.greaterThan(0);
      expect(proxy.requests.some((r) => r.method === 'GET' && /[?&]index=\d+/.test(r.url)), 'it waited with a blocking query').to.equal(true);
      await sleep(300);
      appendFileSync(log, `${stamp()} end module\n`);
    } finally {
      await proxy.close();
    }
    expect(await holder.exited, holder.output()).to.equal(0);
    const [first, second] = sections(readFileSync(log, 'utf8'));
    expectNoOverlap([first!, second!]);
    expect([first?.label, second?.label]).to.deep.equal(['cli', 'module']);
    console.log(`      [lock] CLI out -> module run returned with the lock: ${Math.round((second!.start - first!.end) * 1000)} ms`);
    await lockOk({ key: 'share/a/.lock', session, state: 'released' }, { env });
  });

  it('the CLI waits for a lock the module holds, and gets in once the module released it', async () => {
    const log = join(dir, 'cli-waits.log');
    const session = await createSession(agent, { Name: 'module-holds' });
    await lockOk({ key: 'share/b/.lock', session, value: 'module' }, { env });
    appendFileSync(log, `${stamp()} start module\n`);
    const waiter = cli('share/b', loggedSection(log, 'cli', 0.2));
    await waitFor('the CLI to try the lock', () => Promise.resolve(waiter.output().includes('Attempting lock acquisition')));
    await sleep(1_000);
    expect(waiter.output(), 'the CLI is still waiting').to.not.contain('Starting handler');
    appendFileSync(log, `${stamp()} end module\n`);
    const releaseStarted = Date.now();
    expect(await lockOk({ key: 'share/b/.lock', session, state: 'released' }, { env })).to.include({ changed: true });
    expect(await waiter.exited, waiter.output()).to.equal(0);
    const [first, second] = sections(readFileSync(log, 'utf8'));
    expectNoOverlap([first!, second!]);
    expect([first?.label, second?.label]).to.deep.equal(['module', 'cli']);
    console.log(`      [lock] module release run started -> CLI inside: ${Math.round(second!.start * 1000 - releaseStarted)} ms`);
  });

  it('two CLI processes and two module runs started together all get in, one at a time', async () => {
    const log = join(dir, 'mixed.log');
    const key = 'share/mixed/.lock';
    const moduleTurn = async (label: string) => {
      const session = await createSession(agent, { Name: label });
      expect(await lockOk({ key, session, wait: '60s', value: label }, { env })).to.include({ acquired: true });
      appendFileSync(log, `${stamp()} start ${label}\n`);
      await sleep(300);
      appendFileSync(log, `${stamp()} end ${label}\n`);
      await lockOk({ key, session, state: 'released' }, { env });
    };
    const cliTurn = async (label: string) => {
      const run = cli('share/mixed', loggedSection(log, label, 0.3));
      expect(await run.exited, run.output()).to.equal(0);
    };
    const started = Date.now();
    await Promise.all([moduleTurn('module-1'), cliTurn('cli-1'), moduleTurn('module-2'), cliTurn('cli-2')]);
    const list = sections(readFileSync(log, 'utf8'));
    expect(list.map((s) => s.label).sort()).to.deep.equal(['cli-1', 'cli-2', 'module-1', 'module-2']);
    expectNoOverlap(list);
    console.log(`      [lock] 2 CLI + 2 module runs through one lock in ${((Date.now() - started) / 1000).toFixed(1)} s, order ${list.map((s) => s.label).join(', ')}`);
  });

  it('a flags-0 key an older release left (which the CLI refuses) works with the CLI once the module used it', async () => {
    // What release 0.2 did: acquire and release without flags.
    const old = await createSession(agent, { Name: 'old-release' });
    expect(await lockDirectly(agent, 'share/old/.lock', 'acquire', old, 'v0.2')).to.equal(true);
    expect(await lockDirectly(agent, 'share/old/.lock', 'release', old, 'v0.2')).to.equal(true);
    const refused = cli('share/old', 'true');
    expect(await refused.exited).to.equal(1);
    expect(refused.output()).to.contain('Existing key does not match lock use');

    const session = await createSession(agent, { Name: 'new-release' });
    expect(await lockOk({ key: 'share/old/.lock', session }, { env })).to.include({ changed: true, acquired: true, value: 'v0.2', flags: LOCK_FLAGS });
    await lockOk({ key: 'share/old/.lock', session, state: 'released' }, { env });
    expect(await rawFlags(agent, 'share/old/.lock')).to.equal(LOCK_FLAGS);
    const works = cli('share/old', 'echo inside');
    expect(await works.exited, works.output()).to.equal(0);
    expect(works.output()).to.contain('inside');
  });

  it("refuses a semaphore's keys given as a lock, and never rewrites them", async () => {
    const holder = cli('share/sem', 'sleep 60', { limit: 2 });
    await waitFor('the CLI to hold a slot of share/sem', async () => (await consulHttp(agent, 'GET', '/v1/kv/share/sem/.lock')).status === 200);
    const before = (await consulHttp(agent, 'GET', '/v1/kv/share/sem?recurse')).text;
    const contender = (JSON.parse(before) as Array<{ Key: string; Session?: string }>).find((e) => e.Session)!;
    expect(await rawFlags(agent, 'share/sem/.lock')).to.equal(SEMAPHORE_FLAGS);
    const session = await createSession(agent, { Name: 'mistaken' });
    for (const args of [
      { key: 'share/sem/.lock', session },
      { key: 'share/sem/.lock', session, fail_if_not_acquired: false, wait: 1 },
      { key: contender.Key, session: contender.Session, state: 'released' },
    ]) {
      const run = await runModule(args, { env, module: 'consul_lock' });
      expect(run.result, JSON.stringify(args)).to.include({ failed: true, changed: false, flags: SEMAPHORE_FLAGS });
      expect(String(run.result.msg)).to.contain("is a semaphore's key (flags 16210313421097356768").and.contain('neither takes nor rewrites it');
    }
    const info = await lockOk({ key: 'share/sem/.lock', state: 'info' }, { env });
    expect(info).to.include({ flags: SEMAPHORE_FLAGS, holder: null });
    expect(String(info.warnings)).to.contain("a semaphore's key");
    expect((await consulHttp(agent, 'GET', '/v1/kv/share/sem?recurse')).text, 'every key of the semaphore as it was').to.equal(before);
    await holder.stop();
  });

  it('takes over from a CLI holder killed with SIGKILL once its session dies (TTL 15s, lock-delay 15s)', async function () {
    this.timeout(100_000);
    const holder = cli('share/killed', 'sleep 120');
    await waitFor('the CLI to hold share/killed/.lock', async () => (await heldBy('share/killed/.lock')) !== undefined);
    const cliSession = (await heldBy('share/killed/.lock'))!;
    const session = await createSession(agent, { Name: 'survivor', TTL: '10s' });
    holder.crash();
    const killed = Date.now();
    const result = await lockOk({ key: 'share/killed/.lock', session, wait: '90s', value: 'took over' }, { env });
    const tookMs = Date.now() - killed;
    expect(result).to.include({ changed: true, acquired: true, holder: session, value: 'took over', flags: LOCK_FLAGS });
    expect(((await consulHttp(agent, 'GET', `/v1/session/info/${cliSession}`)).body as unknown[]).length, "the CLI's session is gone").to.equal(0);
    expect(decoded(await kvEntry(agent, 'share/killed/.lock'))).to.equal('took over');
    console.log(`      [lock] SIGKILLed CLI holder taken over ${(tookMs / 1000).toFixed(1)} s after the kill (its TTL 15s ran out, then its lock-delay)`);
    await holder.stop();
  });
});
