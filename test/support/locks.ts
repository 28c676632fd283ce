/**
 * Small helpers for the lock tests: sessions and KV reads made directly against an agent (never through
 * the module under test), and runs of the built consul_lock.
 */
import { expect } from 'chai';
import { consulHttp } from './consul-http.js';
import type { Agent } from './dev-agent-types.js';
import { runFail, runOk, type RunOptions } from './module.js';

export interface KvEntry {
  Key: string;
  Value: string | null;
  Session?: string;
  LockIndex: number;
  ModifyIndex: number;
}

/** Creates a session directly; returns its ID. */
export async function createSession(agent: Agent, body: Record<string, unknown>): Promise<string> {
  const res = await consulHttp(agent, 'PUT', '/v1/session/create', { Node: agent.nodeName, ...body });
  expect(res.status, res.text).to.equal(200);
  return (res.body as { ID: string }).ID;
}

export async function sessionExists(agent: Agent, id: string): Promise<boolean> {
  return ((await consulHttp(agent, 'GET', `/v1/session/info/${id}`)).body as unknown[]).length === 1;
}

const encodeKey = (key: string) => key.split('/').map(encodeURIComponent).join('/');

/** The KV entry as Consul holds it, or undefined. */
export async function kvEntry(agent: Agent, key: string): Promise<KvEntry | undefined> {
  const res = await consulHttp(agent, 'GET', `/v1/kv/${encodeKey(key)}`);
  return res.status === 404 ? undefined : (res.body as KvEntry[])[0];
}

export const decoded = (entry: KvEntry | undefined) => (entry?.Value == null ? null : Buffer.from(entry.Value, 'base64').toString('utf8'));

/** Takes or releases a lock directly, as another process would. */
export async function lockDirectly(agent: Agent, key: string, op: 'acquire' | 'release', session: string, value = ''): Promise<boolean> {
  const res = await consulHttp(agent, 'PUT', `/v1/kv/${encodeKey(key)}?${op}=${session}`, value);
  return res.body === true;
}

export const lockOk = (args: Record<string, unknown>, options: RunOptions = {}) => runOk(args, { ...options, module: 'consul_lock' });
export const lockFail = (args: Record<string, unknown>, options: RunOptions = {}) => runFail(args, { ...options, module: 'consul_lock' });
