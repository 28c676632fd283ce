// Waiting for something another session holds (a lock's key, a semaphore's slot): blocking queries on
// the watched key or prefix (never a busy poll) until an attempt can succeed, then the attempt; a short
// growing timer while an attempt is refused though nothing changed (a lock-delay); at once after a lost
// race (the index moved); and renewals of our own TTL session so that it outlives the wait. Pure apart
// from the clock and the requests it is given, so every path is unit-tested on fake timers.
import type { ConnectionSettings } from './connection';
import type { RequestOptions } from './consul';
import { ModuleFailure } from './errors';
import type { BlockingRead } from './kv';
import { RetryBudget, realClock, type RetryClock } from './retry';

/** Consul caps a blocking query's wait at 10 minutes; ours wake earlier to renew or give up. */
export const MAX_BLOCK_MS = 5 * 60_000;
/** The first and the longest pause between attempts while they are refused and nothing changes (lock-delay). */
export const DELAY_POLL_MS = 100;
export const MAX_DELAY_POLL_MS = 1000;
/** A blocking read that comes back at once with nothing changed is not repeated sooner than this. */
export const MIN_READ_INTERVAL_MS = 100;

/** What is watched, as one read sees it: anything with the X-Consul-Index of that read. */
export interface Watched {
  index: number;
}

export interface WaitRequests<S extends Watched> {
  /** Reads what is watched; with `blocking`, once it changes past `blocking.index` or after `waitMs`. */
  read(blocking?: BlockingRead): Promise<S>;
  /** True when `state` already counts as ours (nothing to do). */
  done(state: S): boolean;
  /** True when an attempt may succeed from `state` (the key is free, a slot is open). */
  ready(state: S): boolean;
  /** Tries to take it from `state`; false when Consul refused (lock-delay, a faster contender, a failed CAS). */
  attempt(state: S): Promise<boolean>;
  /** Resets our session's TTL; false when the session no longer exists. */
  renew(): Promise<boolean>;
}

export interface WaitPlan {
  session: string;
  /** What is waited for, for messages: "the lock locks/deploy". */
  what: string;
  /** When to give up, on the same clock as the one passed to waitUntil (one deadline for the whole run). */
  deadline: number;
  /** Our session's TTL, when it has one: it is renewed every half TTL while we wait. */
  ttlMs?: number;
}

export interface WaitOutcome<S> {
  acquired: boolean;
  waitedMs: number;
  /** The last read: before the successful attempt, or what stood in the way when the deadline came. */
  state: S;
  renewals: number;
}

/**
 * From `initial` (a read that is not ours), waits until `done`, or an `attempt` succeeds, or the
 * deadline passes. Never returns later than about the deadline plus one request.
 */
export async function waitUntil<S extends Watched>(plan: WaitPlan, initial: S, requests: WaitRequests<S>, clock: RetryClock = realClock): Promise<WaitOutcome<S>> {
  const started = clock.now();
  const { deadline } = plan;
  const renewEveryMs = plan.ttlMs === undefined ? undefined : plan.ttlMs / 2;
  let lastRenewal = started;
  let renewals = 0;
  let delayPollMs = DELAY_POLL_MS;
  let state = initial;
  const outcome = (acquired: boolean): WaitOutcome<S> => ({ acquired, waitedMs: clock.now() - started, state, renewals });

  const renewIfDue = async () => {
    if (renewEveryMs === undefined || clock.now() - lastRenewal < renewEveryMs) return;
    if (!(await requests.renew())) {
      throw new ModuleFailure(
        `Session ${plan.session} expired or was destroyed while waiting for ${plan.what}; ` +
          'create a session with consul_session (state: present) and try again.',
      );
    }
    lastRenewal = clock.now();
    renewals += 1;
  };
  /** How long the next wait may last: until the deadline, the next renewal, or MAX_BLOCK_MS. */
  const nextWaitMs = () => {
    const untilRenewal = renewEveryMs === undefined ? Infinity : lastRenewal + renewEveryMs - clock.now();
    return Math.max(0, Math.min(deadline - clock.now(), untilRenewal, MAX_BLOCK_MS));
  };

  for (;;) {
    if (requests.done(state)) return outcome(true);
    if (requests.ready(state)) {
      if (await requests.attempt(state)) return outcome(true);
      // Refused though it looked possible. If the index moved, someone was faster: look and try again at
      // once. If nothing changed, a lock-delay runs, which no blocking query would see end: a short timer.
      const refusedAt = state.index;
      state = await requests.read();
      if (requests.ready(state)) {
        if (clock.now() >= deadline) return outcome(false);
        if (state.index === refusedAt) {
          await clock.sleep(Math.min(delayPollMs, Math.max(0, deadline - clock.now())));
          delayPollMs = Math.min(delayPollMs * 2, MAX_DELAY_POLL_MS);
        }
        await renewIfDue();
      }
      continue;
    }
    if (clock.now() >= deadline) return outcome(false);
    await renewIfDue();
    const waitMs = nextWaitMs();
    if (waitMs <= 0) continue;
    const asked = clock.now();
    const before = state;
    state = await requests.read({ index: Math.max(1, before.index), waitMs });
    // Consul may answer a blocking query early with nothing changed; never spin on that.
    if (state.index === before.index && clock.now() - asked < MIN_READ_INTERVAL_MS) await clock.sleep(MIN_READ_INTERVAL_MS);
    delayPollMs = DELAY_POLL_MS;
  }
}

/** Seconds with one decimal, as the results report `waited`. */
export const seconds = (ms: number) => Math.round(ms / 100) / 10;

/** What a run that waits has: its connection settings, the run's retry budget and its one clock. */
export interface WaitingRun {
  settings: { connection: ConnectionSettings };
  retry: RetryBudget;
  clock: RetryClock;
}

/** Each request of a wait gets its own retry budget, never reaching past the wait's end plus `timeout`. */
export function budgetUntil(run: WaitingRun, deadline: number): RequestOptions {
  const { retryTimeoutMs = 0, timeoutMs } = run.settings.connection;
  const budget = new RetryBudget(Math.max(0, Math.min(retryTimeoutMs, deadline + timeoutMs - run.clock.now())), run.clock);
  run.retry.adopt(budget);
  return { budget };
}
