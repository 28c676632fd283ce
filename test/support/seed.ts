/**
 * seedSessions: the fastest way found to fill a datacenter with N sessions on Consul 1.8.7 (creates in
 * parallel over keep-alive connections; 1.8's /v1/txn has no session operations). Used by the
 * 10,000-session tests and by `npm run bench`.
 */
import * as http from 'node:http';
import { consulHttp } from './consul-http.js';

export interface SeedOptions {
  /** Requests in flight at once (default 32). */
  concurrency?: number;
  /** Name of session i (default `seed-<i>`). */
  name?: (i: number) => string;
  /** Node to create them on (default: the agent's own). */
  node?: string;
  /** Sent as `dc`. */
  datacenter?: string;
}

/**
 * Creates `count` sessions through `target` as fast as Consul 1.8 takes them: PUT /v1/session/create in
 * parallel (bounded concurrency) over keep-alive connections. Resolves with the IDs in creation order
 * of index i; throws on the first failed create.
 */
export async function seedSessions(target: { url: string }, count: number, options: SeedOptions = {}): Promise<string[]> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.concurrency ?? 32 });
  const path = options.datacenter ? `/v1/session/create?dc=${encodeURIComponent(options.datacenter)}` : '/v1/session/create';
  const ids = new Array<string>(count);
  let next = 0;
  const createOne = async (i: number): Promise<string> => {
    const body = { Name: options.name?.(i) ?? `seed-${i}`, LockDelay: '0s', ...(options.node ? { Node: options.node } : {}) };
    const res = await consulHttp(target, 'PUT', path, body, { agent, timeoutMs: 30_000 });
    const id = res.status === 200 ? (res.body as { ID?: unknown }).ID : undefined;
    if (typeof id !== 'string') throw new Error(`seed create ${i}: ${res.status} ${res.text}`);
    return id;
  };
  const worker = async () => {
    // Bounded: each pass takes one index until all `count` are taken.
    while (next < count) {
      const i = next++;
      ids[i] = await createOne(i);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 32, count) }, worker));
  } finally {
    agent.destroy();
  }
  return ids;
}
