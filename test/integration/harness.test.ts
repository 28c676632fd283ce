import * as net from 'node:net';
import { expect } from 'chai';
import { consulHttp, consulOrSkip, startDevAgent } from '../support/consul.js';
import type { Agent } from '../support/consul.js';

function portIsOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host: '127.0.0.1', port });
    sock.setTimeout(1000);
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('timeout', () => {
      sock.destroy();
      resolve(false);
    });
    sock.once('error', () => resolve(false));
  });
}

describe('consul test harness (real agent)', function () {
  this.timeout(60_000);
  let agent: Agent | undefined;

  before(function () {
    consulOrSkip(this);
  });

  after(async function () {
    await agent?.stop();
  });

  it('starts a dev agent with a leader, on free ports (never 8500)', async function () {
    agent = await startDevAgent({ nodeName: 'harness-node' });
    expect(agent.httpPort).to.not.equal(8500);
    expect(agent.httpAddr).to.equal(`127.0.0.1:${agent.httpPort}`);
    expect(agent.url).to.equal(`http://127.0.0.1:${agent.httpPort}`);
    expect(agent.nodeName).to.equal('harness-node');
    expect(agent.datacenter).to.equal('dc1');

    const leader = await consulHttp(agent, 'GET', '/v1/status/leader');
    expect(leader.status).to.equal(200);
    expect(leader.body).to.equal(`127.0.0.1:${agent.serverPort}`);

    const self = await consulHttp(agent, 'GET', '/v1/agent/self');
    expect(self.status).to.equal(200);
    const config = (self.body as { Config: { NodeName: string; Datacenter: string } }).Config;
    expect(config.NodeName).to.equal('harness-node');
    expect(config.Datacenter).to.equal('dc1');
  });

  it('creates a session and lists it', async function () {
    if (!agent) this.skip();
    const created = await consulHttp(agent, 'PUT', '/v1/session/create', { Name: 'harness-session', TTL: '30s' });
    expect(created.status).to.equal(200);
    const id = (created.body as { ID: string }).ID;
    expect(id).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);

    const list = await consulHttp(agent, 'GET', '/v1/session/list');
    expect(list.status).to.equal(200);
    const sessions = list.body as Array<Record<string, unknown>>;
    const mine = sessions.find((s) => s.ID === id);
    expect(mine).to.include({ Name: 'harness-session', Node: 'harness-node', TTL: '30s', Behavior: 'release' });
    expect(mine?.NodeChecks).to.deep.equal(['serfHealth']);
  });

  it('stop() ends the process and closes the HTTP port', async function () {
    if (!agent) this.skip();
    const { httpPort, pid, dir } = agent;
    expect(await portIsOpen(httpPort)).to.equal(true);
    await agent.stop();
    expect(await portIsOpen(httpPort)).to.equal(false);
    expect(() => process.kill(pid, 0)).to.throw();
    const fs = await import('node:fs');
    expect(fs.existsSync(dir)).to.equal(false);
    await agent.stop(); // idempotent
    agent = undefined;
  });
});
