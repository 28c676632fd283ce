/**
 * The handoff part's view of Consul's side: a loopback HTTP proxy in front of the agent that every
 * contender (our modules and `consul lock` alike) talks to. For each write it keeps the request and the
 * moment Consul's whole answer had arrived, on the wall clock (epoch ms with fractions), so that it can
 * be set beside the stamps the contenders take themselves (`date +%s%N` in a CLI's command).
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';

/** Now, on the wall clock, in ms with fractions: comparable with `date +%s%N` ÷ 1e6 of another process. */
export const epochMs = (): number => performance.timeOrigin + performance.now();

export interface Write {
  method: string;
  /** Path with query, as sent. */
  url: string;
  body: string;
  status: number;
  answer: string;
  /** When Consul's answer had fully arrived at the proxy (before it went on to the client). */
  answeredAt: number;
}

export interface HandoffProxy {
  port: number;
  /** "127.0.0.1:PORT", for CONSUL_HTTP_ADDR */
  addr: string;
  writes: Write[];
  /** How many clients (told apart by their connection) have sent a blocking read of a path starting with `path`. */
  blockers(path: string): number;
  close(): Promise<void>;
}

export async function startHandoffProxy(agentPort: number): Promise<HandoffProxy> {
  const writes: Write[] = [];
  // path → the client ports that asked it with ?index= (each contender keeps one kept-alive connection).
  const blocking = new Map<string, Set<number>>();
  // Kept-alive upstream connections: a release must not pay for a TCP connect the others did not.
  const agent = new http.Agent({ keepAlive: true });
  const server = http.createServer((req, res) => {
    const [where, query = ''] = (req.url ?? '').split('?');
    if (req.method === 'GET' && /(?:^|&)index=/.test(query)) {
      const path = decodeURIComponent(where ?? '');
      blocking.set(path, (blocking.get(path) ?? new Set()).add(req.socket.remotePort ?? 0));
    }
    const body: Buffer[] = [];
    req.on('data', (chunk: Buffer) => body.push(chunk));
    req.on('end', () => {
      const sent = Buffer.concat(body);
      // Plain answers (the CLI asks for gzip), so that the proxy reads what Consul said.
      const headers = { ...req.headers, host: `127.0.0.1:${agentPort}` };
      delete headers['accept-encoding'];
      const forward = http.request(
        { host: '127.0.0.1', port: agentPort, method: req.method, path: req.url, headers, agent },
        (answer) => {
          const chunks: Buffer[] = [];
          answer.on('data', (chunk: Buffer) => chunks.push(chunk));
          answer.on('end', () => {
            const text = Buffer.concat(chunks);
            if (req.method !== 'GET') {
              writes.push({ method: req.method ?? '', url: req.url ?? '', body: sent.toString('utf8'), status: answer.statusCode ?? 0, answer: text.toString('utf8'), answeredAt: epochMs() });
            }
            const back = { ...answer.headers };
            delete back['transfer-encoding'];
            res.writeHead(answer.statusCode ?? 502, { ...back, 'content-length': String(text.length) });
            res.end(text);
          });
        },
      );
      forward.on('error', () => res.destroy());
      forward.end(sent);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    addr: `127.0.0.1:${port}`,
    writes,
    blockers: (path) => {
      const ports = new Set<number>();
      for (const [asked, clients] of blocking) if (asked.startsWith(path)) for (const port of clients) ports.add(port);
      return ports.size;
    },
    close: () =>
      new Promise<void>((resolve) => {
        agent.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
