// consul_lock's states against a real 1.8.7 agent: acquire, release and info, idempotence, check and
// diff mode, and keys and values that must reach Consul exactly as given — and nowhere else.
import { expect } from 'chai';
import { consulHttp, type Agent } from '../support/consul';
import { devAgentForSuite } from '../support/dev-agent-suite';
import { createSession, decoded, kvEntry, lockDirectly, lockFail, lockOk } from '../support/locks';
import { runModule } from '../support/module';
import { startRecordingProxy } from '../support/recording-proxy';

describe('consul_lock against a real agent', function () {
  this.timeout(60_000);
  let agent: Agent;
  let env: NodeJS.ProcessEnv;
  let mine: string;
  let theirs: string;

  devAgentForSuite('lock-node', (started, startedEnv) => {
    agent = started;
    env = startedEnv;
  });

  before(async function () {
    mine = await createSession(agent, { Name: 'mine' });
    theirs = await createSession(agent, { Name: 'theirs' });
  });

  it('acquires a free lock once, then reports no change; a new value is written and is a change', async () => {
    const first = await lockOk({ key: 'locks/a', session: mine, value: 'deploy 1' }, { env });
    expect(first).to.include({ changed: true, key: 'locks/a', holder: mine, acquired: true, value: 'deploy 1', lock_index: 1, waited: 0 });
    const again = await lockOk({ key: 'locks/a', session: mine, value: 'deploy 1' }, { env });
    expect(again).to.include({ changed: false, holder: mine, acquired: true, lock_index: 1 });
    const relabelled = await lockOk({ key: 'locks/a', session: mine, value: 'deploy 2' }, { env });
    expect(relabelled).to.include({ changed: true, holder: mine, value: 'deploy 2', lock_index: 1 });
    expect(decoded(await kvEntry(agent, 'locks/a'))).to.equal('deploy 2');
  });

  it('without a value keeps what the key stores (consul kv put, a previous holder), and a second acquire changes nothing', async () => {
    expect((await consulHttp(agent, 'PUT', '/v1/kv/locks/kept', 'written by consul kv put')).body).to.equal(true);
    expect(await lockOk({ key: 'locks/kept', session: mine }, { env })).to.include({ changed: true, holder: mine, value: 'written by consul kv put' });
    expect(await lockOk({ key: 'locks/kept', session: mine }, { env })).to.include({ changed: false, holder: mine, lock_index: 1 });
    expect(decoded(await kvEntry(agent, 'locks/kept'))).to.equal('written by consul kv put');
    // A new key without a value is empty (Consul keeps it as null): still no change the second time.
    expect(await lockOk({ key: 'locks/empty', session: mine }, { env })).to.include({ changed: true, holder: mine, value: '' });
    expect(await lockOk({ key: 'locks/empty', session: mine }, { env })).to.include({ changed: false, holder: mine, lock_index: 1 });
  });

  it('fail_if_not_acquired: false reports a lock held elsewhere as acquired: false and succeeds; a Consul that is down still fails', async () => {
    const run = await runModule({ key: 'locks/a', session: theirs, fail_if_not_acquired: false }, { env, module: 'consul_lock' });
    expect(run.code).to.equal(0);
    expect(run.result).to.include({ changed: false, acquired: false, holder: mine, holder_name: 'mine', holder_node: 'lock-node', waited: 0 });
    const waited = await lockOk({ key: 'locks/a', session: theirs, fail_if_not_acquired: false, wait: 1 }, { env });
    expect(waited).to.include({ changed: false, acquired: false, holder: mine });
    expect(waited.waited).to.be.at.least(1);
    expect((await kvEntry(agent, 'locks/a'))?.Session).to.equal(mine);
    const down = await lockFail({ key: 'locks/a', session: theirs, fail_if_not_acquired: false, retry_timeout: 0 }, { env: { CONSUL_HTTP_ADDR: '127.0.0.1:9' } });
    expect(down).to.contain('Could not read the key locks/a');
  });

  it('info reads the holder, its name and node; acquired says whether `session` holds it', async () => {
    const held = await lockOk({ key: 'locks/a', state: 'info', session: theirs }, { env });
    expect(held).to.include({ changed: false, holder: mine, holder_name: 'mine', holder_node: 'lock-node', acquired: false, value: 'deploy 2' });
    const missing = await lockOk({ key: 'locks/none', state: 'info' }, { env });
    expect(missing).to.include({ changed: false, holder: null, acquired: false, value: null, lock_index: 0 });
  });

  it('fails at once (wait 0) when another session holds it, naming the holder, its name and node', async () => {
    const run = await runModule({ key: 'locks/a', session: theirs }, { env, module: 'consul_lock' });
    expect(run.result).to.include({ failed: true, changed: false, holder: mine, holder_name: 'mine', holder_node: 'lock-node', waited: 0 });
    expect(String(run.result.msg)).to.contain(mine).and.contain("'mine'").and.contain('lock-node').and.contain('wait is 0');
    expect((await kvEntry(agent, 'locks/a'))?.Session).to.equal(mine);
  });

  it("released: never touches another session's lock; the holder's release keeps the value", async () => {
    const foreign = await lockOk({ key: 'locks/a', session: theirs, state: 'released' }, { env });
    expect(foreign).to.include({ changed: false, holder: mine, acquired: false });
    expect((await kvEntry(agent, 'locks/a'))?.Session).to.equal(mine);
    const released = await lockOk({ key: 'locks/a', session: mine, state: 'released' }, { env });
    expect(released).to.include({ changed: true, holder: null, acquired: false, value: 'deploy 2' });
    const entry = await kvEntry(agent, 'locks/a');
    expect(entry?.Session).to.equal(undefined);
    expect(decoded(entry), 'a release without a body would have wiped it').to.equal('deploy 2');
    expect(await lockOk({ key: 'locks/a', session: mine, state: 'released' }, { env })).to.include({ changed: false, holder: null });
    expect(await lockOk({ key: 'locks/never', session: mine, state: 'released' }, { env })).to.include({ changed: false, holder: null, value: null });
  });

  it('check mode predicts acquire and release without any write; diff mode shows holder and value', async () => {
    const proxy = await startRecordingProxy(agent);
    const viaProxy = { env: { CONSUL_HTTP_ADDR: proxy.addr } };
    const check = { _ansible_check_mode: true, _ansible_diff: true };
    try {
      const predicted = await lockOk({ key: 'locks/checked', session: mine, value: 'v', ...check }, viaProxy);
      expect(predicted).to.include({ changed: true, holder: mine, acquired: true });
      expect(predicted.diff).to.deep.equal({ before: { key: 'locks/checked', holder: null, value: null }, after: { key: 'locks/checked', holder: mine, value: 'v' } });
      expect(await kvEntry(agent, 'locks/checked')).to.equal(undefined);
      await lockDirectly(agent, 'locks/checked', 'acquire', mine, 'v');
      const release = await lockOk({ key: 'locks/checked', session: mine, state: 'released', ...check }, viaProxy);
      expect(release).to.include({ changed: true, holder: null });
      expect((await kvEntry(agent, 'locks/checked'))?.Session).to.equal(mine);
      expect(proxy.writes(), 'no PUT in check mode').to.deep.equal([]);
    } finally {
      await proxy.close();
    }
  });

  it('stores keys with ?, #, %, spaces and unicode literally, and multi-byte values intact', async () => {
    const key = 'locks/we?ird#key %41/日本 é';
    const value = 'héllo ✓ 日本 "q" \n second line';
    expect(await lockOk({ key, session: mine, value }, { env })).to.include({ changed: true, value });
    const keys = (await consulHttp(agent, 'GET', '/v1/kv/?keys')).body as string[];
    expect(keys).to.include(key);
    expect(decoded(await kvEntry(agent, key))).to.equal(value);
    expect(await lockOk({ key, session: mine, value }, { env })).to.include({ changed: false });
  });

  it('refuses keys that would leave the KV path, and oversized values, before any request', async () => {
    const proxy = await startRecordingProxy(agent);
    try {
      const viaProxy = { env: { CONSUL_HTTP_ADDR: proxy.addr } };
      for (const key of ['locks/../session/list', 'locks/./a', '/locks/a', 'locks//a', 'locks/a/', '..']) {
        expect(await lockFail({ key, session: mine }, viaProxy), key).to.contain('value of key must not contain');
      }
      expect(await lockFail({ key: 'locks/\u0001', session: mine }, viaProxy)).to.contain('without control characters');
      const big = await lockFail({ key: 'locks/big', session: mine, value: 'x'.repeat(512 * 1024 + 1) }, viaProxy);
      expect(big).to.contain('524289 bytes').and.contain('at most 524288');
      expect(proxy.requests, 'nothing was sent').to.deep.equal([]);
    } finally {
      await proxy.close();
    }
  });

  it('says plainly when the session does not exist', async () => {
    const gone = await createSession(agent, { Name: 'gone' });
    await consulHttp(agent, 'PUT', `/v1/session/destroy/${gone}`);
    const msg = await lockFail({ key: 'locks/gone', session: gone }, { env });
    expect(msg).to.contain(gone).and.contain('does not exist').and.contain('consul_session');
  });

  it('needs a session to acquire or release, and a UUID at that', async () => {
    expect(await lockFail({ key: 'locks/a' }, { env })).to.contain('state is acquired but all of the following are missing: session');
    expect(await lockFail({ key: 'locks/a', state: 'released' }, { env })).to.contain('state is released but all of the following are missing: session');
    expect(await lockFail({ key: 'locks/a', session: 'nope' }, { env })).to.contain('must be a session UUID');
  });
});
