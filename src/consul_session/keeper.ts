// The keeper loop of state=renewed with keep_alive: renew the session every half TTL until it is gone,
// keep_alive has passed, or a signal stops it. Between renewals it waits on a blocking read of the session,
// so a destroy ends it at once rather than at the next renewal. Pure apart from the timers and the
// requests it is given, so every ending is unit-tested on fake timers.
import { RetriesExhausted, transientCause } from '../shared/retry';

export type Ending = 'session_gone' | 'keep_alive_over' | 'signal' | 'consul_unreachable';

/** A blocking read that returns at once with the session unchanged is not repeated sooner than this. */
export const MIN_WATCH_MS = 200;

export interface KeeperRequests {
  /** Renews, retrying transient failures for at most `budgetMs`: the TTL Consul answered (ms), or null once the session is gone. */
  renew(budgetMs: number): Promise<{ ttlMs?: number } | null>;
  /** Returns when the session changes or after `waitMs`: false once it is gone. May fail; the keeper then just sleeps. */
  watch(waitMs: number): Promise<boolean>;
}

/** Set by a signal handler; `stopped` resolves at that moment, so no wait outlasts it. */
export interface StopSwitch {
  signal?: string;
  stopped: Promise<void>;
}

export interface KeeperPlan {
  keepAliveMs: number;
  /** The TTL of the first renewal, made before the loop starts. */
  ttlMs: number;
}

export interface KeeperOutcome {
  ended: Ending;
  /** Renewals made by the loop (the first one is the caller's). */
  renewals: number;
  /** The TTL as Consul last answered it. */
  ttlMs: number;
  keptMs: number;
  /** How long renewals had failed when the keeper gave up (consul_unreachable). */
  outageMs?: number;
  lastError?: string;
}

/** A timer that a stop, or the caller, cuts short: no timer outlives the keeper and holds the process up. */
function timer(ms: number, stop: StopSwitch): { done: Promise<void>; cancel: () => void } {
  let cancel: () => void = () => undefined;
  const done = new Promise<void>((resolve) => {
    const handle = setTimeout(resolve, Math.max(0, ms));
    cancel = () => {
      clearTimeout(handle);
      resolve();
    };
    void stop.stopped.then(cancel);
  });
  return { done, cancel };
}

const sleepUnlessStopped = (ms: number, stop: StopSwitch) => timer(ms, stop).done;

/**
 * Waits `ms`, or less when the session goes (true) or a stop comes. Consul's blocking wait is whole
 * seconds (plus up to 1/16 of jitter), so the watch asks for the whole seconds, a timer keeps the end
 * exact, and the last fraction of a second is slept. A failed watch (Consul away) sleeps the rest.
 */
async function waitForChange(ms: number, requests: KeeperRequests, stop: StopSwitch): Promise<boolean> {
  if (ms < 1000) {
    await sleepUnlessStopped(ms, stop);
    return false;
  }
  const started = Date.now();
  const watched = requests.watch(Math.floor(ms / 1000) * 1000).then(
    (exists) => (exists ? 'unchanged' : 'gone'),
    () => 'failed',
  );
  const limit = timer(ms, stop);
  const outcome = await Promise.race([watched, limit.done.then(() => 'over')]);
  limit.cancel();
  if (outcome === 'gone') return true;
  if (outcome === 'failed') await sleepUnlessStopped(ms - (Date.now() - started), stop);
  else if (outcome === 'unchanged' && Date.now() - started < MIN_WATCH_MS) await sleepUnlessStopped(MIN_WATCH_MS, stop);
  return false;
}

export async function keepAlive(plan: KeeperPlan, requests: KeeperRequests, stop: StopSwitch): Promise<KeeperOutcome> {
  const started = Date.now();
  const deadline = started + plan.keepAliveMs;
  let ttlMs = plan.ttlMs;
  let lastRenewal = started;
  let renewals = 0;
  const end = (ended: Ending, extra: Partial<KeeperOutcome> = {}): KeeperOutcome => ({ ended, renewals, ttlMs, keptMs: Date.now() - started, ...extra });

  for (;;) {
    if (stop.signal !== undefined) return end('signal');
    const now = Date.now();
    if (now >= deadline) return end('keep_alive_over');
    const due = lastRenewal + ttlMs / 2;
    if (now < due) {
      if (await waitForChange(Math.min(due, deadline) - now, requests, stop)) return end('session_gone');
      continue;
    }
    try {
      // Retried until a TTL has passed since the last renewal: after that, Consul may have let the session go.
      const answer = await requests.renew(Math.max(0, lastRenewal + ttlMs - Date.now()));
      if (answer === null) return end('session_gone');
      lastRenewal = Date.now();
      renewals += 1;
      ttlMs = answer.ttlMs ?? ttlMs;
    } catch (error) {
      if (!(error instanceof RetriesExhausted) && transientCause(error) === undefined) throw error;
      return end('consul_unreachable', { outageMs: Date.now() - lastRenewal, lastError: (error as Error).message });
    }
  }
}
