// Consul's session endpoints, and the one table between our parameters and Consul's field names.
// Only these paths are ever requested; every value placed in a path is checked or encoded here.
import type { ConsulClient, ConsulResponse, Query, RequestOptions } from './consul';
import { RetryBudget, type AttemptInfo } from './retry';
import { ConsulError, ModuleFailure } from './errors';
import { formatDurationNs } from './duration';

/** A session as Consul 1.8 reports it (LockDelay in nanoseconds, TTL as a Go duration or ""). */
export interface ConsulSession {
  ID: string;
  Name: string;
  Node: string;
  LockDelay: number;
  Behavior: 'release' | 'delete';
  TTL: string;
  Checks?: string[] | null;
  NodeChecks?: string[] | null;
  ServiceChecks?: Array<{ ID: string; Namespace?: string }> | null;
  CreateIndex: number;
  ModifyIndex: number;
}

/** What a session should look like, in our terms (durations in ns); consul_session's `present` compares and creates it. */
export interface SessionSpec {
  name?: string;
  behavior: 'release' | 'delete';
  lockDelayNs: number;
  ttlNs?: number;
  checks?: string[];
  nodeChecks?: string[];
  serviceChecks?: Array<{ id: string; namespace: string }>;
}

/**
 * The node checks to send, or undefined to let Consul apply its default (serfHealth). `checks` and
 * `node_checks` both name node-level checks; once either is given, serfHealth guards the session only
 * if it is listed, as with Consul's NodeChecks (service checks alone keep the default).
 */
export function desiredNodeChecks(spec: SessionSpec): string[] | undefined {
  if (spec.checks === undefined && spec.nodeChecks === undefined) return undefined;
  return [...new Set([...(spec.checks ?? []), ...(spec.nodeChecks ?? [])])].sort();
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Our snake_case parameters → the body of PUT /v1/session/create. */
export function createBody(spec: SessionSpec, node: string): Record<string, unknown> {
  const body: Record<string, unknown> = {
    Node: node,
    Behavior: spec.behavior,
    // A string: Consul reads a bare number below 1000 as seconds and above as nanoseconds.
    LockDelay: formatDurationNs(spec.lockDelayNs),
  };
  if (spec.name !== undefined) body.Name = spec.name;
  if (spec.ttlNs !== undefined) body.TTL = formatDurationNs(spec.ttlNs);
  // Never Consul's legacy `Checks`: combined with NodeChecks, Consul 1.8 silently drops checks
  // (fixupEmptySessionChecks). Both of our node-level parameters go to NodeChecks.
  const nodeChecks = desiredNodeChecks(spec);
  if (nodeChecks !== undefined) body.NodeChecks = nodeChecks;
  if (spec.serviceChecks !== undefined) {
    body.ServiceChecks = spec.serviceChecks.map((check) => ({ ID: check.id, Namespace: check.namespace }));
  }
  return body;
}

/** A path segment that can only ever name one thing: never ".", "..", or a slash. */
function segment(value: string, what: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused here
  if (value === '' || value === '.' || value === '..' || /[/\\\u0000-\u001f\u007f]/.test(value)) {
    throw new ModuleFailure(`Refusing to use ${JSON.stringify(value)} as a ${what} in a Consul URL.`);
  }
  return encodeURIComponent(value);
}

function sessionId(id: string): string {
  if (!UUID.test(id)) throw new ModuleFailure(`Refusing to use ${JSON.stringify(id)} as a session ID: it is not a UUID.`);
  return id;
}

/** What a create is, in messages: "create session 'x' on node n". */
export function createWhat(name: string | undefined, node: string): string {
  return `create session${name === undefined ? '' : ` '${name}'`} on node ${node}`;
}

export interface AgentIdentity {
  node: string;
  datacenter: string;
}

export type Consistency = 'default' | 'consistent' | 'stale';

/** What the server that answered the last session read said about its leader. */
export interface ReadFreshness {
  knownLeader?: boolean;
  lastContactMs?: number;
}

export class SessionApi {
  /** X-Consul-KnownLeader / X-Consul-LastContact of the last session read. */
  lastRead: ReadFreshness = {};

  constructor(
    private readonly client: ConsulClient,
    private readonly datacenter?: string,
    /** The mode of session reads: `?consistent`, `?stale` or neither. */
    private readonly consistency: Consistency = 'default',
  ) {}

  private get query(): Query {
    return { dc: this.datacenter };
  }

  private readQuery(mode: Consistency): Query {
    return { ...this.query, consistent: mode === 'consistent' || undefined, stale: mode === 'stale' || undefined };
  }

  /** Runs `attempt` under the run's retry budget (see retry.ts), e.g. a create that recovers by re-reading. */
  retrying<T>(what: string, attempt: (info: AttemptInfo) => Promise<T>, retryable?: (error: unknown) => string | undefined): Promise<T> {
    return this.client.retry.run(what, attempt, retryable);
  }

  /** A retry budget for one request apart from the run's (a keeper's renewal), reported with the run's retries. */
  ownBudget(totalMs: number): RetryBudget {
    const budget = new RetryBudget(totalMs);
    this.client.retry.adopt(budget);
    return budget;
  }

  /** Warnings for requests that succeeded only after retrying. */
  retrySummary(): string[] {
    return this.client.retry.summary();
  }

  async agentSelf(): Promise<AgentIdentity> {
    const { data } = await this.client.get<{ Config?: { NodeName?: string; Datacenter?: string } }>(
      '/v1/agent/self',
      'ask the agent for its node name',
    );
    const node = data?.Config?.NodeName;
    if (typeof node !== 'string' || node === '') {
      throw new ModuleFailure('The Consul agent did not report its node name (/v1/agent/self); give node explicitly.');
    }
    return { node, datacenter: String(data.Config?.Datacenter ?? '') };
  }

  list(): Promise<ConsulResponse<ConsulSession[]>> {
    return this.sessions('/v1/session/list', 'list the sessions');
  }

  /** `mode` overrides the consistency asked for, e.g. `consistent` when recovering from a failed create. */
  onNode(node: string, mode: Consistency = this.consistency): Promise<ConsulResponse<ConsulSession[]>> {
    return this.sessions(`/v1/session/node/${segment(node, 'node name')}`, `list the sessions of node ${node}`, mode);
  }

  /** The session with this ID, or undefined when Consul does not know it. */
  async info(id: string): Promise<ConsulSession | undefined> {
    const { data } = await this.sessions(`/v1/session/info/${sessionId(id)}`, `read session ${id}`);
    return data[0];
  }

  async create(spec: SessionSpec, node: string): Promise<string> {
    const what = createWhat(spec.name, node);
    const { data } = await this.client.put<{ ID?: unknown }>('/v1/session/create', what, this.query, createBody(spec, node));
    if (typeof data?.ID !== 'string' || !UUID.test(data.ID)) {
      throw new ConsulError(what, "Consul's answer has no session ID.", { request: { method: 'PUT', path: '/v1/session/create' } });
    }
    return data.ID;
  }

  /** `node`: the session's node, when known, for a permission error's rule. */
  async destroy(id: string, node?: string): Promise<void> {
    // Destroying twice is harmless (Consul answers true for an unknown ID), so it is retried.
    await this.client.put(`/v1/session/destroy/${sessionId(id)}`, `destroy session ${id}`, this.query, undefined, { retry: true, aclNode: node });
  }

  /**
   * Resets the session's TTL timer; Consul answers the session (its TTL may be longer than asked). Undefined
   * when Consul does not know the session (expired or destroyed: 404). Renewing twice is harmless: retried.
   */
  async renew(id: string, options: RequestOptions = {}): Promise<ConsulSession | undefined> {
    const path = `/v1/session/renew/${sessionId(id)}`;
    const response = await this.client.put<unknown>(path, `renew session ${id}`, this.query, undefined, { ...options, retry: true, notFound: true });
    if (response.status === 404) return undefined;
    return this.asSessions(response.data, `renew session ${id}`, 'PUT', path)[0];
  }

  /**
   * A blocking read of session `id`: Consul answers once the session changes (a destroy or an
   * invalidation, not a renewal) or after `waitMs`. `exists` is false once the session is gone.
   */
  async watch(id: string, index: number, waitMs: number, options: RequestOptions = {}): Promise<{ exists: boolean; index: number }> {
    const path = `/v1/session/info/${sessionId(id)}`;
    const query = { ...this.query, index: String(Math.max(1, index)), wait: `${Math.max(1, Math.ceil(waitMs / 1000))}s` };
    // Consul answers a blocking query up to wait/16 late (jitter).
    const response = await this.client.get<unknown>(path, `watch session ${id}`, query, { ...options, extraTimeoutMs: Math.ceil(waitMs * (17 / 16)) + 1000 });
    const sessions = response.data === null ? [] : this.asSessions(response.data, `watch session ${id}`, 'GET', path);
    return { exists: sessions.length > 0, index: response.index ?? 0 };
  }

  private async sessions(path: string, what: string, mode: Consistency = this.consistency): Promise<ConsulResponse<ConsulSession[]>> {
    const response = await this.client.get<unknown>(path, what, this.readQuery(mode));
    this.lastRead = { knownLeader: response.knownLeader, lastContactMs: response.lastContactMs };
    return { ...response, data: this.asSessions(response.data, what, 'GET', path) };
  }

  private asSessions(data: unknown, what: string, method: string, path: string): ConsulSession[] {
    const isSession = (s: unknown) => typeof s === 'object' && s !== null && typeof (s as { ID?: unknown }).ID === 'string';
    if (!Array.isArray(data) || !data.every(isSession)) {
      throw new ConsulError(what, "Consul's answer is not a list of sessions.", { request: { method, path } });
    }
    return data as ConsulSession[];
  }
}
