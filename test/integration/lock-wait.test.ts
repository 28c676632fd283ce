// consul_lock waiting for a lock against a real 1.8.7 agent: until the holder releases, across a dead
// holder's invalidation and lock-delay, and beyond its own session's TTL (renewing it) — with blocking
// queries, never a busy poll.
import { expect } from 'chai';
import { type Agent } from '../support/consul';
import { devAgentForSuite } from '../support/dev-agent-suite';
import { createSession, kvEntry, lockDirectly, lockFail, lockOk } from '../support/locks';
import { runModule } from '../support/module';
import { startRecordingProxy, type ProxiedRequest } from '../support/recording-proxy';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const isBlockingQuery = (r: ProxiedRequest) => r.method === 'GET' && /[?&]index=\d+/.test(r.url) && /[?&]wait=\d+s/.test(r.url);

describe('consul_lock waiting against a real agent', function () {
  this.timeout(90_000);
  let agent: Agent;
  let env: NodeJS.ProcessEnv;

  devAgentForSuite('wait-node', (started, startedEnv) => {
    agent = started;
    env = startedEnv;
  });

  it('waits until the holder releases, with a handful of blocking queries', async () => {
    const holder = await createSession(agent, { Name: 'holder' });
    const waiter = await createSession(agent, { Name: 'waiter' });
    expect(await lockDirectly(agent, 'wait/released', 'acquire', holder)).to.equal(true);
    const proxy = await startRecordingProxy(agent);
    try {
      const waiting = lockOk({ key: 'wait/released', session: waiter, wait: '30s', value: 'next' }, { env: { CONSUL_HTTP_ADDR: proxy.addr } });
      // Release 2.5 s after the module's first blocking query, not after its start: a slow start (Node.js
      // 18 on a busy machine took over a second) must not eat into the wait the result reports.
      for (let i = 0; i < 200 && !proxy.requests.some(isBlockingQuery); i++) await sleep(100);
      await sleep(2_500);
      expect(await lockDirectly(agent, 'wait/released', 'release', holder)).to.equal(true);
      const result = await waiting;
      expect(result).to.include({ changed: true, holder: waiter, acquired: true, value: 'next', lock_index: 2 });
      expect(result.waited).to.be.greaterThan(2);
      const blocking = proxy.requests.filter(isBlockingQuery);
      expect(blocking.length, 'it waited with blocking queries').to.be.greaterThan(0);
      expect(proxy.requests.length, `no busy poll: ${proxy.requests.map((r) => `${r.method} ${r.url}`).join(', ')}`).to.be.below(12);
    } finally {
      await proxy.close();
    }
  });

  it('gives up after `wait`, saying how long it waited and who holds the lock', async () => {
    const holder = await createSession(agent, { Name: 'stubborn' });
    const waiter = await createSession(agent, { Name: 'patient' });
    await lockDirectly(agent, 'wait/held', 'acquire', holder);
    const run = await runModule({ key: 'wait/held', session: waiter, wait: 2 }, { env, module: 'consul_lock' });
    expect(run.result).to.include({ failed: true, changed: false, holder, holder_name: 'stubborn', holder_node: 'wait-node' });
    expect(run.result.waited).to.be.at.least(2);
    expect(String(run.result.msg)).to.match(/^Waited 2(\.\d)? s for the lock wait\/held; it is still held by session /).and.contain("'stubborn' on node wait-node");
    expect((await kvEntry(agent, 'wait/held'))?.Session).to.equal(holder);
  });

  it('takes over from a dead holder (TTL run out, then its lock-delay), while its own short-TTL session is kept alive', async function () {
    this.timeout(80_000);
    // The holder's 10 s TTL is never renewed: Consul invalidates it at up to about 20 s, then its 3 s
    // lock-delay keeps the key from being acquired. The waiter's own session has a 10 s TTL too: without
    // renewals it would die at about the same time as the holder's.
    const dead = await createSession(agent, { Name: 'dead', TTL: '10s', LockDelay: '3s' });
    const waiter = await createSession(agent, { Name: 'survivor', TTL: '10s' });
    await lockDirectly(agent, 'wait/dead', 'acquire', dead);
    const started = Date.now();
    const result = await lockOk({ key: 'wait/dead', session: waiter, wait: '60s', value: 'took over' }, { env });
    const tookMs = Date.now() - started;
    expect(result).to.include({ changed: true, holder: waiter, acquired: true, value: 'took over' });
    expect((result.warnings as string[]).join(' ')).to.match(/Renewed session \S+ \d+ time\(s\) while waiting/);
    console.log(`      [lock] dead holder taken over after ${(tookMs / 1000).toFixed(1)} s (waited ${String(result.waited)} s)`);
    // Past the point where an unrenewed 10 s session dies: the waiter's session lives and holds the key.
    await sleep(Math.max(0, 22_000 - tookMs));
    const entry = await kvEntry(agent, 'wait/dead');
    expect(entry?.Session, 'the waiter still holds the lock with a live session').to.equal(waiter);
  });

  it('fails clearly when its own session is gone', async () => {
    const holder = await createSession(agent, { Name: 'owner' });
    await lockDirectly(agent, 'wait/orphan', 'acquire', holder);
    const msg = await lockFail({ key: 'wait/orphan', session: '00000000-0000-4000-8000-000000000000', wait: 5 }, { env });
    expect(msg).to.contain('00000000-0000-4000-8000-000000000000').and.contain('does not exist');
  });
});
