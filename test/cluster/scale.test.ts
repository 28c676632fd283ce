// 10,000 sessions: `list` returns every one, and the result arrives complete through a pipe that is
// read slowly (the module sets process.exitCode instead of calling process.exit(), so nothing is cut).
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { consulHttp, consulOrSkip, startDevAgent, type Agent } from '../support/consul.js';
import { seedSessions } from '../support/cluster.js';
import { MODULE_PATH, moduleNode, parseSingleJson, runOk } from '../support/module.js';

const COUNT = 10_000;

interface SessionRow {
  ID: string;
  Name: string;
}

describe('cluster: a datacenter holding 10,000 sessions', function () {
  this.timeout(180_000);
  let agent: Agent;
  let seeded: string[];

  before(async function () {
    consulOrSkip(this);
    agent = await startDevAgent({ nodeName: 'scale-node' });
    const started = Date.now();
    seeded = await seedSessions(agent, COUNT, { concurrency: 32, name: (i) => `scale-${i}` });
    console.log(`      [scale] seeded ${COUNT} sessions in ${Date.now() - started} ms (32 parallel creates)`);
  });

  after(async function () {
    await agent?.stop();
  });

  it('list returns all of them, each as Consul has it', async () => {
    const result = await runOk({ state: 'list', host: '127.0.0.1', port: agent.httpPort });
    const sessions = result.sessions as SessionRow[];
    expect(sessions).to.have.length(COUNT);
    expect(new Set(sessions.map((s) => s.ID))).to.deep.equal(new Set(seeded));
    const byId = new Map(sessions.map((s) => [s.ID, s]));
    seeded.forEach((id, i) => expect(byId.get(id)?.Name).to.equal(`scale-${i}`));
    const direct = await consulHttp(agent, 'GET', '/v1/session/list');
    expect(sessions).to.deep.equal(direct.body);
  });

  it('the whole result arrives through a pipe that is read slowly', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'consul-session-scale-'));
    try {
      const argsFile = join(dir, 'args');
      writeFileSync(argsFile, JSON.stringify({ state: 'list', host: '127.0.0.1', port: agent.httpPort }));
      const child = spawn(moduleNode(), [MODULE_PATH, argsFile], { stdio: ['ignore', 'pipe', 'pipe'] });
      // Nothing is read for a while: the module's writes fill the pipe and must wait, not be dropped.
      child.stdout.pause();
      const chunks: Buffer[] = [];
      child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
      const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      child.stdout.resume();
      const code = await exited;
      const stdout = Buffer.concat(chunks).toString('utf8');
      expect(stdout.length).to.be.greaterThan(1_000_000);
      const result = parseSingleJson(stdout);
      expect(code).to.equal(0);
      expect((result.sessions as SessionRow[]).length).to.equal(COUNT);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
