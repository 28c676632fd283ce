// consul_semaphore's states against a real 1.8.7 agent: keys, flags and JSON as `consul lock -n` keeps
// them, idempotence both ways, check and diff mode, a limit conflict and a foreign .lock refused without
// a write, dead holders pruned, a wait with renewals, and check-and-set races between module runs.
import { expect } from 'chai';
import { parseArgs } from '../../src/shared/args';
import { ConsulClient } from '../../src/shared/consul';
import { KvApi } from '../../src/shared/kv';
import { SessionApi } from '../../src/shared/sessions';
import { realClock } from '../../src/shared/retry';
import { toSettings } from '../../src/consul_semaphore/params';
import { runState } from '../../src/consul_semaphore/states';
import { consulHttp, type Agent } from '../support/consul';
import { devAgentForSuite } from '../support/dev-agent-suite';
import { createSession } from '../support/locks';
import { runModule } from '../support/module';
import { SEMAPHORE_FLAGS, prefixEntries, prefixIndex, semaphoreFail, semaphoreJson, semaphoreOk } from '../support/semaphores';

describe('consul_semaphore against a real agent', function () {
  this.timeout(90_000);
  let agent: Agent;
  let env: NodeJS.ProcessEnv;

  devAgentForSuite('semaphore-node', (started, startedEnv) => {
    agent = started;
    env = startedEnv;
  });

  const session = (name: string, extra: Record<string, unknown> = {}) => createSession(agent, { Name: name, Behavior: 'delete', ...extra });

  it('acquired writes the keys, flags and JSON of consul lock -n; again changes nothing; released twice likewise', async () => {
    const [a, b] = [await session('a'), await session('b')];
    const first = await semaphoreOk({ prefix: 'sem/basic', limit: 2, session: a, value: 'host a' }, { env });
    expect(first).to.deep.include({ changed: true, prefix: 'sem/basic', limit: 2, acquired: true, holders: [a], waited: 0, pruned: [] });
    expect(await semaphoreOk({ prefix: 'sem/basic/', limit: 2, session: a, value: 'host a' }, { env })).to.deep.include({ changed: false, acquired: true });
    await semaphoreOk({ prefix: 'sem/basic', limit: 2, session: b }, { env });
    const entries = await prefixEntries(agent, 'sem/basic');
    expect(entries.map((e) => [e.key, e.session, e.flags])).to.deep.equal(
      [['sem/basic/.lock', null, SEMAPHORE_FLAGS], [`sem/basic/${a}`, a, SEMAPHORE_FLAGS], [`sem/basic/${b}`, b, SEMAPHORE_FLAGS]].sort((x, y) => String(x[0]).localeCompare(String(y[0]))),
    );
    expect(entries.find((e) => e.key === 'sem/basic/.lock')?.value).to.equal(JSON.stringify({ Limit: 2, Holders: Object.fromEntries([a, b].sort().map((h) => [h, true])) }));
    expect(entries.find((e) => e.key === `sem/basic/${a}`)?.value).to.equal('host a');

    const released = await semaphoreOk({ prefix: 'sem/basic', session: a, state: 'released' }, { env });
    expect(released).to.deep.include({ changed: true, acquired: false, holders: [b], limit: 2 });
    expect(await semaphoreOk({ prefix: 'sem/basic', session: a, state: 'released' }, { env })).to.deep.include({ changed: false, holders: [b] });
    // b is the last one out: .lock goes too, as the CLI leaves it.
    expect(await semaphoreOk({ prefix: 'sem/basic', session: b, state: 'released' }, { env })).to.deep.include({ changed: true, holders: [], limit: null });
    expect(await prefixEntries(agent, 'sem/basic')).to.deep.equal([]);
  });

  it('full: fails at once naming the holders (name, node, value), or with fail_if_not_acquired: false reports it; writes nothing', async () => {
    const [a, b, c] = [await session('full-a'), await session('full-b'), await session('full-c')];
    await semaphoreOk({ prefix: 'sem/full', limit: 2, session: a, value: 'va' }, { env });
    await semaphoreOk({ prefix: 'sem/full', limit: 2, session: b, value: 'vb' }, { env });
    const index = await prefixIndex(agent, 'sem/full');
    const run = await runModule({ prefix: 'sem/full', limit: 2, session: c }, { env, module: 'consul_semaphore' });
    expect(run.result).to.deep.include({ failed: true, changed: false, limit: 2, holders: [a, b].sort(), waited: 0 });
    expect(String(run.result.msg)).to.contain("'full-a' on node semaphore-node").and.contain("'full-b'").and.contain('wait is 0');
    expect(run.result.holder_details).to.deep.include({ session: a, name: 'full-a', node: 'semaphore-node', value: 'va' });
    const soft = await semaphoreOk({ prefix: 'sem/full', limit: 2, session: c, fail_if_not_acquired: false }, { env });
    expect(soft).to.deep.include({ changed: false, acquired: false, holders: [a, b].sort() });
    expect(await prefixIndex(agent, 'sem/full'), 'no write').to.equal(index);
    const info = await semaphoreOk({ prefix: 'sem/full', state: 'info', session: a }, { env });
    expect(info).to.deep.include({ changed: false, acquired: true, limit: 2, holders: [a, b].sort(), waiting: [] });
  });

  it('check and diff mode: what a real run would do, and not a single write', async () => {
    const a = await session('check-a');
    const index = await prefixIndex(agent, 'sem/check');
    const checked = await semaphoreOk({ prefix: 'sem/check', limit: 3, session: a, _ansible_check_mode: true, _ansible_diff: true }, { env });
    expect(checked).to.deep.include({ changed: true, acquired: true, holders: [a], limit: 3 });
    expect(checked.diff).to.deep.equal({ before: { prefix: 'sem/check', limit: null, holders: [] }, after: { prefix: 'sem/check', limit: 3, holders: [a] } });
    expect(await prefixIndex(agent, 'sem/check')).to.equal(index);
    await semaphoreOk({ prefix: 'sem/check', limit: 3, session: a }, { env });
    const release = await semaphoreOk({ prefix: 'sem/check', session: a, state: 'released', _ansible_check_mode: true, _ansible_diff: true }, { env });
    expect(release).to.deep.include({ changed: true, acquired: false, holders: [] });
    expect((await semaphoreJson(agent, 'sem/check'))?.Holders).to.deep.equal({ [a]: true });
  });

  it('a limit that disagrees fails naming both and writes nothing; a .lock of a lock (or a plain key) is refused', async () => {
    const [a, b] = [await session('limit-a'), await session('limit-b')];
    await semaphoreOk({ prefix: 'sem/limit', limit: 2, session: a }, { env });
    const index = await prefixIndex(agent, 'sem/limit');
    const msg = await semaphoreFail({ prefix: 'sem/limit', limit: 3, session: b }, { env });
    expect(msg).to.match(/^The semaphore sem\/limit has limit 2 .* asks for limit 3\./).and.contain('semaphore limit conflict (lock: 2, local: 3)');
    expect(await prefixIndex(agent, 'sem/limit')).to.equal(index);

    // A lock of `consul lock sem/lock` (its flags), and a plain key.
    await consulHttp(agent, 'PUT', '/v1/kv/sem/lock/.lock?flags=3304740253564472344', 'x');
    expect(await semaphoreFail({ prefix: 'sem/lock', limit: 2, session: b }, { env })).to.match(/^The key sem\/lock\/\.lock is a lock's key .*not a semaphore's/);
    await consulHttp(agent, 'PUT', '/v1/kv/sem/plain/.lock', 'data');
    expect(await semaphoreFail({ prefix: 'sem/plain', limit: 2, session: b }, { env })).to.contain('a plain key (flags 0)');
    expect((await prefixEntries(agent, 'sem/lock')).map((e) => e.key), 'no contender key written').to.deep.equal(['sem/lock/.lock']);
    expect((await prefixEntries(agent, 'sem/plain'))[0]).to.include({ value: 'data', flags: '0' });
  });

  it('a session that no longer exists cannot take a slot: a clean failure saying so, and nothing written', async () => {
    const gone = await session('gone');
    await consulHttp(agent, 'PUT', `/v1/session/destroy/${gone}`);
    const msg = await semaphoreFail({ prefix: 'sem/gone', limit: 2, session: gone, wait: 5 }, { env });
    expect(msg).to.equal(
      `Session ${gone} does not exist (it expired or was destroyed), so it cannot hold a slot of the semaphore sem/gone. Create one with consul_session (state: present) and pass its session_id.`,
    );
    expect(await prefixEntries(agent, 'sem/gone')).to.deep.equal([]);
  });

  it('a holder whose session died is pruned by the next acquire, never counted', async () => {
    const [a, b, c] = [await session('dead-a'), await session('dead-b'), await session('dead-c')];
    await semaphoreOk({ prefix: 'sem/dead', limit: 2, session: a }, { env });
    await semaphoreOk({ prefix: 'sem/dead', limit: 2, session: b }, { env });
    await consulHttp(agent, 'PUT', `/v1/session/destroy/${a}`);
    const taken = await semaphoreOk({ prefix: 'sem/dead', limit: 2, session: c }, { env });
    expect(taken).to.deep.include({ changed: true, acquired: true, holders: [b, c].sort(), pruned: [a] });
    expect(Object.keys((await semaphoreJson(agent, 'sem/dead'))?.Holders ?? {}).sort()).to.deep.equal([b, c].sort());
  });

  it('waits for a slot with blocking reads, renewing its TTL session, and gets in when a holder leaves', async () => {
    const holder = await session('wait-holder');
    const waiter = await session('wait-waiter', { TTL: '10s' });
    await semaphoreOk({ prefix: 'sem/wait', limit: 1, session: holder }, { env });
    const waiting = semaphoreOk({ prefix: 'sem/wait', limit: 1, session: waiter, wait: 40 }, { env });
    await new Promise((resolve) => setTimeout(resolve, 6_500));
    await semaphoreOk({ prefix: 'sem/wait', session: holder, state: 'released' }, { env });
    const result = await waiting;
    expect(result).to.deep.include({ changed: true, acquired: true, holders: [waiter] });
    expect(result.waited).to.be.at.least(5);
    expect(String(result.warnings)).to.match(/Renewed session .* 1 time\(s\) while waiting/);
  });

  it('a check-and-set lost to another run is retried from a fresh read (another module run writes .lock in between)', async () => {
    const [a, b, c] = [await session('race-a'), await session('race-b'), await session('race-c')];
    await semaphoreOk({ prefix: 'sem/race', limit: 3, session: a }, { env });
    const settings = toSettings(parseArgs(JSON.stringify({ prefix: 'sem/race', limit: 3, session: c, host: '127.0.0.1', port: agent.httpPort })), {});
    const client = new ConsulClient(settings.connection, 'consul_semaphore');
    const kv = new KvApi(client);
    const casCalls: boolean[] = [];
    const racingKv = {
      list: kv.list.bind(kv),
      read: kv.read.bind(kv),
      acquire: kv.acquire.bind(kv),
      delete: kv.delete.bind(kv),
      casPut: async (...args: Parameters<KvApi['casPut']>) => {
        // The first time, the built module takes a slot for b between our read and our write.
        if (casCalls.length === 0) await semaphoreOk({ prefix: 'sem/race', limit: 3, session: b }, { env });
        casCalls.push(await kv.casPut(...args));
        return casCalls.at(-1)!;
      },
    };
    try {
      const result = await runState(settings, { kv: racingKv, sessions: new SessionApi(client), retry: client.retry, clock: realClock });
      expect(casCalls, 'lost once, then won').to.deep.equal([false, true]);
      expect(result).to.deep.include({ changed: true, acquired: true, holders: [a, b, c].sort() });
    } finally {
      client.close();
    }
  });

  it('module runs racing for the last slots: exactly as many get in as there are slots, every round', async () => {
    for (let round = 0; round < 3; round++) {
      const prefix = `sem/last-slot-${round}`;
      const holder = await session(`last-${round}-holder`);
      await semaphoreOk({ prefix, limit: 3, session: holder }, { env });
      const racers = await Promise.all([1, 2, 3, 4].map((n) => session(`last-${round}-${n}`)));
      const runs = await Promise.all(racers.map((id) => semaphoreOk({ prefix, limit: 3, session: id, fail_if_not_acquired: false }, { env })));
      const winners = runs.filter((r) => r.acquired === true).map((r) => (r.holders as string[]).length);
      expect(winners, `round ${round}: two of four get the two free slots`).to.have.length(2);
      const json = await semaphoreJson(agent, prefix);
      expect(Object.keys(json?.Holders ?? {})).to.have.length(3);
      // The losers took their contender keys back.
      expect((await prefixEntries(agent, prefix)).filter((e) => e.key !== `${prefix}/.lock`)).to.have.length(3);
    }
  });
});
