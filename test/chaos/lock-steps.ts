/**
 * consul_lock in the chaos workload: every name takes the ONE shared lock (waiting for it) and releases
 * it in its next call. Mutual exclusion is checked from the callers' side: a name is inside its critical
 * section from a successful acquire until it starts its release, and while it is, no other name may
 * acquire the lock — unless the first name's session is gone (then Consul released the lock, as promised).
 */
import type { Step, StepContext } from './workload';

export interface SharedLock {
  key: string;
  /** The name inside its critical section, with the session it acquired with. */
  inside?: { name: string; session: string };
}

/** Long enough to outlast another name's critical section (one call) and a lock-delay (5–9 s). */
const WAIT = '15s';

export const acquireStep: Step = {
  label: 'acquire the shared lock',
  module: 'consul_lock',
  needsSession: true,
  args: ({ lock, own, name }) => ({ state: 'acquired', key: lock.key, session: own.session, wait: WAIT, value: name }),
  verify: (result, truth, { lock, name, own }) => {
    const session = String(result.holder);
    if (result.acquired !== true || session !== own.session) return `acquire succeeded but reported holder ${session}, not ${String(own.session)}`;
    if (truth.lockHolder !== session) return `acquire succeeded but Consul says ${String(truth.lockHolder)} holds the lock`;
    const other = lock.inside;
    if (other && other.name !== name && truth.live.has(other.session)) {
      return `acquired while ${other.name} is inside its critical section with the live session ${other.session}`;
    }
    lock.inside = { name, session };
    return undefined;
  },
};

/** Leaving the critical section starts with the release, whatever its outcome. */
function leave({ lock, name }: StepContext): void {
  if (lock.inside?.name === name) lock.inside = undefined;
}

export const releaseStep: Step = {
  label: 'release the shared lock',
  module: 'consul_lock',
  needsSession: true,
  arrange: (ctx) => {
    leave(ctx);
    return Promise.resolve();
  },
  args: ({ lock, own }) => ({ state: 'released', key: lock.key, session: own.session }),
  verify: (result, truth, { own }) => {
    if (truth.lockHolder !== null && truth.lockHolder === own.session) return `released, yet Consul says our session ${own.session} still holds the lock`;
    return result.acquired === false ? undefined : 'released, yet the result says acquired';
  },
};
