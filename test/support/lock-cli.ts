/**
 * The reference client, `consul lock [-n N] PREFIX command`, run as a child process against a dev agent:
 * the lock (PREFIX/.lock) or semaphore its users' scripts take. Each run gets its own process group, so a
 * test can SIGKILL the CLI alone (as a crash would) and still reap the command it started.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { consulBinary } from './consul-binary.js';
import type { Agent } from './dev-agent-types.js';

export interface CliRun {
  child: ChildProcess;
  /** Everything the CLI printed so far (stdout and stderr together, as a user sees it). */
  output(): string;
  /** The exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  /** SIGKILL to the CLI only: its command lives on, as it would after a crash of the CLI. */
  crash(): void;
  /** Ends the CLI's whole process group (the command too); harmless when it already exited. */
  stop(): Promise<void>;
}

/**
 * A shell line that logs a critical section "<epoch seconds> start|end <label>" to `log` around a
 * pause of `seconds`, the format of critical-sections.ts.
 */
export const loggedSection = (log: string, label: string, seconds: number) =>
  `echo "$(date +%s.%N) start ${label}" >> '${log}'; sleep ${seconds}; echo "$(date +%s.%N) end ${label}" >> '${log}'`;

export function consulLock(agent: Agent, prefix: string, command: string, options: { limit?: number; extra?: string[] } = {}): CliRun {
  const args = ['lock', '-verbose', ...(options.limit === undefined ? [] : ['-n', String(options.limit)]), ...(options.extra ?? []), prefix, command];
  const child = spawn(consulBinary(), args, {
    env: { PATH: process.env.PATH, CONSUL_HTTP_ADDR: agent.httpAddr },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let text = '';
  child.stdout?.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  child.stderr?.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  const group = (signal: NodeJS.Signals) => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, signal);
    } catch {
      // The group is gone already.
    }
  };
  return {
    child,
    output: () => text,
    exited,
    crash: () => child.kill('SIGKILL'),
    stop: async () => {
      group('SIGKILL');
      await Promise.race([exited, new Promise((done) => setTimeout(done, 2_000))]);
    },
  };
}
