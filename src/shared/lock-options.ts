// The options both lock kinds share (src/shared/lock_options.yml) as settings: one conversion for
// consul_lock and consul_semaphore.
import type { LockOptionsParams } from './generated/lock_options';

export interface LockOptionSettings {
  /** Lower-cased: Consul reports session IDs in lower case. */
  session?: string;
  waitMs: number;
  /** false: an acquire that did not get in succeeds with acquired: false instead of failing. */
  failIfNotAcquired: boolean;
}

export function lockOptionsOf(p: LockOptionsParams): LockOptionSettings {
  return { session: p.session?.toLowerCase(), waitMs: Math.round(p.wait * 1000), failIfNotAcquired: p.fail_if_not_acquired };
}
