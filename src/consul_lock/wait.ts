// Waiting for a lock another session holds: blocking queries on the key (never a busy poll) until it is
// free, then an acquire; a short timer while a lock-delay makes Consul answer false to a free key; and
// renewals of our own TTL session so that it outlives the wait. Pure apart from the clock and the
// requests it is given, so every path is unit-tested on fake timers.
import { ModuleFailure } from '../shared/errors';
import { realClock, type RetryClock } from '../shared/retry';
import type { BlockingRead, LockState } from './kv';

/** Consul caps a blocking query's wait at 10 minutes; ours wake earlier to renew or give up. */
export const MAX_BLOCK_MS = 5 * 60_000;
/** The first and the longest pause between acquires while a lock-delay runs (Consul answers false then). */
export const DELAY_POLL_MS = 100;
export const MAX_DELAY_POLL_MS = 1000;
/** A blocking read that comes back at once with nothing changed is not repeated sooner than this. */
export const MIN_READ_INTERVAL_MS = 100;

export interface LockRequests {
  read(blocking?: BlockingRead): Promise<LockState>;
  acquire(): Promise<boolean>;
  /** Resets our session's TTL; false when the session no longer exists. */
  renew(): Promise<boolean>;
}

export interface WaitPlan {
  session: string;
  key: string;
  waitMs: number;
  /** Our session's TTL, when it has one: it is renewed every half TTL while we wait. */
  ttlMs?: number;
}

export interface WaitOutcome {
  acquired: boolean;
  waitedMs: number;
  /** The lock as last seen: ours when acquired, else who holds it when the wait ran out. */
  state: LockState;
  renewals: number;
}

/**
 * From `initial` (a read showing the key held by another session, or free but refusing us), waits until
 * `session` holds the key or `waitMs` is over. Never returns later than about waitMs plus one request.
 */
export async function waitForLock(plan: WaitPlan, initial: LockState, requests: LockRequests, clock: RetryClock = realClock): Promise<WaitOutcome> {
  const started = clock.now();
  const deadline = started + plan.waitMs;
  const renewEveryMs = plan.ttlMs === undefined ? undefined : plan.ttlMs / 2;
  let lastRenewal = started;
  let renewals = 0;
  let delayPollMs = DELAY_POLL_MS;
  let state = initial;
  const outcome = (acquired: boolean): WaitOutcome => ({ acquired, waitedMs: clock.now() - started, state, renewals });

  const renewIfDue = async () => {
    if (renewEveryMs === undefined || clock.now() - lastRenewal < renewEveryMs) return;
    if (!(await requests.renew())) {
      throw new ModuleFailure(
        `Session ${plan.session} expired or was destroyed while waiting for the lock ${plan.key}; ` +
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
    if (state.holder === plan.session) return outcome(true);
    if (state.holder === null) {
      if (await requests.acquire()) {
        state = { ...state, holder: plan.session };
        return outcome(true);
      }
      // Free but refused: a lock-delay runs, or another waiter was faster. Look again shortly.
      state = await requests.read();
      if (state.holder === null) {
        if (clock.now() >= deadline) return outcome(false);
        await clock.sleep(Math.min(delayPollMs, Math.max(0, deadline - clock.now())));
        delayPollMs = Math.min(delayPollMs * 2, MAX_DELAY_POLL_MS);
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
    const unchanged = state.holder === before.holder && state.index === before.index;
    if (unchanged && clock.now() - asked < MIN_READ_INTERVAL_MS) await clock.sleep(MIN_READ_INTERVAL_MS);
    delayPollMs = DELAY_POLL_MS;
  }
}
