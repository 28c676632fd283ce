// state=present under transient failures, against a fake session API: a create that failed is never
// re-sent blindly; the named sessions are re-read (?consistent) and a matching one is adopted.
import { expect } from 'chai';
import sinon from 'sinon';
import { parseArgs } from '../../src/shared/args';
import { ConsulError } from '../../src/shared/errors';
import { toSettings } from '../../src/consul_session/params';
import { RetryBudget } from '../../src/shared/retry';
import type { ConsulSession, SessionApi } from '../../src/shared/sessions';
import { runState } from '../../src/consul_session/states';

const NODE = 'n1';
const OWN = '11111111-1111-1111-1111-111111111111';

function session(id: string, name: string, createIndex: number): ConsulSession {
  return { ID: id, Name: name, Node: NODE, LockDelay: 15e9, Behavior: 'release', TTL: '', NodeChecks: ['serfHealth'], CreateIndex: createIndex, ModifyIndex: createIndex };
}

const createFailure = (status: number | undefined, body: string | undefined, code?: string) =>
  new ConsulError('create session', `${body ?? code}`, { request: { method: 'PUT', path: '/v1/session/create' }, status, body, code, transport: code ? 'timeout' : undefined });

/** A SessionApi stand-in: `stored` is what Consul holds; reads and creates are sinon stubs. */
function fakeApi(stored: ConsulSession[]) {
  const budget = new RetryBudget(30_000, { now: () => Date.now(), sleep: () => Promise.resolve(), random: () => 0 });
  const api = {
    consistency: 'default',
    lastRead: {},
    agentSelf: sinon.stub().resolves({ node: NODE, datacenter: 'dc1' }),
    onNode: sinon.stub().callsFake(() => Promise.resolve({ data: [...stored], knownLeader: true, lastContactMs: 0 })),
    info: sinon.stub().callsFake((id: string) => Promise.resolve(stored.find((s) => s.ID === id))),
    create: sinon.stub(),
    destroy: sinon.stub().resolves(),
    retrying: (what: string, attempt: never, retryable?: never) => budget.run(what, attempt, retryable),
    retrySummary: () => budget.summary(),
  };
  return api;
}

const settingsOf = (params: Record<string, unknown>) => toSettings(parseArgs(JSON.stringify(params)), {});

describe('present: recovering from a create that failed transiently', () => {
  it('adopts the session the failed create made instead of creating again', async () => {
    const stored: ConsulSession[] = [];
    const api = fakeApi(stored);
    // The create reached the leader and was applied, but the answer was lost with the leader.
    api.create.callsFake(() => {
      stored.push(session(OWN, 'lock', 50));
      return Promise.reject(createFailure(500, 'rpc error making call: stream closed'));
    });
    const result = await runState(settingsOf({ name: 'lock' }), api as unknown as SessionApi);
    expect(api.create.callCount).to.equal(1);
    expect(result).to.include({ changed: true, session_id: OWN });
    expect(api.onNode.secondCall.args, 're-read with ?consistent').to.deep.equal([NODE, 'consistent']);
    expect(api.destroy.callCount).to.equal(0);
    expect(result.warnings).to.satisfy((w: string[]) => w.some((m) => m.includes('succeeded on attempt 2')));
  });

  it('creates again when the re-read shows the failed create did not happen', async () => {
    const stored: ConsulSession[] = [];
    const api = fakeApi(stored);
    api.create.onFirstCall().rejects(createFailure(undefined, undefined, 'ECONNABORTED'));
    api.create.onSecondCall().callsFake(() => {
      stored.push(session(OWN, 'lock', 60));
      return Promise.resolve(OWN);
    });
    const result = await runState(settingsOf({ name: 'lock' }), api as unknown as SessionApi);
    expect(api.create.callCount).to.equal(2);
    expect(result).to.include({ changed: true, session_id: OWN });
  });

  it('fails, saying so, when its new session is gone by the re-read after the create (never reports it as present)', async () => {
    const api = fakeApi([]);
    api.create.resolves(OWN); // created, then destroyed or invalidated before the re-read
    const outcome = await runState(settingsOf({ name: 'lock' }), api as unknown as SessionApi).catch((e: unknown) => e);
    expect(String((outcome as Error).message)).to.contain(`Session ${OWN}, just created as 'lock' on node ${NODE}, was gone`);
    expect(api.destroy.callCount).to.equal(0);
  });

  it('never retries a permanent create failure', async () => {
    const api = fakeApi([]);
    const error = createFailure(500, "rpc error making call: Missing check 'x' registration");
    api.create.rejects(error);
    const outcome = await runState(settingsOf({ name: 'lock', checks: ['x'] }), api as unknown as SessionApi).catch((e: unknown) => e);
    expect(outcome).to.equal(error);
    expect(api.create.callCount).to.equal(1);
  });

  it('without a name, does not re-send a create that timed out (it may have happened)', async () => {
    const api = fakeApi([]);
    const error = createFailure(undefined, undefined, 'ECONNABORTED');
    api.create.rejects(error);
    const outcome = await runState(settingsOf({}), api as unknown as SessionApi).catch((e: unknown) => e);
    expect(outcome).to.equal(error);
    expect(api.create.callCount).to.equal(1);
  });

  it('without a name, re-sends a create Consul refused before any server applied it', async () => {
    const stored: ConsulSession[] = [];
    const api = fakeApi(stored);
    api.create.onFirstCall().rejects(createFailure(500, 'No cluster leader'));
    api.create.onSecondCall().callsFake(() => {
      stored.push(session(OWN, '', 70));
      return Promise.resolve(OWN);
    });
    const result = await runState(settingsOf({}), api as unknown as SessionApi);
    expect(api.create.callCount).to.equal(2);
    expect(result).to.include({ changed: true, session_id: OWN });
  });
});
