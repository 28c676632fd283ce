/**
 * Stops and restarts a random SERVER of the cluster in a loop, never two at once: a stopped server is
 * started again, and the next one is stopped only once autopilot reports all three servers healthy
 * (caught up with the leader), so the cluster never loses its quorum. Half the stops are crashes
 * (SIGKILL), half shutdowns (SIGTERM, which for a server does not leave the cluster).
 */
import type { Cluster } from '../support/cluster';
import { consulHttp } from '../support/consul';
import type { SeededRandom } from '../support/seeded-random';

export interface ChurnOptions {
  /** Pause between a recovery and the next stop, ms. */
  pauseMs: [number, number];
  /** How long a stopped server stays down, ms. */
  downMs: [number, number];
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export class ServerChurn {
  stops = 0;
  leaderStops = 0;
  /** For each stop of the leader: how long until a server led again, ms (for the report). */
  readonly leaderlessMs: number[] = [];
  /** What happened when (Date.now()), to line failures up with restarts in the report. */
  readonly events: Array<{ at: number; what: string }> = [];
  private stopping = false;
  private loop: Promise<void> | undefined;
  private failure: Error | undefined;

  constructor(
    private readonly cluster: Cluster,
    private readonly random: SeededRandom,
    private readonly options: ChurnOptions,
  ) {}

  start(): void {
    // Kept, not thrown here: the workload goes on, and stop() reports it.
    this.loop = this.run().catch((error: unknown) => {
      this.failure = error instanceof Error ? error : new Error(String(error));
    });
  }

  /** Ends the loop after its current cycle, with every server running and healthy again. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.loop;
    if (this.failure !== undefined) throw this.failure;
  }

  private async run(): Promise<void> {
    // Bounded: stop() ends it; each cycle waits with limits (waitReady, waitHealthy).
    while (!this.stopping) {
      await sleep(this.random.int(...this.options.pauseMs));
      if (this.stopping) break;
      const server = this.random.pick(this.cluster.servers);
      const wasLeader = (await this.cluster.leader()) === server;
      const signal = this.random.chance(0.5) ? 'SIGKILL' : 'SIGTERM';
      this.events.push({ at: Date.now(), what: `${signal} ${server.name}${wasLeader ? ' (leader)' : ''}` });
      await server.kill(signal);
      this.stops++;
      if (wasLeader) this.leaderStops++;
      const election = wasLeader ? this.untilQuorumRead() : undefined;
      await sleep(this.random.int(...this.options.downMs));
      server.start();
      this.events.push({ at: Date.now(), what: `started ${server.name}` });
      if (election) this.leaderlessMs.push(await election);
      await server.waitReady(90_000);
      await this.waitHealthy();
      this.events.push({ at: Date.now(), what: 'all three servers healthy' });
    }
  }

  /**
   * How long until a server answers a ?consistent read again, ms: that needs an established leader
   * (asking /v1/status/leader would count the stopped leader again as soon as it is restarted). Bounded.
   */
  private async untilQuorumRead(limitMs = 90_000): Promise<number> {
    const started = Date.now();
    while (Date.now() - started < limitMs) {
      for (const server of this.cluster.servers.filter((s) => s.running)) {
        try {
          const answer = await consulHttp(server, 'GET', '/v1/session/list?consistent', undefined, { timeoutMs: 1_000 });
          if (answer.status === 200) return Date.now() - started;
        } catch {
          /* no answer yet: ask the next one */
        }
      }
      await sleep(100);
    }
    throw new Error(`no server answered a consistent read within ${limitMs} ms of stopping the leader`);
  }

  /** Until autopilot says every one of the three servers is healthy. Bounded. */
  private async waitHealthy(limitMs = 90_000): Promise<void> {
    const deadline = Date.now() + limitMs;
    let last = 'not asked yet';
    while (Date.now() < deadline) {
      for (const server of this.cluster.servers.filter((s) => s.running)) {
        try {
          const answer = await consulHttp(server, 'GET', '/v1/operator/autopilot/health', undefined, { timeoutMs: 3_000 });
          const health = answer.body as { Healthy?: boolean; Servers?: Array<{ Healthy: boolean }> };
          if (answer.status === 200 && health.Healthy && health.Servers?.length === 3) return;
          last = `${answer.status} ${answer.text.slice(0, 200)}`;
          break;
        } catch (error) {
          last = error instanceof Error ? error.message : String(error);
        }
      }
      await sleep(500);
    }
    throw new Error(`the cluster did not become healthy within ${limitMs} ms (last: ${last})`);
  }
}
