// The one HTTP client for Consul. Every request goes to the configured origin only, never follows a
// redirect, sends bodies with a Content-Length, carries the token in a header, and has a timeout.
// Every failure becomes a ConsulError whose message says what was attempted and how to fix it.
// Imported at the top, not at the first request: bundled this way axios is compiled with the module's
// own code in one pass, where a deferred import made V8 parse it twice (lazily, then on first call).
// Measured with callgrind: ~4% less work for every run that talks to Consul, ~4% more for a run that
// fails validation, which is the rare one (node:http still loads only at the first request).
import axios, { type AxiosInstance } from 'axios';
import { readFileSync } from 'node:fs';
import type { Agent } from 'node:http';
import { deniedMessage } from './acl';
import { describeTransportError } from './transport-errors';
import { MIN_ATTEMPT_MS, RetryBudget } from './retry';
import { ConsulError, ModuleFailure } from './errors';
import type { ConnectionSettings } from './connection';
import { createAgent, nodeHttpAdapter, type TlsOptions } from './http-adapter';

/** Larger answers are refused instead of exhausting memory (10,000 sessions are about 4 MiB). */
export const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

export type Query = Record<string, string | true | undefined>;

export interface RequestOptions {
  /** Retry under this budget instead of the run's (consul_lock's wait gives each request its own). */
  budget?: RetryBudget;
  /** A 404 is an answer, not an error: `data` is null (a KV key that does not exist yet). */
  notFound?: boolean;
  /** Added to `timeout` for this request: a blocking query is answered only after its `wait`. */
  extraTimeoutMs?: number;
  /** Send a string body as is (a KV value) instead of as JSON. */
  rawBody?: boolean;
  /** Parses the answer's text instead of JSON.parse (KV entries: their 64-bit Flags must not be rounded). */
  parse?: (text: string) => unknown;
  /** The node of the session the request is about, when known: a 403 then names the exact session rule. */
  aclNode?: string;
}

/** Writes that may be re-sent after a transient failure: their second arrival changes nothing. */
export type WriteOptions = RequestOptions & { retry?: boolean };

export interface ConsulResponse<T> {
  data: T;
  /** HTTP status: 200, or 404 for a read made with `notFound: true` (then `data` is null). */
  status: number;
  /** X-Consul-Index: what a blocking query waits to change. */
  index?: number;
  /** X-Consul-KnownLeader / X-Consul-LastContact, for reads. */
  knownLeader?: boolean;
  lastContactMs?: number;
}

function readPem(path: string | undefined, parameter: string): Buffer | undefined {
  if (path === undefined) return undefined;
  try {
    return readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new ModuleFailure(`${parameter} ${path} could not be read (${code}).`);
  }
}

/** `?stale` and `?consistent` are flags without a value; everything else is key=value. */
export function queryString(query: Query = {}): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    parts.push(value === true ? encodeURIComponent(key) : `${encodeURIComponent(key)}=${encodeURIComponent(value)}`);
  }
  return parts.length ? `?${parts.join('&')}` : '';
}

/** The TLS material from the given paths, read before anything is loaded or sent. */
function tlsOptions(connection: ConnectionSettings): TlsOptions | undefined {
  if (connection.scheme !== 'https') return undefined;
  return {
    rejectUnauthorized: connection.validateCerts,
    ca: readPem(connection.caPath, 'ca_path'),
    cert: readPem(connection.clientCert, 'client_cert'),
    key: readPem(connection.clientKey, 'client_key'),
  };
}

export class ConsulClient {
  /** Created at the first request, so a run that fails validation never reads certificates or loads node:http. */
  private transport?: AxiosInstance;
  private agent?: Agent;
  /** The run's one retry budget (retry_timeout), shared by every request and by states.ts's create recovery. */
  readonly retry: RetryBudget;

  constructor(
    private readonly connection: ConnectionSettings,
    /** Named in the User-Agent, so the agent's logs tell which module sent a request. */
    private readonly moduleName = 'consul_session',
  ) {
    this.retry = new RetryBudget(connection.retryTimeoutMs ?? 0);
  }

  private http(): AxiosInstance {
    this.transport ??= this.createTransport();
    return this.transport;
  }

  private createTransport(): AxiosInstance {
    const { connection } = this;
    const tls = tlsOptions(connection);
    const agent = createAgent(connection.scheme, tls);
    this.agent = agent;
    // Uncompressed: the agent is usually local, and gzip cost both sides more than it saved
    // (a 10,000-session list: Consul compressing 2.2 MB, then zlib here).
    const headers: Record<string, string> = { 'User-Agent': `${this.moduleName} (Ansible module)`, 'Accept-Encoding': 'identity' };
    if (connection.token) headers['X-Consul-Token'] = connection.token;
    return axios.create({
      // Our adapter (http-adapter.ts) sends to this one agent only, without proxy, never following a
      // redirect, and makes `timeout` a deadline for the whole request, not a socket idle timer.
      adapter: nodeHttpAdapter({ scheme: connection.scheme, host: connection.address ?? connection.host, port: connection.port, agent }),
      timeout: connection.timeoutMs,
      headers,
      maxContentLength: MAX_RESPONSE_BYTES,
      // Bodies are text already and answers are parsed below: axios's transforms would only parse
      // each of them once more.
      transformRequest: [],
      transformResponse: [],
      validateStatus: () => true,
    });
  }

  /** Reads are idempotent: transient failures are retried within the budget (the run's, or `options.budget`). */
  get<T>(path: string, what: string, query?: Query, options: RequestOptions = {}): Promise<ConsulResponse<T>> {
    const budget = options.budget ?? this.retry;
    return budget.run(what, ({ remainingMs }) => this.request<T>('GET', path, what, query, undefined, remainingMs, options));
  }

  /**
   * Sent once unless `options.retry` says the write is idempotent (destroy, renew, acquire and release by
   * the holder). A create is never re-sent here: states.ts re-reads first, because a create that failed
   * may still have happened.
   */
  put<T>(path: string, what: string, query?: Query, body?: unknown, options: WriteOptions = {}): Promise<ConsulResponse<T>> {
    return this.write<T>('PUT', path, what, query, body, options);
  }

  /** A KV delete; like put, sent once unless `options.retry` (a CAS delete re-sent answers false, never harms). */
  delete<T>(path: string, what: string, query?: Query, options: WriteOptions = {}): Promise<ConsulResponse<T>> {
    return this.write<T>('DELETE', path, what, query, undefined, options);
  }

  private write<T>(method: string, path: string, what: string, query: Query | undefined, body: unknown, options: WriteOptions): Promise<ConsulResponse<T>> {
    const budget = options.budget ?? this.retry;
    if (!options.retry) return this.request<T>(method, path, what, query, body, budget.remainingMs(), options);
    return budget.run(what, ({ remainingMs }) => this.request<T>(method, path, what, query, body, remainingMs, options));
  }

  /** Frees the keep-alive sockets so the process can exit as soon as its output is written. */
  close(): void {
    this.agent?.destroy();
  }

  /** One attempt. Once the retry budget has started, an attempt gets no more than what is left of it. */
  private async request<T>(
    method: string,
    path: string,
    what: string,
    query?: Query,
    body?: unknown,
    budgetLeftMs?: number,
    options: RequestOptions = {},
  ): Promise<ConsulResponse<T>> {
    const request = { method, path };
    const where = `${this.connection.host}:${this.connection.port}`;
    const http = this.http();
    const timeoutMs = budgetLeftMs === undefined ? this.connection.timeoutMs : Math.min(this.connection.timeoutMs, Math.max(budgetLeftMs, MIN_ATTEMPT_MS));
    let response;
    try {
      response = await http.request<string>({
        method,
        url: path + queryString(query),
        timeout: timeoutMs + (options.extraTimeoutMs ?? 0),
        // A string body is sent with Content-Length (in bytes); Consul 1.8 ignores chunked bodies.
        data: body === undefined ? undefined : options.rawBody && typeof body === 'string' ? body : JSON.stringify(body),
        headers: body === undefined ? undefined : { 'Content-Type': options.rawBody ? 'application/octet-stream' : 'application/json' },
      });
    } catch (error) {
      const { message, code, failure } = describeTransportError(error, this.connection);
      throw new ConsulError(what, message, { request, code, transport: failure });
    }
    const text = typeof response.data === 'string' ? response.data : '';
    if (response.status >= 300 && response.status < 400) {
      const location = String(response.headers.location ?? '');
      const detail = `Consul at ${where} answered ${method} ${path} with a redirect (${response.status} to ${location}), which is never followed.`;
      throw new ConsulError(what, detail, { request, status: response.status, body: text });
    }
    const indexHeader: unknown = response.headers['x-consul-index'];
    const index = indexHeader === undefined ? undefined : Number(indexHeader);
    if (response.status === 404 && options.notFound) return { data: null as T, status: 404, index };
    if (response.status >= 400) {
      const message = response.status === 403 ? deniedMessage({ method, path, query, body, node: options.aclNode }, text.trim() || 'HTTP 403', !!this.connection.token) : statusMessage(response.status, text, this.connection);
      throw new ConsulError(what, message, { request, status: response.status, body: text.trim() });
    }
    let data: T;
    try {
      data = (options.parse ? options.parse(text) : JSON.parse(text)) as T;
    } catch {
      const start = text.slice(0, 200);
      throw new ConsulError(what, `Consul at ${where} answered ${method} ${path} with text that is not JSON: ${start}`, { request, status: response.status, body: start });
    }
    const knownLeader: unknown = response.headers['x-consul-knownleader'];
    const lastContact: unknown = response.headers['x-consul-lastcontact'];
    return {
      data,
      status: response.status,
      index,
      knownLeader: knownLeader === undefined ? undefined : knownLeader === 'true',
      lastContactMs: lastContact === undefined ? undefined : Number(lastContact),
    };
  }
}

function statusMessage(status: number, body: string, connection: ConnectionSettings): string {
  const text = body.trim() || `HTTP ${status}`;
  if (status === 400 && /HTTP request to an HTTPS server/i.test(text)) {
    return `the agent at ${connection.host}:${connection.port} speaks HTTPS; set scheme: https (and ca_path).`;
  }
  return `Consul answered ${status}: ${text}`;
}
