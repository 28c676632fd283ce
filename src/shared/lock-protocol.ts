// The flags Consul's own lock clients (`consul lock`, the Go API's api.Lock and api.Semaphore) write on
// their keys, so that a key of one kind is never taken for another. Exact decimal strings: both are
// above 2^53, where a JS number would round them.

/** api.LockFlagValue, 0x2ddccbc058a50c18: on a lock's key (`consul lock PREFIX` uses PREFIX/.lock). */
export const LOCK_FLAGS = '3304740253564472344';
/** api.SemaphoreFlagValue, 0xe0f69a2baa414de0: on a semaphore's .lock key and its contender keys. */
export const SEMAPHORE_FLAGS = '16210313421097356768';

/** What a key's flags say it is, in words for a message: "a semaphore's key (...)". */
export function flagsOwner(flags: string): string {
  if (flags === LOCK_FLAGS) return `a lock's key (flags ${LOCK_FLAGS}, written by consul lock, Consul's api.Lock and consul_lock)`;
  if (flags === SEMAPHORE_FLAGS) {
    return `a semaphore's key (flags ${SEMAPHORE_FLAGS}, written by consul lock -n, Consul's api.Semaphore and consul_semaphore)`;
  }
  if (flags === '0') return 'a plain key (flags 0)';
  return `a key with flags ${flags}, which belongs to another tool`;
}

/**
 * Whether a key with these flags may be used as `wanted`'s kind: its own flags, or 0 (a key written
 * without flags, e.g. by an older consul_lock or by consul_kv, is adopted and gets `wanted` once taken).
 */
export const flagsAllow = (flags: string, wanted: string) => flags === wanted || flags === '0';
