/**
 * A tiny HTTP server of the tests' own that stands in for Consul and records every request exactly as
 * it arrived (raw request target, headers, body), so a test can see every path the module asked for.
 * By default it answers like a Consul agent that starts with no sessions; a test can answer anything instead.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { LOCK_FLAGS, SEMAPHORE_FLAGS } from '../../src/shared/lock-protocol';
import { RecordedSessions } from './recorder-sessions';

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

/** Answers like a Consul 1.8 agent holding `sessions`: creates succeed and are seen by later reads. */
export function consulLike(req: Recorded, sessions: RecordedSessions): Reply {
  const json = (body: unknown, status = 200): Reply => ({
    status,
    headers: { 'Content-Type': 'application/json', 'X-Consul-KnownLeader': 'true', 'X-Consul-LastContact': '0' },
    body: JSON.stringify(body),
  });
  if (req.method === 'GET' && req.path === '/v1/agent/self') return json({ Config: { NodeName: RECORDER_NODE, Datacenter: 'dc1' } });
  if (req.method === 'GET' && /^\/v1\/session\/(list|node\/[^/]+|info\/[^/]+)$/.test(req.path)) return json(sessions.read(req.path));
  if (req.method === 'PUT' && req.path === '/v1/session/create') return json({ ID: sessions.create(req.body, RECORDER_NODE) });
  if (req.method === 'PUT' && /^\/v1\/session\/destroy\/[^/]+$/.test(req.path)) {
    sessions.destroy(decodeURIComponent(req.path.slice('/v1/session/destroy/'.length)));
    return json(true);
  }
  // A KV store with no keys: reads find nothing (404 with an index, as Consul answers); acquires,
  // check-and-set writes (of a key that still does not exist) and deletes succeed.
  if (req.method === 'GET' && req.path.startsWith('/v1/kv/')) return { status: 404, headers: { 'X-Consul-Index': '7' }, body: '' };
  if (req.method === 'PUT' && req.path.startsWith('/v1/kv/')) return json(/(^|&)(acquire=|cas=0(&|$))/.test(req.query));
  if (req.method === 'DELETE' && req.path.startsWith('/v1/kv/')) return json(true);
  return { status: 404, body: `no such path: ${req.path}` };
}

export interface Recorder {
  port: number;
  /** "127.0.0.1" */
  host: string;
  requests: Recorded[];
  respond: Responder;
  /** What the default answers hold: the sessions created through them and not destroyed. */
  sessions: RecordedSessions;
  close(): Promise<void>;
}

export async function startRecorder(respond: Responder = () => undefined): Promise<Recorder> {
  const sockets = new Set<Socket>();
  const recorder: Recorder = {
    port: 0,
    host: '127.0.0.1',
    requests: [],
    respond,
    sessions: new RecordedSessions(),
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
      const { status = 200, headers = {}, body = '' } = reply ?? consulLike(recorded, recorder.sessions);
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
  new RegExp(`^PUT /v1/session/renew/${UUID}$`),
];

/**
 * consul_lock's requests on `key`: its one KV path (each segment percent-encoded, none empty, "." or
 * ".."), with nothing in the query but the lock operation and its flags (0 or the lock protocol's), the
 * datacenter and a blocking read's index and wait.
 */
function forbiddenKvRequest(req: Recorded, key: string): string | undefined {
  if (!/^(GET|PUT) \/v1\/kv\//.test(`${req.method} ${req.path}`)) return `not a KV request: ${req.method} ${req.target}`;
  const segments = req.path.slice('/v1/kv/'.length).split('/');
  if (segments.some((s) => !/^(?:[A-Za-z0-9\-_.!~*'()]|%[0-9A-F]{2})+$/.test(s))) return `a key segment is not percent-encoded: ${req.target}`;
  const decoded = segments.map(decodeURIComponent);
  if (decoded.some((s) => s === '' || s === '.' || s === '..')) return `a key segment escapes its path: ${req.target}`;
  if (decoded.join('/') !== key) return `the path names another key than ${JSON.stringify(key)}: ${req.target}`;
  const lockOp = new RegExp(`^(?:acquire|release)=${UUID}$`);
  const lockFlags = new RegExp(`^flags=(?:0|${LOCK_FLAGS})$`);
  const parts = req.query.split('&');
  if (parts.some((part) => lockFlags.test(part)) && !parts.some((part) => lockOp.test(part))) return `flags outside an acquire or release: ${req.target}`;
  const ok = parts.every((part) => part === '' || lockOp.test(part) || lockFlags.test(part) || /^(?:dc=[A-Za-z0-9_-]+|index=\d+|wait=\d+s)$/.test(part));
  return ok ? undefined : `unexpected query: ${req.target}`;
}

/**
 * Why this request is not one the module may make, or undefined when it is. `lockKey`: the run was
 * consul_lock's on that key, which may also use that key's KV path.
 */
export function forbiddenRequest(req: Recorded, port: number, lockKey?: string): string | undefined {
  const line = `${req.method} ${req.path}`;
  if (lockKey !== undefined && req.path.startsWith('/v1/kv/')) return forbiddenKvRequest(req, lockKey);
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

/** The decoded segments of a KV path, or why it is not one the modules may send. */
function kvSegments(req: Recorded): string[] | string {
  const segments = req.path.slice('/v1/kv/'.length).split('/');
  if (segments.some((s) => !/^(?:[A-Za-z0-9\-_.!~*'()]|%[0-9A-F]{2})*$/.test(s))) return `a key segment is not percent-encoded: ${req.target}`;
  return segments.map(decodeURIComponent);
}

/**
 * consul_semaphore's requests on `prefix`: besides the session endpoints, only the semaphore's own KV
 * requests, each segment percent-encoded and none escaping its path —
 *   GET    PREFIX/?recurse                       (with a blocking read's index and wait)
 *   GET    PREFIX/.lock                          when the prefix read found nothing (empty, or hidden by ACLs?)
 *   PUT    PREFIX/<session>?acquire=<session>    its contender key, with the semaphore flags
 *   PUT    PREFIX/.lock?cas=<index>              the coordination key, with the semaphore flags
 *   DELETE PREFIX/<session> and PREFIX/.lock?cas=<index>
 */
export function forbiddenSemaphoreRequest(req: Recorded, port: number, prefix: string): string | undefined {
  if (!req.path.startsWith('/v1/kv/')) return forbiddenRequest(req, port);
  const decoded = kvSegments(req);
  if (typeof decoded === 'string') return decoded;
  const name = decoded.at(-1) ?? '';
  if (decoded.slice(0, -1).some((s) => s === '' || s === '.' || s === '..') || name === '..' || name === '.') return `a key segment escapes its path: ${req.target}`;
  if (decoded.slice(0, -1).join('/') !== prefix) return `the path is not directly under ${JSON.stringify(prefix)}: ${req.target}`;
  const parts = req.query.split('&').filter((part) => part !== '' && !/^dc=[A-Za-z0-9_-]+$/.test(part));
  const only = (...allowed: RegExp[]) => (parts.every((part) => allowed.some((re) => re.test(part))) ? undefined : `unexpected query: ${req.target}`);
  const flags = new RegExp(`^flags=${SEMAPHORE_FLAGS}$`);
  const uuid = new RegExp(`^${UUID}$`);
  if (req.method === 'GET' && name === '' && parts.includes('recurse')) return only(/^recurse$/, /^index=\d+$/, /^wait=\d+s$/);
  if (req.method === 'GET' && name === '.lock') return only();
  if (req.method === 'PUT' && name === '.lock' && parts.some((p) => flags.test(p))) return only(/^cas=\d+$/, flags);
  if (req.method === 'PUT' && uuid.test(name) && parts.includes(`acquire=${name}`) && parts.some((p) => flags.test(p))) return only(new RegExp(`^acquire=${name}$`), flags);
  if (req.method === 'DELETE' && name === '.lock') return only(/^cas=\d+$/);
  if (req.method === 'DELETE' && uuid.test(name)) return only();
  return `not one of the semaphore's requests: ${req.method} ${req.target}`;
}
