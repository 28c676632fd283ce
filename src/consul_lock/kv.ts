// Consul's KV endpoints as a lock uses them: read (optionally blocking), acquire and release. The key
// reaches only /v1/kv/<key>: its segments were checked in params.ts and each is percent-encoded here.
import type { ConsulClient, Query, RequestOptions } from '../shared/consul';
import { ConsulError } from '../shared/errors';

/** A KV entry as Consul 1.8 reports it; Value is base64 (or null), Session absent when nobody holds it. */
interface ConsulKvEntry {
  Key: string;
  Value: string | null;
  Session?: string;
  LockIndex: number;
  Flags: number;
  CreateIndex: number;
  ModifyIndex: number;
}

/** What a lock looks like at one moment: `exists: false` for a key that was never written. */
export interface LockState {
  exists: boolean;
  /** The session holding the key, or null. */
  holder: string | null;
  /** The value as text ("" for an empty one, which Consul keeps as null), or null when the key does not exist. */
  value: string | null;
  lockIndex: number;
  /** X-Consul-Index: a blocking read returns once the key changes past it. */
  index: number;
}

/** Each segment on its own, so "/" stays a separator and ?, #, % and unicode are stored literally. */
export const keyPath = (key: string) => `/v1/kv/${key.split('/').map(encodeURIComponent).join('/')}`;

/** Consul stores an empty value as null; for a key that exists, that is the text "". */
function decode(value: string | null): string {
  return value === null ? '' : Buffer.from(value, 'base64').toString('utf8');
}

export interface BlockingRead {
  /** Return when the key's index moves past this one, or after `waitMs`. */
  index: number;
  waitMs: number;
}

export class KvApi {
  constructor(
    private readonly client: ConsulClient,
    private readonly datacenter?: string,
  ) {}

  private get query(): Query {
    return { dc: this.datacenter };
  }

  /** The lock's state; with `blocking`, Consul answers once the key changes or the wait is over. */
  async read(key: string, blocking?: BlockingRead, options: RequestOptions = {}): Promise<LockState> {
    const path = keyPath(key);
    const query: Query = blocking
      ? { ...this.query, index: String(blocking.index), wait: `${Math.max(1, Math.ceil(blocking.waitMs / 1000))}s` }
      : this.query;
    // Consul answers a blocking query up to wait/16 late (jitter); give the request that long beyond its wait.
    const extraTimeoutMs = blocking ? Math.ceil(blocking.waitMs * (17 / 16)) + 1000 : 0;
    const response = await this.client.get<ConsulKvEntry[] | null>(path, `read the lock ${key}`, query, { ...options, notFound: true, extraTimeoutMs });
    const index = response.index ?? 0;
    const entry = response.data?.find((e) => e.Key === key);
    if (response.data !== null && !entry) {
      throw new ConsulError(`Could not read the lock ${key}: Consul's answer has no entry for that key.`, { method: 'GET', path });
    }
    if (!entry) return { exists: false, holder: null, value: null, lockIndex: 0, index };
    return { exists: true, holder: entry.Session || null, value: decode(entry.Value), lockIndex: entry.LockIndex, index };
  }

  /**
   * Acquire (or, for the holder, rewrite the value). Consul answers false, not an error, when another
   * session holds the key or its lock-delay runs. Re-sending is safe: the holder gets true again.
   */
  acquire(key: string, session: string, value: string, options: RequestOptions = {}): Promise<boolean> {
    return this.lockWrite(key, 'acquire', session, value, options);
  }

  /** Release by the holder; `value` is sent because a release without a body wipes the stored value. */
  release(key: string, session: string, value: string, options: RequestOptions = {}): Promise<boolean> {
    return this.lockWrite(key, 'release', session, value, options);
  }

  private async lockWrite(key: string, op: 'acquire' | 'release', session: string, value: string, options: RequestOptions): Promise<boolean> {
    const path = keyPath(key);
    const what = `${op} the lock ${key} for session ${session}`;
    const response = await this.client.put<unknown>(path, what, { ...this.query, [op]: session }, value, { ...options, retry: true, rawBody: true });
    if (typeof response.data !== 'boolean') {
      throw new ConsulError(`Could not ${what}: Consul answered ${JSON.stringify(response.data)}, not true or false.`, { method: 'PUT', path });
    }
    return response.data;
  }
}
