/**
 * consul_lock's jobs, for builds that have dist/consul_lock.js: `state: acquired` taking a free lock
 * (read, acquire, read back: 3 requests) and `state: acquired` for a lock the session already holds
 * with the same value (1 read, no change). Both hold their locks with the fixture's lockSession.
 */
import type { Job } from './harness';
import type { Build } from './builds';
import { moduleSpec, type Fixture } from './candidates';
import { expectChanged, parseResult } from './checks';
import type { NodeBinary } from './nodes';

export const LOCK_STATES = ['lock_acquire', 'lock_held'] as const;
export type LockState = (typeof LOCK_STATES)[number];

/** The key every `lock_held` run finds already held by the lock session. */
export const heldKey = (fx: Fixture): string => `${fx.prefix}/lock-held`;

/**
 * What the locks store. Not the default "": Consul keeps an empty value as null, and consul_lock (as of
 * 1cb5877) then sees a different value on every run and re-acquires, reporting a change each time.
 */
export const LOCK_VALUE = 'bench';

/** consul_lock's arguments for taking `key` with the lock session. */
export const lockArgs = (fx: Fixture, key: string): Record<string, unknown> => ({ state: 'acquired', key, session: fx.lockSession, value: LOCK_VALUE });

export function lockJobs(fx: Fixture, bin: NodeBinary, build: Build & { lock: string }, port: () => number): Record<LockState, Job<any>> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const acquire: Job<string> = {
    id: `${build.id}:lock_acquire`,
    setup: () => Promise.resolve(`${fx.prefix}/lock-${++fx.counter}`),
    spec: (key) => moduleSpec(fx, bin, build.lock, lockArgs(fx, key), port()),
    check: (run) => expectChanged(parseResult(run), true),
  };
  const held: Job = {
    id: `${build.id}:lock_held`,
    spec: () => moduleSpec(fx, bin, build.lock, lockArgs(fx, heldKey(fx)), port()),
    check: (run) => expectChanged(parseResult(run), false),
  };
  return { lock_acquire: acquire, lock_held: held };
}
