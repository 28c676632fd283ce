// consul_session state=renewed with keep_alive (the keeper) against a real 1.8.7 agent, run as Ansible's
// async wrapper runs it (ANSIBLE_ASYNC_DIR set): how each run ends, and what its one JSON result says.
// Also the check-mode rule for a null session (shared/pending-session.ts) in both modules.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { consulHttp, type Agent } from '../support/consul';
import { devAgentForSuite } from '../support/dev-agent-suite';
import { startFaultProxy } from '../support/fault-proxy';
import { createSession, kvEntry, lockFail, lockOk, sessionExists } from '../support/locks';
import { moduleNode, modulePath, parseSingleJson, runFail, runOk } from '../support/module';

const ASYNC = { ANSIBLE_ASYNC_DIR: '/nonexistent/async-dir' };

/** The keeper as a child process, to signal it or act on Consul while it runs. */
function startKeeper(args: Record<string, unknown>, env: NodeJS.ProcessEnv) {
  const dir = mkdtempSync(join(tmpdir(), 'consul-keeper-args-'));
  writeFileSync(join(dir, 'args'), JSON.stringify({ state: 'renewed', ...args }));
  const child = spawn(moduleNode(), [modulePath('consul_session'), join(dir, 'args')], { env: { PATH: process.env.PATH, ...ASYNC, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
  const started = Date.now();
  const result = new Promise<{ result: Record<string, unknown>; code: number | null; ms: number }>((done) =>
    child.on('close', (code) => {
      rmSync(dir, { recursive: true, force: true });
      done({ result: parseSingleJson(Buffer.concat(out).toString('utf8')), code, ms: Date.now() - started });
    }),
  );
  return { child, result };
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

describe('consul_session keep_alive (the keeper) against a real agent', function () {
  this.timeout(60_000);
  let agent: Agent;
  let env: NodeJS.ProcessEnv;

  devAgentForSuite('keeper-node', (started, startedEnv) => {
    agent = started;
    env = startedEnv;
  });

  it('ends within moments once the session is destroyed, saying so', async () => {
    const id = await createSession(agent, { Name: 'gone-soon', TTL: '10s' });
    const keeper = startKeeper({ id, keep_alive: '5m' }, env);
    await sleep(1_500);
    const destroyedAt = Date.now();
    await consulHttp(agent, 'PUT', `/v1/session/destroy/${id}`);
    const { result, code } = await keeper.result;
    const endedAfterDestroyMs = Date.now() - destroyedAt;
    expect(code).to.equal(0);
    expect(result).to.include({ changed: true, ended: 'session_gone', session_id: id, renewals: 1, ttl: 10, renew_every: 5, keep_alive: 300 });
    expect(result).not.to.have.property('warnings');
    expect(String(result.msg)).to.match(/^Kept session \S+ alive for [\d.]+ s with 1 renewal; the session no longer exists/);
    // A blocking read notices the destroy; a keeper that only woke up to renew would take up to 5 s.
    expect(endedAfterDestroyMs).to.be.below(2_500);
  });

  it('SIGTERM ends it cleanly with its result, and the session is left to its TTL', async () => {
    const id = await createSession(agent, { Name: 'signalled', TTL: '10s' });
    const keeper = startKeeper({ id, keep_alive: '5m' }, env);
    await sleep(1_500);
    keeper.child.kill('SIGTERM');
    const { result, code, ms } = await keeper.result;
    expect(code).to.equal(0);
    expect(ms).to.be.below(5_000);
    expect(result).to.include({ changed: true, ended: 'signal', renewals: 1 });
    expect(String(result.warnings)).to.contain('was stopped by SIGTERM');
    expect(await sessionExists(agent, id)).to.equal(true);
  });

  it('loses Consul (every request stalls) for longer than its TTL: ends with a warning that the lock may be lost, not a hang', async () => {
    const id = await createSession(agent, { Name: 'cut-off', TTL: '10s' });
    let cut = false;
    const proxy = await startFaultProxy({ host: '127.0.0.1', port: agent.httpPort }, () => (cut ? 'stall' : 'pass'), 4_000);
    try {
      const keeper = startKeeper({ id, keep_alive: '5m', ...proxy.moduleArgs, timeout: 2 }, {});
      await sleep(6_000); // renewed at 0 and 5 s
      cut = true;
      const { result, code, ms } = await keeper.result;
      expect(code).to.equal(0);
      expect(result).to.include({ changed: true, ended: 'consul_unreachable', renewals: 2 });
      expect(String(result.warnings)).to.match(/Could not renew session \S+ for [\d.]+ s, longer than its TTL \(10 s\).*may have been lost/);
      // Given up a TTL after the last renewal (at 5 s), plus at most one attempt's timeout.
      expect(ms).to.be.within(14_000, 19_000);
      console.log(`      [keeper] Consul cut off at 6 s: the keeper gave up after ${(ms / 1000).toFixed(1)} s (last renewal at 5 s, TTL 10 s)`);
    } finally {
      await proxy.close();
    }
  });

  it('refuses to run outside async, where it would hold the play, before any request', async () => {
    const msg = await runFail({ id: '0b2fa4a9-6d0b-4e34-b3d4-2c1a0f0f5a6e', state: 'renewed', keep_alive: 120, port: 1 }, { env });
    expect(msg).to.equal('keep_alive keeps renewing for up to 120 s, so this task must run in the background: add async: 180 (at least keep_alive) and poll: 0 to it, and read its result later with async_status.');
  });

  it('refuses keep_alive with another state, and a name that matches several sessions', async () => {
    expect(await runFail({ name: 'x', keep_alive: 60 }, { env })).to.contain('keep_alive keeps a session alive with state=renewed; it does nothing with state=present');
    await createSession(agent, { Name: 'twin', TTL: '10s' });
    await createSession(agent, { Name: 'twin', TTL: '10s' });
    const msg = await runFail({ name: 'twin', state: 'renewed', keep_alive: 60 }, { env: { ...env, ...ASYNC } });
    expect(msg).to.contain("keep_alive keeps one session alive, but there are 2 of a session named 'twin' on node keeper-node: give the session's id instead.");
  });

  describe('a null session in check mode (what check-mode present reports)', () => {
    for (const [label, session] of [['null', null], ['"" (ansible-core 2.14 templates None as "")', '']] as const) {
      it(`session ${label}: consul_lock reports what it would do and writes nothing; a real run fails naming the cause`, async () => {
        const check = { _ansible_check_mode: true };
        const acquired = await lockOk({ key: 'pending/lock', session, wait: 0, ...check }, { env });
        expect(acquired).to.include({ changed: true, acquired: true, holder: null, pending_session: true });
        expect(String(acquired.warnings)).to.contain('In check mode, session null stands for the session consul_session would create');
        expect(await lockOk({ key: 'pending/lock', session, state: 'released', ...check }, { env })).to.include({ changed: false, pending_session: true });
        expect(await kvEntry(agent, 'pending/lock')).to.equal(undefined);
        // consul_session with the same null id: renewing and destroying it are predicted too.
        expect(await runOk({ id: session, state: 'renewed', ...check }, { env })).to.include({ changed: true, session_id: null, pending_session: true });
        expect(await runOk({ id: session, state: 'absent', ...check }, { env })).to.include({ changed: false, pending_session: true });

        const real = await lockFail({ key: 'pending/lock', session, wait: 0 }, { env });
        expect(real).to.match(/^session is (null|empty): consul_lock needs the ID of an existing session here\. consul_session reports session_id null when it ran in check mode/);
        expect(await runFail({ id: session, state: 'absent' }, { env })).to.match(/^id is (null|empty): consul_session needs the ID/);
        // Where no session is needed, a null one is simply not given.
        expect(await lockOk({ key: 'pending/lock', session, state: 'info' }, { env })).to.include({ acquired: false, holder: null });
      });
    }
  });
});
