/**
 * seedSessions: the fastest way found to fill a datacenter with N sessions on Consul 1.8.7 (creates in
 * parallel over keep-alive connections; 1.8's /v1/txn has no session operations). Used by the
 * 10,000-session tests and by `npm run bench`.
 */
import * as http from 'node:http';

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
  const url = new URL('/v1/session/create', target.url);
  if (options.datacenter) url.searchParams.set('dc', options.datacenter);
  const ids = new Array<string>(count);
  let next = 0;
  const createOne = (i: number) =>
    new Promise<string>((resolve, reject) => {
      const body = JSON.stringify({ Name: options.name?.(i) ?? `seed-${i}`, LockDelay: '0s', ...(options.node ? { Node: options.node } : {}) });
      const req = http.request(
        url,
        { method: 'PUT', agent, timeout: 30_000, headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            const id = res.statusCode === 200 ? (JSON.parse(text) as { ID?: unknown }).ID : undefined;
            if (typeof id === 'string') resolve(id);
            else reject(new Error(`seed create ${i}: ${res.statusCode} ${text}`));
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`seed create ${i}: timed out`)));
      req.on('error', reject);
      req.end(body);
    });
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
