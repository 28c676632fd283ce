/**
 * A real Consul cluster on loopback for the cluster tests: a 3-server datacenter dc1 (optionally with a
 * client agent), and optionally a one-server dc2 WAN-joined to it. Every agent has its own free ports
 * and temp dir (raft on disk, so a killed server can be restarted with its data), and any one of them
 * can be killed or restarted. Agents still running when the process exits are SIGKILLed.
 * seedSessions (seed.ts) is re-exported here for the tests that fill such a cluster.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { sleep, tail as tailLog, waitForExit } from './agent-process.js';
import { consulBinary } from './consul-binary.js';
import { consulHttp } from './consul-http.js';
import { freePort } from './ports.js';

export interface AgentPorts {
  http: number;
  serfLan: number;
  serfWan: number;
  server: number;
}

const live = new Set<ChildProcess>();
let exitHook = false;

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/** One agent of the cluster; its ports and data dir stay the same across restarts. */
export class ClusterAgent {
  readonly dir: string;
  readonly logFile: string;
  private child: ChildProcess | undefined;

  constructor(
    readonly name: string,
    readonly datacenter: string,
    readonly server: boolean,
    readonly ports: AgentPorts,
    private readonly extraArgs: string[],
  ) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), `consul-cluster-${name}-`));
    fs.mkdirSync(path.join(this.dir, 'data'));
    this.logFile = path.join(this.dir, 'consul.log');
  }

  get url(): string {
    return `http://127.0.0.1:${this.ports.http}`;
  }

  /** "127.0.0.1:<server port>", as /v1/status/leader names a server. */
  get serverAddr(): string {
    return `127.0.0.1:${this.ports.server}`;
  }

  get running(): boolean {
    return this.child !== undefined && !exited(this.child);
  }

  /** Module arguments that talk to this agent. */
  get moduleArgs(): { host: string; port: number } {
    return { host: '127.0.0.1', port: this.ports.http };
  }

  args(): string[] {
    return [
      'agent',
      ...(this.server ? ['-server'] : []),
      '-bind', '127.0.0.1',
      '-client', '127.0.0.1',
      '-node', this.name,
      '-datacenter', this.datacenter,
      '-data-dir', path.join(this.dir, 'data'),
      '-http-port', String(this.ports.http),
      '-serf-lan-port', String(this.ports.serfLan),
      '-serf-wan-port', String(this.ports.serfWan),
      '-server-port', String(this.ports.server),
      '-dns-port', '-1',
      '-grpc-port', '-1',
      '-https-port', '-1',
      '-retry-interval', '1s',
      '-retry-interval-wan', '1s',
      '-log-level', 'info',
      ...this.extraArgs,
    ];
  }

  start(): void {
    if (this.running) throw new Error(`${this.name} is already running`);
    const fd = fs.openSync(this.logFile, 'a');
    fs.writeSync(fd, `# ${new Date().toISOString()} consul ${this.args().join(' ')}\n`);
    try {
      this.child = spawn(consulBinary(), this.args(), { stdio: ['ignore', fd, fd], cwd: this.dir });
    } finally {
      fs.closeSync(fd);
    }
    const child = this.child;
    child.unref();
    live.add(child);
    child.once('exit', () => live.delete(child));
    if (!exitHook) {
      exitHook = true;
      process.on('exit', () => {
        for (const c of live) c.kill('SIGKILL');
      });
    }
  }

  /** SIGKILL (a crash) by default; SIGTERM lets it shut down (a client agent then leaves the cluster). */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    if (!child || exited(child)) return;
    child.kill(signal);
    if (!(await waitForExit(child, 10_000))) {
      child.kill('SIGKILL');
      await waitForExit(child, 5_000);
    }
  }

  async restart(): Promise<void> {
    await this.kill();
    this.start();
  }

  /** Waits until the agent answers HTTP (and, when asked, knows a leader). Bounded by timeoutMs. */
  async waitReady(timeoutMs = 30_000, needLeader = true): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = 'no answer yet';
    while (Date.now() < deadline) {
      if (this.child && exited(this.child)) throw new Error(`${this.name} exited; log: ${this.logFile}\n${this.tail()}`);
      try {
        const leader = await consulHttp(this, 'GET', '/v1/status/leader', undefined, { timeoutMs: 2_000 });
        if (leader.status === 200 && (!needLeader || (typeof leader.body === 'string' && leader.body !== ''))) return;
        last = `${leader.status} ${leader.text}`;
      } catch (error) {
        last = error instanceof Error ? error.message : String(error);
      }
      await sleep(200);
    }
    throw new Error(`${this.name} not ready after ${timeoutMs} ms (last: ${last}); log tail:\n${this.tail()}`);
  }

  tail(lines = 30): string {
    return tailLog(this.logFile, lines);
  }

  async stop(): Promise<void> {
    await this.kill('SIGKILL');
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface ClusterOptions {
  /** Add a client (non-server) agent to dc1 — the agent the module talks to in most cluster tests. */
  client?: boolean;
  /** Add dc2, one server WAN-joined to dc1. */
  dc2?: boolean;
  /** Readiness timeout per step, ms (default 60 s). */
  timeoutMs?: number;
}

export interface Cluster {
  servers: ClusterAgent[];
  client: ClusterAgent | undefined;
  dc2: ClusterAgent | undefined;
  all(): ClusterAgent[];
  /** The dc1 server that currently leads, asked through `via` (default: any running dc1 agent). */
  leader(via?: ClusterAgent): Promise<ClusterAgent | undefined>;
  /** Polls until dc1 has a leader again; resolves with it and how long that took. Bounded. */
  waitForLeader(timeoutMs?: number): Promise<{ leader: ClusterAgent; waitedMs: number }>;
  stop(): Promise<void>;
}

async function allocatePorts(): Promise<AgentPorts> {
  return { http: await freePort(), serfLan: await freePort(), serfWan: await freePort(), server: await freePort() };
}

/** Starts the cluster and waits until dc1 (and dc2, when asked) have leaders and see each other. */
export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const tag = `${process.pid}`;
  const serverPorts = [await allocatePorts(), await allocatePorts(), await allocatePorts()];
  const joinArgs = (exclude?: AgentPorts) =>
    serverPorts.filter((p) => p !== exclude).flatMap((p) => ['-retry-join', `127.0.0.1:${p.serfLan}`]);
  const servers = serverPorts.map(
    (ports, i) => new ClusterAgent(`dc1-server-${i + 1}-${tag}`, 'dc1', true, ports, ['-bootstrap-expect', '3', ...joinArgs(ports)]),
  );
  const client = options.client ? new ClusterAgent(`dc1-client-${tag}`, 'dc1', false, await allocatePorts(), joinArgs()) : undefined;
  const dc2 = options.dc2
    ? new ClusterAgent(`dc2-server-${tag}`, 'dc2', true, await allocatePorts(), [
        '-bootstrap-expect', '1',
        ...serverPorts.flatMap((p) => ['-retry-join-wan', `127.0.0.1:${p.serfWan}`]),
      ])
    : undefined;
  const all = () => [...servers, ...(client ? [client] : []), ...(dc2 ? [dc2] : [])];

  const leader = async (via?: ClusterAgent): Promise<ClusterAgent | undefined> => {
    const asked = via ? [via] : [...servers, ...(client ? [client] : [])].filter((a) => a.running);
    for (const agent of asked) {
      try {
        const answer = await consulHttp(agent, 'GET', '/v1/status/leader', undefined, { timeoutMs: 2_000 });
        const found = servers.find((s) => s.serverAddr === answer.body);
        if (found) return found;
      } catch {
        /* try the next one */
      }
    }
    return undefined;
  };

  const waitForLeader = async (limitMs = timeoutMs) => {
    const started = Date.now();
    while (Date.now() - started < limitMs) {
      const found = await leader();
      if (found?.running) return { leader: found, waitedMs: Date.now() - started };
      await sleep(100);
    }
    throw new Error(`dc1 has no leader after ${limitMs} ms:\n${servers.map((s) => `--- ${s.name}\n${s.tail(10)}`).join('\n')}`);
  };

  const cluster: Cluster = {
    servers,
    client,
    dc2,
    all,
    leader,
    waitForLeader,
    stop: async () => {
      await Promise.all(all().map((a) => a.stop()));
    },
  };
  try {
    for (const agent of all()) agent.start();
    await Promise.all(all().map((a) => a.waitReady(timeoutMs)));
    await waitForLeader();
    // Writes work only once the leader has established itself; WAN federation needs dc2 in the catalog.
    const entry = client ?? servers[0];
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const dcs = await consulHttp(entry as ClusterAgent, 'GET', '/v1/catalog/datacenters');
      const list = await consulHttp(entry as ClusterAgent, 'GET', `/v1/session/list${dc2 ? '?dc=dc2' : ''}`);
      const federated = !dc2 || (Array.isArray(dcs.body) && dcs.body.includes('dc2'));
      if (federated && list.status === 200) break;
      if (Date.now() > deadline) throw new Error(`cluster not ready: datacenters ${dcs.text}, session list ${list.status} ${list.text}`);
      await sleep(250);
    }
    return cluster;
  } catch (error) {
    await cluster.stop();
    throw error;
  }
}

export { seedSessions, type SeedOptions } from './seed.js';
