// The fault proxy itself, against a real dev agent: each fault does what the chaos test counts it as,
// and faults are decided per request on a kept-alive connection.
import { expect } from 'chai';
import { ConsulClient } from '../../src/shared/consul';
import { ConsulError } from '../../src/shared/errors';
import type { TransportFailure } from '../../src/shared/transport-errors';
import { consulHttp, consulOrSkip, startDevAgent, type Agent } from '../support/consul';
import { startFaultProxy, type Decision, type FaultProxy } from '../support/fault-proxy';

describe('chaos: the fault proxy, per request, against a real agent', function () {
  this.timeout(60_000);
  let agent: Agent;
  let proxy: FaultProxy;
  let next: Decision[] = [];

  before(async function () {
    consulOrSkip(this);
    agent = await startDevAgent({ nodeName: 'proxied' });
    const [host = '', port = ''] = agent.httpAddr.replace(/^https?:\/\//, '').split(':');
    proxy = await startFaultProxy({ host, port: Number(port) }, () => next.shift() ?? 'pass', 1_500);
  });

  after(async () => {
    await proxy?.close();
    await agent?.stop();
  });

  const client = () => new ConsulClient({ baseUrl: `http://127.0.0.1:${proxy.port}`, host: '127.0.0.1', port: proxy.port, scheme: 'http', validateCerts: true, timeoutMs: 1_000 });
  const sessionCount = async () => ((await consulHttp(agent, 'GET', '/v1/session/list')).body as unknown[]).length;

  async function createThrough(decision: Decision): Promise<{ error: ConsulError | undefined; created: number }> {
    const before = await sessionCount();
    const c = client();
    next = [decision];
    let error: ConsulError | undefined;
    try {
      await c.put('/v1/session/create', 'create session p', undefined, { Name: 'p', LockDelay: '0s' });
    } catch (e) {
      error = e as ConsulError;
    } finally {
      c.close();
    }
    return { error, created: (await sessionCount()) - before };
  }

  const cases: Array<[Decision, TransportFailure | undefined, number]> = [
    ['pass', undefined, 1],
    ['reset-before', 'reset', 0],
    ['reset-after-answer', 'reset', 1],
    ['stall', 'timeout', 1],
    ['truncate', 'cut-short', 1],
  ];
  for (const [decision, failure, created] of cases) {
    it(`${decision}: the module sees ${failure ?? 'the answer'}, and the create ${created ? 'happened' : 'never reached Consul'}`, async () => {
      const outcome = await createThrough(decision);
      expect(outcome.error?.transport).to.equal(failure);
      expect(outcome.created).to.equal(created);
    });
  }

  it('decides per request: the third request on one kept-alive connection is the one reset', async () => {
    const c = client();
    const accepted = proxy.connectionsAccepted;
    next = ['pass', 'pass', 'reset-before'];
    try {
      await c.get('/v1/session/list', 'list the sessions');
      await c.get('/v1/session/list', 'list the sessions');
      expect(proxy.connectionsAccepted - accepted, 'both went over one connection').to.equal(1);
      const error = await c.get('/v1/session/list', 'list the sessions').then(
        () => undefined,
        (e: unknown) => e as ConsulError,
      );
      expect(error?.transport).to.equal('reset');
    } finally {
      c.close();
    }
    expect(proxy.faults['reset-before']).to.be.at.least(2);
    expect(proxy.createFaults['reset-after-answer']).to.equal(1);
    expect(proxy.protocolErrors).to.deep.equal([]);
  });
});
