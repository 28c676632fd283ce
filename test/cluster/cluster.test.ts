// The module against a real Consul 1.8.7 cluster on loopback: three dc1 servers, a dc1 client agent the
// module talks to, and dc2 (one server) WAN-joined to dc1. The cluster is started once for the group;
// tests that kill agents bring them back before they end.
import { expect } from 'chai';
import { consulHttp, consulOrSkip } from '../support/consul.js';
import { startCluster, type Cluster, type ClusterAgent } from '../support/cluster.js';
import { runFail, runModule, runOk, type ModuleRun } from '../support/module.js';

interface SessionRow {
  ID: string;
  Name: string;
  Node: string;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function sessionsVia(agent: ClusterAgent, query = ''): Promise<SessionRow[]> {
  // Bounded: a read right after an election may still be refused for a moment.
  for (let i = 0; ; i++) {
    const answer = await consulHttp(agent, 'GET', `/v1/session/list?consistent${query}`);
    if (answer.status === 200) return answer.body as SessionRow[];
    if (i >= 60) throw new Error(`session list: ${answer.status} ${answer.text}`);
    await sleep(500);
  }
}

function log(line: string): void {
  // Figures for the report, never assertions on time.
  console.log(`      [cluster] ${line}`);
}

describe('cluster: three dc1 servers, a client agent, and dc2', function () {
  this.timeout(240_000);
  let cluster: Cluster;
  let client: ClusterAgent;
  let dc2: ClusterAgent;

  before(async function () {
    consulOrSkip(this);
    const started = Date.now();
    cluster = await startCluster({ client: true, dc2: true });
    client = cluster.client as ClusterAgent;
    dc2 = cluster.dc2 as ClusterAgent;
    log(`cluster up (3 servers, 1 client, dc2) in ${Date.now() - started} ms`);
  });

  after(async function () {
    await cluster?.stop();
  });

  describe('datacenter: dc2 through a dc1 agent', () => {
    const viaDc1 = () => ({ ...client.moduleArgs, datacenter: 'dc2', node: dc2.name });

    it('present, info, node, list and absent act on dc2 sessions on dc2 nodes', async () => {
      const created = await runOk({ ...viaDc1(), state: 'present', name: 'dc2-lock', ttl: '30s' });
      expect(created).to.include({ changed: true, node: dc2.name, datacenter: 'dc2' });
      const id = created.session_id as string;
      expect(id).to.be.a('string');

      const inDc2 = await sessionsVia(dc2);
      expect(inDc2.map((s) => s.ID)).to.include(id);
      expect(inDc2.find((s) => s.ID === id)?.Node).to.equal(dc2.name);
      expect((await sessionsVia(client)).map((s) => s.ID), 'not in dc1').not.to.include(id);

      const again = await runOk({ ...viaDc1(), state: 'present', name: 'dc2-lock', ttl: '30s' });
      expect(again).to.include({ changed: false, session_id: id });

      const info = await runOk({ ...client.moduleArgs, datacenter: 'dc2', state: 'info', id });
      expect((info.session as SessionRow).Name).to.equal('dc2-lock');

      const onNode = await runOk({ ...viaDc1(), state: 'node' });
      expect((onNode.sessions as SessionRow[]).map((s) => s.ID)).to.include(id);

      const listed = await runOk({ ...client.moduleArgs, datacenter: 'dc2', state: 'list' });
      expect((listed.sessions as SessionRow[]).map((s) => s.ID)).to.include(id);
      expect(listed.known_leader).to.equal(true);

      const removed = await runOk({ ...viaDc1(), state: 'absent', name: 'dc2-lock' });
      expect(removed).to.include({ changed: true });
      expect(removed.removed).to.deep.equal([id]);
      expect((await sessionsVia(dc2)).map((s) => s.ID)).not.to.include(id);
    });

    it('a datacenter that does not exist fails at once with Consul\'s "No path to datacenter"', async () => {
      const run = await runModule({ ...client.moduleArgs, datacenter: 'nodc', state: 'list' });
      expect(run.result.failed).to.equal(true);
      expect(String(run.result.msg)).to.contain('No path to datacenter');
      expect(String(run.result.msg), 'a permanent error is not retried').not.to.contain('gave up');
    });
  });

  describe('consistency modes', () => {
    it('reports the mode and what the answering server knew of its leader', async () => {
      for (const consistency of ['default', 'consistent', 'stale'] as const) {
        const listed = await runOk({ ...client.moduleArgs, state: 'list', consistency });
        expect(listed.consistency).to.equal(consistency);
        expect(listed.known_leader).to.equal(true);
        expect(listed.last_contact_ms).to.be.a('number');
      }
    });

    it('present never decides from a stale read', async () => {
      const run = await runOk({ ...client.moduleArgs, state: 'present', name: 'not-stale', consistency: 'stale' });
      expect(run.consistency).to.equal('default');
      expect(run.warnings).to.satisfy((w: string[]) => w.some((m) => m.includes('consistency=stale')));
      await runOk({ ...client.moduleArgs, state: 'absent', name: 'not-stale' });
    });
  });

  describe('leader loss', () => {
    it('20 present runs across a leader kill: each succeeds or fails cleanly, and no name gets two sessions', async function () {
      const bystanders: string[] = [];
      for (let i = 0; i < 5; i++) {
        const made = await consulHttp(client, 'PUT', '/v1/session/create', { Name: `bystander-${i}`, LockDelay: '0s' });
        bystanders.push((made.body as { ID: string }).ID);
      }
      const { leader } = await cluster.waitForLeader();
      const names = Array.from({ length: 20 }, (_, i) => `leader-kill-${i}`);
      const started = Date.now();
      const runs = names.map(async (name, i) => {
        await sleep(i * 100);
        return runModule({ ...client.moduleArgs, state: 'present', name, ttl: '60s' });
      });
      await sleep(500);
      const killedAt = Date.now();
      await leader.kill();
      const { leader: next, waitedMs } = await cluster.waitForLeader(60_000);
      log(`killed leader ${leader.name} ${killedAt - started} ms after the first run started; ${next.name} leads ${Date.now() - killedAt} ms after the kill (polled ${waitedMs} ms)`);
      const results: ModuleRun[] = await Promise.all(runs);
      log(`all 20 runs ended ${Date.now() - killedAt} ms after the kill`);

      const ok = results.filter((r) => !r.result.failed);
      const failed = results.filter((r) => r.result.failed);
      const retried = ok.filter((r) => (r.result.warnings as string[] | undefined)?.some((w) => w.includes('Consul was unavailable')));
      log(`${ok.length} succeeded (${retried.length} after retrying), ${failed.length} failed`);
      for (const r of failed) log(`failure: ${String(r.result.msg)}`);
      for (const r of retried.slice(0, 3)) log(`warning: ${(r.result.warnings as string[]).join(' | ')}`);
      for (const r of failed) {
        expect(String(r.result.msg)).to.match(/gave up after \d+ attempts? over [\d.]+ s .*: \S/);
      }

      const after = await sessionsVia(client);
      results.forEach((r, i) => {
        const mine = after.filter((s) => s.Name === names[i]);
        if (r.result.failed) expect(mine.length, `${names[i]} (failed run)`).to.be.at.most(1);
        else expect(mine.map((s) => s.ID), `${names[i]}`).to.deep.equal([r.result.session_id]);
      });
      for (const id of bystanders) expect(after.map((s) => s.ID), 'bystander sessions survive').to.include(id);

      // Every name converges on ONE session once the cluster is back.
      const reruns = await Promise.all(names.map((name) => runOk({ ...client.moduleArgs, state: 'present', name, ttl: '60s' })));
      const final = await sessionsVia(client);
      names.forEach((name, i) => {
        expect(final.filter((s) => s.Name === name).map((s) => s.ID), name).to.deep.equal([reruns[i]?.session_id]);
      });

      leader.start();
      await leader.waitReady(60_000);
    });
  });

  describe('agent restart', () => {
    it('the agent the module talks to is down, and comes back 3 s later while the module retries: the run succeeds', async () => {
      await client.kill();
      const run = runOk({ ...client.moduleArgs, state: 'present', name: 'restart-lock' });
      await sleep(3_000);
      const restartedAt = Date.now();
      client.start();
      const result = await run;
      log(`run ended ${Date.now() - restartedAt} ms after the restart; warnings: ${JSON.stringify(result.warnings)}`);
      expect(result).to.include({ changed: true, node: client.name });
      expect(result.warnings).to.satisfy((w: string[]) => w.some((m) => m.includes('Consul was unavailable (connection refused')));
      const named = (await sessionsVia(client)).filter((s) => s.Name === 'restart-lock');
      expect(named.map((s) => s.ID)).to.deep.equal([result.session_id]);
    });
  });

  describe('outage without quorum', () => {
    it('stale reads answer from a follower while default reads give up naming the cause', async () => {
      const { leader } = await cluster.waitForLeader();
      const others = cluster.servers.filter((s) => s !== leader);
      const survivor = others[0] as ClusterAgent;
      const down = [leader, others[1] as ClusterAgent];
      const marker = await runOk({ ...survivor.moduleArgs, state: 'present', name: 'outage-marker' });
      // A follower applies a commit a moment after the leader: wait until the survivor has it. Bounded.
      for (let i = 0; i < 50; i++) {
        const local = await consulHttp(survivor, 'GET', '/v1/session/list?stale');
        if ((local.body as SessionRow[]).some((s) => s.ID === marker.session_id)) break;
        await sleep(100);
      }
      for (const server of down) await server.kill();
      // The survivor notices the lost leader after its heartbeat timeout. Bounded poll.
      for (let i = 0; i < 150; i++) {
        const local = await consulHttp(survivor, 'GET', '/v1/session/list?stale');
        if (local.headers['x-consul-knownleader'] === 'false') break;
        await sleep(200);
      }

      const stale = await runOk({ ...survivor.moduleArgs, state: 'list', consistency: 'stale', retry_timeout: 0 });
      expect(stale.consistency).to.equal('stale');
      expect((stale.sessions as SessionRow[]).map((s) => s.ID)).to.include(marker.session_id);
      expect(stale.known_leader).to.equal(false);
      log(`stale list without quorum: known_leader ${String(stale.known_leader)}, last_contact_ms ${String(stale.last_contact_ms)}`);

      const msg = await runFail({ ...survivor.moduleArgs, state: 'list', retry_timeout: 2 });
      log(`default list without quorum: ${msg}`);
      expect(msg).to.match(/gave up after \d+ attempts? over [\d.]+ s \(retry_timeout is 2 s\): (No cluster leader|.*failed to get conn)/);

      for (const server of down) server.start();
      await cluster.waitForLeader(60_000);
    });
  });
});
