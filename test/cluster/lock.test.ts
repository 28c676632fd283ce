// consul_lock waiting through a leader election on a real 3-server cluster: the waiter's blocking
// queries and acquires go through a client agent while the leader is killed; once a new leader is up
// and the holder lets go, the waiter takes the lock.
import { expect } from 'chai';
import { consulHttp, consulOrSkip } from '../support/consul.js';
import { startCluster, type Cluster, type ClusterAgent } from '../support/cluster.js';
import { runOk } from '../support/module.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const log = (line: string) => console.log(`      [cluster] ${line}`);

/** A write through the client, repeated while the cluster elects a leader. Bounded. */
async function untilOk(client: ClusterAgent, method: string, path: string, body?: unknown): Promise<unknown> {
  for (let i = 0; ; i++) {
    const answer = await consulHttp(client, method, path, body, { timeoutMs: 5_000 }).catch(() => undefined);
    if (answer?.status === 200) return answer.body;
    if (i >= 120) throw new Error(`${method} ${path}: ${answer?.status ?? 'no answer'} ${answer?.text ?? ''}`);
    await sleep(500);
  }
}

describe('cluster: consul_lock waiting through a leader election', function () {
  this.timeout(240_000);
  let cluster: Cluster;
  let client: ClusterAgent;

  before(async function () {
    consulOrSkip(this);
    cluster = await startCluster({ client: true });
    client = cluster.client as ClusterAgent;
  });

  after(async () => {
    await cluster?.stop();
  });

  it('a waiter keeps waiting while the leader is killed, and takes the lock once the holder releases it', async () => {
    const holder = ((await untilOk(client, 'PUT', '/v1/session/create', { Name: 'holder' })) as { ID: string }).ID;
    const waiter = ((await untilOk(client, 'PUT', '/v1/session/create', { Name: 'waiter', TTL: '30s' })) as { ID: string }).ID;
    expect(await untilOk(client, 'PUT', `/v1/kv/cluster/lock?acquire=${holder}`, 'held')).to.equal(true);

    const started = Date.now();
    const waiting = runOk({ ...client.moduleArgs, key: 'cluster/lock', session: waiter, wait: '120s', value: 'waiter' }, { module: 'consul_lock' });
    await sleep(2_000);
    const { leader } = await cluster.waitForLeader();
    await leader.kill();
    const killedAt = Date.now();
    const { leader: next } = await cluster.waitForLeader(60_000);
    log(`killed leader ${leader.name}; ${next.name} leads ${Date.now() - killedAt} ms later`);
    expect(await untilOk(client, 'PUT', `/v1/kv/cluster/lock?release=${holder}`, 'held')).to.equal(true);
    const releasedAt = Date.now();

    const result = await waiting;
    log(`waiter took the lock ${Date.now() - releasedAt} ms after the release (waited ${String(result.waited)} s); warnings: ${JSON.stringify(result.warnings ?? [])}`);
    expect(result).to.include({ changed: true, holder: waiter, acquired: true, value: 'waiter' });
    expect(result.waited).to.be.at.least((releasedAt - started) / 1000 - 1);
    const entry = (await untilOk(client, 'GET', '/v1/kv/cluster/lock?consistent')) as Array<{ Session?: string }>;
    expect(entry[0]?.Session).to.equal(waiter);

    leader.start();
    await leader.waitReady(60_000);
  });
});
