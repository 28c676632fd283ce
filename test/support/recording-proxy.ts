/**
 * A plain HTTP proxy in front of a real agent that records every request the module sends (method,
 * path with query, body). It proves what a run did NOT send: no write in check mode, no busy polling
 * while a lock is awaited.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ProxiedRequest {
  method: string;
  /** Path with its query, as sent. */
  url: string;
  body: string;
  at: number;
}

export interface RecordingProxy {
  /** "127.0.0.1:PORT", for CONSUL_HTTP_ADDR */
  addr: string;
  requests: ProxiedRequest[];
  writes(): ProxiedRequest[];
  close(): Promise<void>;
}

export async function startRecordingProxy(target: { url: string }): Promise<RecordingProxy> {
  const upstream = new URL(target.url);
  const requests: ProxiedRequest[] = [];
  const agent = new http.Agent({ keepAlive: true });
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      requests.push({ method: req.method ?? '', url: req.url ?? '', body: body.toString('utf8'), at: Date.now() });
      const headers = { ...req.headers, host: upstream.host };
      const forward = http.request(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers, agent },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      forward.on('error', () => res.destroy());
      forward.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    addr: `127.0.0.1:${port}`,
    requests,
    writes: () => requests.filter((r) => r.method !== 'GET'),
    close: () =>
      new Promise<void>((resolve) => {
        agent.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
