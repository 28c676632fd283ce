// Every state of the BUILT module against a real Consul 1.8.7 dev agent.
import { expect } from 'chai';
import { consulHttp, type Agent } from '../support/consul';
import { devAgentForSuite } from '../support/dev-agent-suite';
import type { ConsulSession as Session } from '../../src/shared/sessions';
import { runFail, runModule, runOk } from '../support/module';

describe('consul_session against a real agent', function () {
  this.timeout(120_000);
  let agent: Agent;
  let env: NodeJS.ProcessEnv;

  const allSessions = async () => (await consulHttp(agent, 'GET', '/v1/session/list')).body as Session[];
  const named = async (name: string) => (await allSessions()).filter((s) => s.Name === name);

  devAgentForSuite('node-a', (started, startedEnv) => {
    agent = started;
    env = startedEnv;
  });

  describe('present', () => {
    it('creates a named session once, then reports no change', async () => {
      const first = await runOk({ name: 'web-lock', ttl: '30s' }, { env });
      expect(first).to.include({ changed: true, name: 'web-lock', node: 'node-a', ttl: 30, delay: 15, behavior: 'release' });
      const id = first.session_id as string;
      expect(id).to.match(/^[0-9a-f-]{36}$/);
      const second = await runOk({ name: 'web-lock', ttl: '30s' }, { env });
      expect(second).to.include({ changed: false, session_id: id });
      const stored = await named('web-lock');
      expect(stored.map((s) => s.ID)).to.deep.equal([id]);
      expect(stored[0]).to.include({ TTL: '30s', LockDelay: 15e9, Node: 'node-a' });
    });

    it('accepts the classic docs example delay: 20s', async () => {
      const result = await runOk({ name: 'with-delay', delay: '20s' }, { env });
      expect(result).to.include({ changed: true, delay: 20 });
      expect((await named('with-delay'))[0]?.LockDelay).to.equal(20e9);
    });

    it('replaces a drifted session: creates the new one, then destroys the old', async () => {
      const old = await runOk({ name: 'drift', behavior: 'release' }, { env });
      const replaced = await runOk({ name: 'drift', behavior: 'delete' }, { env });
      expect(replaced.changed).to.equal(true);
      expect(replaced.removed).to.deep.equal([old.session_id]);
      const stored = await named('drift');
      expect(stored).to.have.length(1);
      expect(stored[0]).to.include({ ID: replaced.session_id, Behavior: 'delete' });
    });

    it('converges ten racing runs of one name on ONE session', async () => {
      const runs = await Promise.all(Array.from({ length: 10 }, () => runOk({ name: 'raced', ttl: '60s' }, { env })));
      const stored = await named('raced');
      expect(stored, JSON.stringify(stored)).to.have.length(1);
      const winner = stored[0]?.ID;
      for (const run of runs) expect(run.session_id).to.equal(winner);
    });

    it('keeps the oldest of existing duplicates and destroys the others, saying why', async () => {
      const create = (body: object) => consulHttp(agent, 'PUT', '/v1/session/create', body);
      const a = (await create({ Name: 'dup', Node: 'node-a' })).body as { ID: string };
      const b = (await create({ Name: 'dup', Node: 'node-a' })).body as { ID: string };
      const result = await runOk({ name: 'dup' }, { env });
      expect(result).to.include({ changed: true, session_id: a.ID });
      expect(result.removed).to.deep.equal([b.ID]);
      expect((result.warnings as string[]).join(' ')).to.contain(b.ID).and.to.contain('keep their locks');
      expect((await named('dup')).map((s) => s.ID)).to.deep.equal([a.ID]);
      expect(await runOk({ name: 'dup' }, { env })).to.include({ changed: false, session_id: a.ID });
    });

    it('with an id: confirms an existing session, fails for a missing one', async () => {
      const created = await runOk({ name: 'by-id' }, { env });
      expect(await runOk({ id: created.session_id }, { env })).to.include({ changed: false, session_id: created.session_id });
      const msg = await runFail({ id: '00000000-0000-4000-8000-000000000000' }, { env });
      expect(msg).to.contain('does not exist').and.to.contain('give a name');
    });

    it('without name or id: creates a new session each run, with a warning', async () => {
      const before = (await allSessions()).length;
      const result = await runOk({}, { env });
      expect(result.changed).to.equal(true);
      expect((result.warnings as string[])[0]).to.contain('new session on every run');
      expect((await allSessions()).length).to.equal(before + 1);
    });

    it('names the unknown check in Consul words when a check does not exist', async () => {
      const msg = await runFail({ name: 'bad-check', checks: ['nope'] }, { env });
      expect(msg).to.contain("Missing check 'nope' registration").and.to.contain('500');
      expect(await named('bad-check')).to.have.length(0);
    });

    it('stores a unicode name exactly (the body is sent with a Content-Length)', async () => {
      const name = 'héllo ✓ 日本 "q"';
      const result = await runOk({ name }, { env });
      expect((await allSessions()).find((s) => s.ID === result.session_id)?.Name).to.equal(name);
    });
  });

  describe('check mode and diff mode', () => {
    const check = { _ansible_check_mode: true, _ansible_diff: true };

    it('predicts a create without sending it, then the real run reports the same', async () => {
      const before = await allSessions();
      const predicted = await runOk({ name: 'checked', ttl: '20s', ...check }, { env });
      expect(predicted).to.include({ changed: true, session_id: null });
      expect(predicted.diff).to.deep.include({ before: { sessions: [] } });
      expect(await allSessions()).to.deep.equal(before);
      const real = await runOk({ name: 'checked', ttl: '20s', _ansible_diff: true }, { env });
      expect(real.changed).to.equal(predicted.changed);
      expect((real.diff as { after: { sessions: Array<{ ttl: number }> } }).after.sessions[0]?.ttl).to.equal(20);
    });

    it('predicts a removal without sending it', async () => {
      await runOk({ name: 'to-remove' }, { env });
      const before = await allSessions();
      const predicted = await runOk({ name: 'to-remove', state: 'absent', ...check }, { env });
      expect(predicted.changed).to.equal(true);
      expect((predicted.removed as string[]).length).to.equal(1);
      expect(await allSessions()).to.deep.equal(before);
    });
  });

  describe('absent', () => {
    it('removes by name, then reports no change', async () => {
      const created = await runOk({ name: 'gone' }, { env });
      const removed = await runOk({ name: 'gone', state: 'absent' }, { env });
      expect(removed).to.include({ changed: true });
      expect(removed.removed).to.deep.equal([created.session_id]);
      expect(await runOk({ name: 'gone', state: 'absent' }, { env })).to.include({ changed: false });
      expect(await named('gone')).to.have.length(0);
    });

    it('removes by id, then reports no change', async () => {
      const created = await runOk({ name: 'gone-by-id' }, { env });
      expect(await runOk({ id: created.session_id, state: 'absent' }, { env })).to.include({ changed: true });
      expect(await runOk({ id: created.session_id, state: 'absent' }, { env })).to.include({ changed: false });
    });
  });

  describe('reads never change anything', () => {
    it('info returns the session, or null for an unknown id', async () => {
      const created = await runOk({ name: 'info-me' }, { env });
      const found = await runOk({ state: 'info', id: created.session_id }, { env });
      expect(found).to.include({ changed: false, session_id: created.session_id });
      expect((found.session as Session).Name).to.equal('info-me');
      expect(found.sessions).to.be.an('array').with.length(1);
      const missing = await runOk({ state: 'info', id: '00000000-0000-4000-8000-000000000001' }, { env });
      expect(missing).to.include({ changed: false, session: null });
      expect(missing.sessions).to.deep.equal([]);
    });

    it('node lists the node\'s sessions as a plain list, with name as the node for compatibility', async () => {
      const byNode = await runOk({ state: 'node', node: 'node-a' }, { env });
      const byName = await runOk({ state: 'node', name: 'node-a' }, { env });
      expect(byNode.changed).to.equal(false);
      expect(byNode.sessions).to.be.an('array').that.is.not.empty;
      expect((byNode.sessions as Session[]).every((s) => s.Node === 'node-a')).to.equal(true);
      expect(byName.sessions).to.deep.equal(byNode.sessions);
    });

    it('list returns every session of the datacenter', async () => {
      const listed = await runOk({ state: 'list' }, { env });
      expect(listed.changed).to.equal(false);
      expect((listed.sessions as Session[]).map((s) => s.ID).sort()).to.deep.equal((await allSessions()).map((s) => s.ID).sort());
    });
  });

  describe('failures', () => {
    it('refuses a node name that would leave the session endpoint, before any request', async () => {
      await consulHttp(agent, 'PUT', '/v1/kv/x', 'secret-value');
      const msg = await runFail({ state: 'node', node: 'a/../../../kv/x' }, { env });
      expect(msg).to.contain('value of node must be a node name');
    });

    it('reports Consul\'s own error for a wrong datacenter', async () => {
      expect(await runFail({ state: 'list', datacenter: 'nodc' }, { env })).to.contain('No path to datacenter');
    });

    it('names host and port when no agent answers', async () => {
      const msg = await runFail({ state: 'list', host: '127.0.0.1', port: 1, retry_timeout: 0 }, { env: {} });
      expect(msg).to.contain('127.0.0.1:1').and.to.contain('connection refused');
    });

    it('retries a refused connection within retry_timeout, then says how long it tried', async () => {
      const msg = await runFail({ state: 'list', host: '127.0.0.1', port: 1, retry_timeout: 1.5 }, { env: {} });
      expect(msg).to.match(/gave up after \d+ attempts over [\d.]+ s \(retry_timeout is 1.5 s\)/);
      expect(msg).to.contain('connection refused');
    });

    it('never prints the token, even when Consul answers an error', async () => {
      const token = 'f00dcafe-0000-4000-8000-5ec7e7000000';
      const run = await runModule({ name: 'x', checks: ['nope'], token }, { env });
      expect(run.stdout).not.to.contain(token);
      expect(run.stdout).to.contain('VALUE_SPECIFIED_IN_NO_LOG_PARAMETER');
    });

    it('reports invalid input with Ansible\'s wording and exit 1', async () => {
      expect(await runFail({ state: 'bogus' }, { env })).to.equal(
        'value of state must be one of: absent, info, list, node, present, renewed, got: bogus',
      );
      expect(await runFail({ port: 'x' }, { env })).to.match(/^argument 'port' is of type str and we were unable to convert to int/);
      expect(await runFail({ state: 'info' }, { env })).to.equal('state is info but all of the following are missing: id');
      expect(await runFail({ ttl: '5s', name: 'short' }, { env })).to.contain('value of ttl must be at least 10 seconds');
      expect(await named('short')).to.have.length(0);
    });

    it('explains a missing, unreadable, invalid or non-object args file', async () => {
      expect(await runFail({}, { argsPath: '/nonexistent/args.json' })).to.contain('does not exist');
      expect(await runFail({}, { argsPath: '/tmp' })).to.contain('not a regular file');
      expect(await runFail({}, { rawArgs: '{"state": ' })).to.contain('is not valid JSON');
      expect(await runFail({}, { rawArgs: '"list"' })).to.contain('must hold a JSON object of parameters, not a string');
      expect(await runFail({}, { noArgs: true })).to.contain('No arguments file was given');
    });
  });
});
