/**
 * A tiny HTTP server of the tests' own that stands in for Consul and records every request exactly as
 * it arrived (raw request target, headers, body), so a test can see every path the module asked for.
 * By default it answers like a Consul agent with no sessions; a test can answer anything instead.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface Recorded {
  method: string;
  /** The raw request target as sent, e.g. "/v1/session/node/a%2Fb?dc=dc1". */
  target: string;
  /** The part before "?", still percent-encoded. */
  path: string;
  /** The part after "?", or "". */
  query: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface Reply {
  status?: number;
  headers?: Record<string, string>;
  body?: string;
}

/**
 * What to answer: a Reply, `undefined` for the default Consul-like answer, or a function that takes
 * over the raw response (to hang, trickle or stream), returning nothing.
 */
export type Responder = (req: Recorded, res: http.ServerResponse) => Reply | undefined | 'handled';

export const RECORDER_NODE = 'recorder-node';

/** Answers like an empty Consul 1.8 agent: no sessions, creates succeed. */
export function consulLike(req: Recorded): Reply {
  const json = (body: unknown, status = 200): Reply => ({
    status,
    headers: { 'Content-Type': 'application/json', 'X-Consul-KnownLeader': 'true', 'X-Consul-LastContact': '0' },
    body: JSON.stringify(body),
  });
  if (req.method === 'GET' && req.path === '/v1/agent/self') return json({ Config: { NodeName: RECORDER_NODE, Datacenter: 'dc1' } });
  if (req.method === 'GET' && /^\/v1\/session\/(list|node\/[^/]+|info\/[^/]+)$/.test(req.path)) return json([]);
  if (req.method === 'PUT' && req.path === '/v1/session/create') return json({ ID: randomUUID() });
  if (req.method === 'PUT' && /^\/v1\/session\/destroy\/[^/]+$/.test(req.path)) return json(true);
  return { status: 404, body: `no such path: ${req.path}` };
}

export interface Recorder {
  port: number;
  /** "127.0.0.1" */
  host: string;
  requests: Recorded[];
  respond: Responder;
  close(): Promise<void>;
}

export async function startRecorder(respond: Responder = () => undefined): Promise<Recorder> {
  const sockets = new Set<Socket>();
  const recorder: Recorder = {
    port: 0,
    host: '127.0.0.1',
    requests: [],
    respond,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const target = req.url ?? '';
      const at = target.indexOf('?');
      const recorded: Recorded = {
        method: req.method ?? '',
        target,
        path: at < 0 ? target : target.slice(0, at),
        query: at < 0 ? '' : target.slice(at + 1),
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      recorder.requests.push(recorded);
      const reply = recorder.respond(recorded, res);
      if (reply === 'handled') return;
      const { status = 200, headers = {}, body = '' } = reply ?? consulLike(recorded);
      res.writeHead(status, { 'Content-Length': String(Buffer.byteLength(body)), ...headers });
      res.end(body);
    });
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  recorder.port = (server.address() as AddressInfo).port;
  return recorder;
}

const UUID = '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}';
/** Every request the module may make: the agent's identity and the session endpoints, nothing else. */
const ALLOWED = [
  new RegExp('^GET /v1/agent/self$'),
  new RegExp('^GET /v1/session/list$'),
  new RegExp(`^GET /v1/session/info/${UUID}$`),
  // One path segment: a node name may hold anything except a raw "/", "?", "#" or "%" that is not an escape.
  new RegExp('^GET /v1/session/node/(?:[A-Za-z0-9\\-_.!~*\'()]|%[0-9A-F]{2})+$'),
  new RegExp('^PUT /v1/session/create$'),
  new RegExp(`^PUT /v1/session/destroy/${UUID}$`),
];

/** Why this request is not one the module may make, or undefined when it is. */
export function forbiddenRequest(req: Recorded, port: number): string | undefined {
  const line = `${req.method} ${req.path}`;
  if (!ALLOWED.some((re) => re.test(line))) return `request outside the session endpoints: ${req.method} ${req.target}`;
  if (req.path.startsWith('/v1/session/node/')) {
    const node = decodeURIComponent(req.path.slice('/v1/session/node/'.length));
    if (node === '.' || node === '..' || node.includes('/')) return `node segment escapes its path: ${req.target}`;
  }
  const queryOk = req.query.split('&').every((part) => part === '' || /^(?:dc=[A-Za-z0-9_-]+|stale|consistent)$/.test(part));
  if (!queryOk) return `unexpected query: ${req.target}`;
  const host = String(req.headers.host);
  if (!host.endsWith(`:${port}`) || /[/?#@\s]/.test(host)) return `unexpected Host header ${host}`;
  return undefined;
}
