/**
 * What Consul really holds, read straight from a server of the cluster with ?consistent (never through
 * the fault proxy or the client agent), while servers are being stopped and started.
 */
import type { ConsulSession } from '../../src/shared/sessions';
import type { Cluster, ClusterAgent } from '../support/cluster';
import { consulHttp } from '../support/consul';

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Asks the running servers in turn until one answers 200 (or 404, when `missingOk`: then undefined);
 * bounded by `limitMs` (an election takes ~15 s).
 */
export async function fromServers(cluster: Cluster, method: string, path: string, body?: unknown, limitMs = 90_000, missingOk = false): Promise<unknown> {
  const deadline = Date.now() + limitMs;
  let last = 'no server was running';
  for (let turn = 0; Date.now() < deadline; turn++) {
    const running = cluster.servers.filter((s) => s.running);
    const server: ClusterAgent | undefined = running[turn % Math.max(running.length, 1)];
    if (server) {
      try {
        const answer = await consulHttp(server, method, path, body, { timeoutMs: 5_000 });
        if (answer.status === 200) return answer.body;
        if (answer.status === 404 && missingOk) return undefined;
        last = `${server.name}: ${answer.status} ${answer.text.trim()}`;
      } catch (error) {
        last = `${server.name}: ${error instanceof Error ? error.message : String(error)}`;
      }
    }
    await sleep(250);
  }
  throw new Error(`${method} ${path}: no server answered within ${limitMs} ms (last: ${last})`);
}

/** The sessions of `name` on `node`, as a quorum of servers agrees. */
export async function sessionsNamed(cluster: Cluster, node: string, name: string): Promise<ConsulSession[]> {
  const all = (await fromServers(cluster, 'GET', `/v1/session/node/${encodeURIComponent(node)}?consistent`)) as ConsulSession[];
  return all.filter((s) => s.Name === name);
}

/** Every session of the datacenter. */
export async function allSessions(cluster: Cluster): Promise<ConsulSession[]> {
  return (await fromServers(cluster, 'GET', '/v1/session/list?consistent')) as ConsulSession[];
}

/**
 * Creates a session straight on a server, as a replace cut short or a lost race would have left it.
 * During an election the create may be applied although its answer is lost, and is then sent again:
 * one stray more makes no difference to what the module must clean up.
 */
export async function createStray(cluster: Cluster, body: Record<string, unknown>): Promise<void> {
  await fromServers(cluster, 'PUT', '/v1/session/create', body);
}

const kvPath = (key: string) => `/v1/kv/${key.split('/').map(encodeURIComponent).join('/')}`;

/** Writes `key` without a holder, so that it exists (a missing key answers 404) before the workload starts. */
export async function createKey(cluster: Cluster, key: string): Promise<void> {
  await fromServers(cluster, 'PUT', kvPath(key), '');
}

/** The session holding `key`, as a quorum of servers agrees; null when nobody holds it. */
export async function lockHolder(cluster: Cluster, key: string): Promise<string | null> {
  const entries = (await fromServers(cluster, 'GET', `${kvPath(key)}?consistent`)) as Array<{ Key: string; Session?: string }>;
  return entries.find((e) => e.Key === key)?.Session ?? null;
}
