/**
 * Helpers for the semaphore tests: the prefix read directly from an agent (never through the module
 * under test, flags kept exact from the raw text), runs of the built consul_semaphore, and `consul lock
 * -n N` processes whose command logs its critical section.
 */
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { consulBinary } from './consul-binary.js';
import { consulHttp } from './consul-http.js';
import type { Agent } from './dev-agent-types.js';
import { runFail, runOk, type RunOptions } from './module.js';

export const SEMAPHORE_FLAGS = '16210313421097356768';

export interface RawEntry {
  key: string;
  session: string | null;
  /** Exact, from the answer's text (JSON.parse would round it). */
  flags: string;
  value: string | null;
  modifyIndex: number;
}

/** Every key under `prefix/`, with its flags read exactly; [] when there is none. */
export async function prefixEntries(agent: Agent, prefix: string): Promise<RawEntry[]> {
  const res = await consulHttp(agent, 'GET', `/v1/kv/${prefix}/?recurse`);
  if (res.status === 404) return [];
  expect(res.status, res.text).to.equal(200);
  const exact = JSON.parse(res.text.replace(/"Flags":\s*(\d+)/g, '"Flags":"$1"')) as Array<{ Key: string; Session?: string; Flags: string; Value: string | null; ModifyIndex: number }>;
  return exact.map((e) => ({
    key: e.Key,
    session: e.Session ?? null,
    flags: e.Flags,
    value: e.Value === null ? null : Buffer.from(e.Value, 'base64').toString('utf8'),
    modifyIndex: e.ModifyIndex,
  }));
}

/** PREFIX/.lock's JSON, or undefined. */
export async function semaphoreJson(agent: Agent, prefix: string): Promise<{ Limit: number; Holders: Record<string, boolean> } | undefined> {
  const lock = (await prefixEntries(agent, prefix)).find((e) => e.key === `${prefix}/.lock`);
  return lock?.value ? (JSON.parse(lock.value) as { Limit: number; Holders: Record<string, boolean> }) : undefined;
}

/** X-Consul-Index of the prefix: unchanged means nothing under it was written. */
export async function prefixIndex(agent: Agent, prefix: string): Promise<string> {
  return String((await consulHttp(agent, 'GET', `/v1/kv/${prefix}/?recurse`)).headers['x-consul-index']);
}

export const semaphoreOk = (args: Record<string, unknown>, options: RunOptions = {}) => runOk(args, { ...options, module: 'consul_semaphore' });
export const semaphoreFail = (args: Record<string, unknown>, options: RunOptions = {}) => runFail(args, { ...options, module: 'consul_semaphore' });

/**
 * `consul lock -n LIMIT PREFIX` running a command that appends "<epoch> start|end LABEL" to `log` around
 * `seconds` of sleep (critical-sections.ts reads it). Its own process group, so a SIGKILL of the group
 * takes the CLI and its command together.
 */
export function cliSemaphore(agent: Agent, prefix: string, limit: number, label: string, log: string, seconds: number): ChildProcess & { output: () => string } {
  const section = `echo "$(date +%s.%N) start ${label}" >> '${log}'; sleep ${seconds}; echo "$(date +%s.%N) end ${label}" >> '${log}'`;
  const child = spawn(consulBinary(), ['lock', '-verbose', '-n', String(limit), prefix, section], {
    env: { ...process.env, CONSUL_HTTP_ADDR: agent.httpAddr },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const chunks: Buffer[] = [];
  child.stdout?.on('data', (c: Buffer) => chunks.push(c));
  child.stderr?.on('data', (c: Buffer) => chunks.push(c));
  return Object.assign(child, { output: () => Buffer.concat(chunks).toString('utf8') });
}

/** The exit code of a child process, once it exits. */
export function exitOf(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.on('exit', (code) => resolve(code)));
}
