/**
 * The candidates: the fixture every part shares, and the jobs that run a build's consul_session, the
 * classic Python module and the two floors: `node -e 0`, and one plain `http.get` (the least any module
 * that asks Consul one thing can cost).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { consulHttp, type Agent } from '../test/support/consul';
import type { Job, RunSpec } from './harness';
import { expectChanged, idOf, parseResult, sessionsOf } from './checks';
import type { Build } from './builds';
import { cleanEnv, PY_MODULE, PYTHON } from './environment';
import type { NodeBinary } from './nodes';

export const STATES = ['list', 'info', 'present_hit', 'present_create', 'absent'] as const;
export type State = (typeof STATES)[number];

export interface Fixture {
  agent: Agent;
  tmp: string;
  env: NodeJS.ProcessEnv;
  /** the session the `info` and `present` hit runs find */
  hitName: string;
  hitId: string;
  prefix: string;
  counter: number;
  /** The session consul_lock runs hold their locks with (created when a build has consul_lock). */
  lockSession: string;
}

function writeArgs(fx: Fixture, args: Record<string, unknown>): string {
  const file = path.join(fx.tmp, `args-${++fx.counter}.json`);
  fs.writeFileSync(file, JSON.stringify(args));
  return file;
}

export async function createSession(fx: Fixture, name: string): Promise<string> {
  const res = await consulHttp(fx.agent, 'PUT', '/v1/session/create', { Name: name, Node: fx.agent.nodeName, LockDelay: '0s' });
  const id = (res.body as { ID?: unknown } | undefined)?.ID;
  if (res.status !== 200 || typeof id !== 'string') throw new Error(`session create: ${res.status} ${res.text}`);
  return id;
}

async function destroySession(fx: Fixture, id: string): Promise<void> {
  const res = await consulHttp(fx.agent, 'PUT', `/v1/session/destroy/${id}`);
  if (res.status !== 200) throw new Error(`session destroy ${id}: ${res.status} ${res.text}`);
}

/** One run of `module` (a built consul_session.js or consul_lock.js) with `node`, as Ansible starts it. */
export function moduleSpec(fx: Fixture, node: NodeBinary, module: string, args: Record<string, unknown>, port: number): RunSpec {
  const file = writeArgs(fx, { host: '127.0.0.1', port, ...args });
  return { cmd: node.path, args: [module, file], env: fx.env, cwd: fx.tmp };
}

export function pySpec(fx: Fixture, args: Record<string, unknown>, port: number): RunSpec {
  return {
    cmd: PYTHON,
    args: ['-m', PY_MODULE],
    stdin: JSON.stringify({ ANSIBLE_MODULE_ARGS: { host: '127.0.0.1', port, ...args } }),
    env: fx.env,
    cwd: fx.tmp,
  };
}

/** A build's consul_session, one job per state (ids `ours:list`, `baseline:list` …); `port` is the agent's or the counting proxy's. */
export function sessionJobs(fx: Fixture, bin: NodeBinary, build: Build, port: () => number): Record<State, Job<any>> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const node = fx.agent.nodeName;
  const ourSpec = (args: Record<string, unknown>, p: number): RunSpec => moduleSpec(fx, bin, build.session, args, p);
  const list: Job = {
    id: `${build.id}:list`,
    spec: () => ourSpec({ state: 'list' }, port()),
    check: (run) => {
      const result = parseResult(run);
      expectChanged(result, false);
      if (sessionsOf(result).length < 1) throw new Error('list found no session');
    },
  };
  const info: Job = {
    id: `${build.id}:info`,
    spec: () => ourSpec({ state: 'info', id: fx.hitId }, port()),
    check: (run) => {
      const result = parseResult(run);
      if (sessionsOf(result).length !== 1) throw new Error('info did not find the session');
    },
  };
  const hit: Job = {
    id: `${build.id}:present_hit`,
    spec: () => ourSpec({ state: 'present', name: fx.hitName, node }, port()),
    check: (run) => {
      const result = parseResult(run);
      expectChanged(result, false);
      if (idOf(result) !== fx.hitId) throw new Error(`present found ${idOf(result)}, not ${fx.hitId}`);
    },
  };
  const create: Job<string> = {
    id: `${build.id}:present_create`,
    setup: () => Promise.resolve(`${fx.prefix}-create-${++fx.counter}`),
    spec: (name) => ourSpec({ state: 'present', name, node }, port()),
    check: (run) => expectChanged(parseResult(run), true),
    teardown: (run) => destroySession(fx, idOf(parseResult(run))),
  };
  const absent: Job<string> = {
    id: `${build.id}:absent`,
    setup: async () => {
      const name = `${fx.prefix}-absent-${++fx.counter}`;
      await createSession(fx, name);
      return name;
    },
    spec: (name) => ourSpec({ state: 'absent', name, node }, port()),
    check: (run) => expectChanged(parseResult(run), true),
  };
  return { list, info, present_hit: hit, present_create: create, absent };
}

/**
 * The classic module. It has no idempotent `present`: every run creates a session (one PUT), so one
 * job `py:present` stands for both present rows; `absent` needs the session's ID.
 */
export function pyJobs(fx: Fixture, port: () => number): Job<any>[] { // eslint-disable-line @typescript-eslint/no-explicit-any
  const node = fx.agent.nodeName;
  const list: Job = {
    id: 'py:list',
    spec: () => pySpec(fx, { state: 'list' }, port()),
    check: (run) => {
      if (sessionsOf(parseResult(run)).length < 1) throw new Error('list found no session');
    },
  };
  const info: Job = {
    id: 'py:info',
    spec: () => pySpec(fx, { state: 'info', id: fx.hitId }, port()),
    check: (run) => {
      parseResult(run);
    },
  };
  const present: Job = {
    id: 'py:present',
    spec: () => pySpec(fx, { state: 'present', name: `${fx.prefix}-py-${++fx.counter}`, node }, port()),
    check: (run) => expectChanged(parseResult(run), true),
    teardown: (run) => destroySession(fx, idOf(parseResult(run))),
  };
  const absent: Job<string> = {
    id: 'py:absent',
    setup: () => createSession(fx, `${fx.prefix}-pyabsent-${++fx.counter}`),
    spec: (id) => pySpec(fx, { state: 'absent', id }, port()),
    check: (run) => expectChanged(parseResult(run), true),
  };
  return [list, info, present, absent];
}

export const PY_JOB_OF_STATE: Record<State, string> = {
  list: 'py:list',
  info: 'py:info',
  present_hit: 'py:present',
  present_create: 'py:present',
  absent: 'py:absent',
};

export const floorJob = (bin: NodeBinary): Job => ({
  id: 'node -e 0',
  spec: () => ({ cmd: bin.path, args: ['-e', '0'], env: cleanEnv() }),
  check: (run) => {
    if (run.code !== 0) throw new Error(`exit ${String(run.code)}`);
  },
});

/**
 * The least a module that asks Consul one thing can cost: read the args file, one GET with node:http,
 * print the answer as JSON. What a module spends beyond this is its own start-up and its HTTP client.
 */
const ONE_GET = `const fs = require('node:fs');
const http = require('node:http');
const args = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
http.get({ host: args.host, port: args.port, path: '/v1/session/list', agent: false }, (res) => {
  let body = '';
  res.setEncoding('utf8');
  res.on('data', (chunk) => (body += chunk));
  res.on('end', () => process.stdout.write(JSON.stringify({ changed: false, sessions: JSON.parse(body) }) + '\\n'));
});
`;

export function oneGetJob(fx: Fixture, bin: NodeBinary): Job {
  const script = path.join(fx.tmp, 'one-get.js');
  if (!fs.existsSync(script)) fs.writeFileSync(script, ONE_GET);
  return {
    id: 'one http.get',
    spec: () => ({ cmd: bin.path, args: [script, writeArgs(fx, { host: '127.0.0.1', port: fx.agent.httpPort })], env: fx.env, cwd: fx.tmp }),
    check: (run) => {
      if (sessionsOf(parseResult(run)).length < 1) throw new Error('one http.get listed no session');
    },
  };
}
