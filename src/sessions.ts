// Consul's session endpoints, and the one table between our parameters and Consul's field names.
// Only these paths are ever requested; every value placed in a path is checked or encoded here.
import type { ConsulClient, ConsulResponse, Query } from './consul';
import { ConsulError, ModuleFailure } from './errors';
import { formatDurationNs } from './duration';
import type { SessionSpec } from './params';
import { desiredNodeChecks } from './plan';

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

export interface AgentIdentity {
  node: string;
  datacenter: string;
}

export class SessionApi {
  constructor(
    private readonly client: ConsulClient,
    private readonly datacenter?: string,
  ) {}

  private get query(): Query {
    return { dc: this.datacenter };
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

  onNode(node: string): Promise<ConsulResponse<ConsulSession[]>> {
    return this.sessions(`/v1/session/node/${segment(node, 'node name')}`, `list the sessions of node ${node}`);
  }

  /** The session with this ID, or undefined when Consul does not know it. */
  async info(id: string): Promise<ConsulSession | undefined> {
    const { data } = await this.sessions(`/v1/session/info/${sessionId(id)}`, `read session ${id}`);
    return data[0];
  }

  async create(spec: SessionSpec, node: string): Promise<string> {
    const what = `create session${spec.name === undefined ? '' : ` '${spec.name}'`} on node ${node}`;
    const { data } = await this.client.put<{ ID?: unknown }>('/v1/session/create', what, this.query, createBody(spec, node));
    if (typeof data?.ID !== 'string' || !UUID.test(data.ID)) {
      throw new ConsulError(`Could not ${what}: Consul's answer has no session ID.`, { method: 'PUT', path: '/v1/session/create' });
    }
    return data.ID;
  }

  async destroy(id: string): Promise<void> {
    await this.client.put(`/v1/session/destroy/${sessionId(id)}`, `destroy session ${id}`, this.query);
  }

  private async sessions(path: string, what: string): Promise<ConsulResponse<ConsulSession[]>> {
    const response = await this.client.get<unknown>(path, what, this.query);
    const { data } = response;
    const isSession = (s: unknown) => typeof s === 'object' && s !== null && typeof (s as { ID?: unknown }).ID === 'string';
    if (!Array.isArray(data) || !data.every(isSession)) {
      throw new ConsulError(`Could not ${what}: Consul's answer is not a list of sessions.`, { method: 'GET', path });
    }
    return { ...response, data: data as ConsulSession[] };
  }
}
