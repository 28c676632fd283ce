// A lock's key as consul_lock reasons about it: who holds it, its value and flags, and the index a
// blocking read waits on. The requests themselves are the shared KV API's (src/shared/kv.ts).
import type { BlockingRead, KeyRead, KvApi } from '../shared/kv';
import type { RequestOptions } from '../shared/consul';

/** What a lock looks like at one moment: `exists: false` for a key that was never written. */
export interface LockState {
  exists: boolean;
  /** The session holding the key, or null. */
  holder: string | null;
  /** The value as text ("" for an empty one), or null when the key does not exist. */
  value: string | null;
  lockIndex: number;
  /** The key's 64-bit flags as a decimal string ("0" when it does not exist). */
  flags: string;
  /** X-Consul-Index: a blocking read returns once the key changes past it. */
  index: number;
}

export function lockState({ entry, index }: KeyRead): LockState {
  if (!entry) return { exists: false, holder: null, value: null, lockIndex: 0, flags: '0', index };
  return { exists: true, holder: entry.session, value: entry.value, lockIndex: entry.lockIndex, flags: entry.flags, index };
}

export const readLock = async (kv: Pick<KvApi, 'read'>, key: string, blocking?: BlockingRead, options?: RequestOptions) => lockState(await kv.read(key, blocking, options));
