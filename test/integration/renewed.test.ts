// consul_session state=renewed against a real 1.8.7 agent: TTL timers reset, sessions kept alive past
// the point where Consul would invalidate them, clear failures for sessions that are gone.
import { expect } from 'chai';
import { type Agent } from '../support/consul';
import { devAgentForSuite } from '../support/dev-agent-suite';
import { createSession, sessionExists } from '../support/locks';
import { runFail, runOk } from '../support/module';
import { startRecordingProxy } from '../support/recording-proxy';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('consul_session state=renewed against a real agent', function () {
  this.timeout(90_000);
  let agent: Agent;
  let env: NodeJS.ProcessEnv;

  devAgentForSuite('renew-node', (started, startedEnv) => {
    agent = started;
    env = startedEnv;
  });

  it('renews by id: changed, with the TTL as Consul answered it', async () => {
    const id = await createSession(agent, { Name: 'by-id', TTL: '1m30s' });
    const result = await runOk({ id, state: 'renewed' }, { env });
    expect(result).to.include({ changed: true, session_id: id, ttl: 90, name: 'by-id', node: 'renew-node' });
    expect(result.sessions).to.have.length(1);
    expect((result.session as { TTL: string }).TTL).to.equal('1m30s');
  });

  it('keeps a 10 s TTL session alive past twice its TTL, while an unrenewed twin is invalidated', async function () {
    this.timeout(60_000);
    const kept = await createSession(agent, { Name: 'kept', TTL: '10s' });
    const dropped = await createSession(agent, { Name: 'dropped', TTL: '10s' });
    const started = Date.now();
    // Consul invalidates an unrenewed TTL session at about twice its TTL (19.6–20.9 s for 10 s on 1.8.7).
    while (Date.now() - started < 20_000) {
      await sleep(6_000);
      expect(await runOk({ name: 'kept', state: 'renewed' }, { env })).to.include({ changed: true, session_id: kept });
    }
    expect(await sessionExists(agent, kept), 'the renewed session lives').to.equal(true);
    expect(await sessionExists(agent, dropped), 'the unrenewed one was invalidated').to.equal(false);
  });

  it('renews every session of a name on the node, and says so', async () => {
    const a = await createSession(agent, { Name: 'twins', TTL: '30s' });
    const b = await createSession(agent, { Name: 'twins', TTL: '30s' });
    const result = await runOk({ name: 'twins', state: 'renewed' }, { env });
    expect(result.changed).to.equal(true);
    expect((result.sessions as Array<{ ID: string }>).map((s) => s.ID).sort()).to.deep.equal([a, b].sort());
    expect((result.warnings as string[]).join(' ')).to.contain("2 sessions named 'twins'");
  });

  it('a session without a TTL: nothing to reset, no change, a warning', async () => {
    const id = await createSession(agent, { Name: 'forever' });
    const result = await runOk({ id, state: 'renewed' }, { env });
    expect(result).to.include({ changed: false, session_id: id, ttl: null });
    expect((result.warnings as string[]).join(' ')).to.contain('has no TTL');
  });

  it('fails for a session that is gone, naming it and saying how to get a new one', async () => {
    const id = await createSession(agent, { Name: 'gone', TTL: '10s' });
    await runOk({ id, state: 'absent' }, { env });
    const byId = await runFail({ id, state: 'renewed' }, { env });
    expect(byId).to.contain(id).and.contain('does not exist').and.contain('state=present');
    const byName = await runFail({ name: 'never-created', state: 'renewed' }, { env });
    expect(byName).to.contain("named 'never-created' on node renew-node").and.contain('state=present');
  });

  it('needs id or name', async () => {
    expect(await runFail({ state: 'renewed' }, { env })).to.contain('state is renewed but any of the following are missing: id, name');
  });

  it('check mode predicts the change without sending the renewal', async () => {
    const id = await createSession(agent, { Name: 'checked', TTL: '20s' });
    const proxy = await startRecordingProxy(agent);
    try {
      const result = await runOk({ id, state: 'renewed', _ansible_check_mode: true }, { env: { CONSUL_HTTP_ADDR: proxy.addr } });
      expect(result).to.include({ changed: true, session_id: id, ttl: 20 });
      expect(proxy.requests.length, 'it did read the session').to.be.greaterThan(0);
      expect(proxy.writes(), 'no PUT in check mode').to.deep.equal([]);
    } finally {
      await proxy.close();
    }
  });
});
