/**
 * The candidates: the fixture every part shares, and the jobs that run our module, the classic
 * Python module and the `node -e 0` floor.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { consulHttp, type Agent } from '../test/support/consul';
import type { Job, RunSpec } from './harness';
import { expectChanged, idOf, parseResult, sessionsOf } from './checks';
import { MODULE, NODE, PY_MODULE, PYTHON } from './environment';

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
}

function writeArgs(fx: Fixture, args: Record<string, unknown>): string {
  const file = path.join(fx.tmp, `args-${++fx.counter}.json`);
  fs.writeFileSync(file, JSON.stringify(args));
  return file;
}

async function createSession(fx: Fixture, name: string): Promise<string> {
  const res = await consulHttp(fx.agent, 'PUT', '/v1/session/create', { Name: name, Node: fx.agent.nodeName, LockDelay: '0s' });
  const id = (res.body as { ID?: unknown } | undefined)?.ID;
  if (res.status !== 200 || typeof id !== 'string') throw new Error(`session create: ${res.status} ${res.text}`);
  return id;
}

async function destroySession(fx: Fixture, id: string): Promise<void> {
  const res = await consulHttp(fx.agent, 'PUT', `/v1/session/destroy/${id}`);
  if (res.status !== 200) throw new Error(`session destroy ${id}: ${res.status} ${res.text}`);
}

export function ourSpec(fx: Fixture, args: Record<string, unknown>, port: number): RunSpec {
  const file = writeArgs(fx, { host: '127.0.0.1', port, ...args });
  return { cmd: NODE, args: [MODULE, file], env: fx.env, cwd: fx.tmp };
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

/** Our module, one job per state; `port` is the agent's or the counting proxy's. */
export function ourJobs(fx: Fixture, port: () => number): Record<State, Job<any>> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const node = fx.agent.nodeName;
  const list: Job = {
    id: 'ours:list',
    spec: () => ourSpec(fx, { state: 'list' }, port()),
    check: (run) => {
      const result = parseResult(run);
      expectChanged(result, false);
      if (sessionsOf(result).length < 1) throw new Error('list found no session');
    },
  };
  const info: Job = {
    id: 'ours:info',
    spec: () => ourSpec(fx, { state: 'info', id: fx.hitId }, port()),
    check: (run) => {
      const result = parseResult(run);
      if (sessionsOf(result).length !== 1) throw new Error('info did not find the session');
    },
  };
  const hit: Job = {
    id: 'ours:present_hit',
    spec: () => ourSpec(fx, { state: 'present', name: fx.hitName, node }, port()),
    check: (run) => {
      const result = parseResult(run);
      expectChanged(result, false);
      if (idOf(result) !== fx.hitId) throw new Error(`present found ${idOf(result)}, not ${fx.hitId}`);
    },
  };
  const create: Job<string> = {
    id: 'ours:present_create',
    setup: () => Promise.resolve(`${fx.prefix}-create-${++fx.counter}`),
    spec: (name) => ourSpec(fx, { state: 'present', name, node }, port()),
    check: (run) => expectChanged(parseResult(run), true),
    teardown: (run) => destroySession(fx, idOf(parseResult(run))),
  };
  const absent: Job<string> = {
    id: 'ours:absent',
    setup: async () => {
      const name = `${fx.prefix}-absent-${++fx.counter}`;
      await createSession(fx, name);
      return name;
    },
    spec: (name) => ourSpec(fx, { state: 'absent', name, node }, port()),
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

export const floorJob: Job = {
  id: 'node -e 0',
  spec: () => ({ cmd: NODE, args: ['-e', '0'] }),
  check: (run) => {
    if (run.code !== 0) throw new Error(`exit ${String(run.code)}`);
  },
};
