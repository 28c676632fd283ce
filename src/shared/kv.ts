// Consul's KV endpoints as locks and semaphores use them: reads of one key or of a prefix with their
// X-Consul-Index (optionally blocking), acquire and release, check-and-set puts and deletes. Keys reach
// only /v1/kv/<key>: each segment is percent-encoded on its own (the modules refuse "", "." and "..").
// Flags are 64-bit: Consul writes them as bare JSON numbers, which JSON.parse would round above 2^53,
// so they are read from the answer's text and kept and sent as exact decimal strings.
import type { ConsulClient, Query, RequestOptions } from './consul';
import { ConsulError } from './errors';

/** A key as Consul holds it; `value` is text ("" for an empty value, which Consul keeps as null). */
export interface KvEntry {
  key: string;
  value: string;
  /** The session holding the key, or null. */
  session: string | null;
  /** The 64-bit flags as an exact decimal string ("0" when none). */
  flags: string;
  lockIndex: number;
  createIndex: number;
  modifyIndex: number;
}

/** One key at one moment: `entry` is undefined for a key that does not exist. */
export interface KeyRead {
  entry: KvEntry | undefined;
  /** X-Consul-Index: a blocking read returns once the key changes past it. */
  index: number;
}

/** Every key under a prefix (sorted by key, as Consul answers), with the prefix's index. */
export interface PrefixRead {
  entries: KvEntry[];
  index: number;
}

export interface BlockingRead {
  /** Return when the index moves past this one, or after `waitMs`. */
  index: number;
  waitMs: number;
}

/** How a write leaves the key's flags: every write sets them (Consul resets them to 0 when none are sent). */
export interface WriteFlags {
  /** Decimal string; "0" or undefined writes 0. */
  flags?: string;
}

/** Each segment on its own, so "/" stays a separator and ?, #, % and unicode are stored literally. */
export const keyPath = (key: string) => `/v1/kv/${key.split('/').map(encodeURIComponent).join('/')}`;

/** An entry as Consul 1.8 answers it, once Flags were turned into a string by `parseEntries`. */
interface ConsulKvEntry {
  Key: string;
  Value: string | null;
  Session?: string;
  LockIndex: number;
  Flags: string;
  CreateIndex: number;
  ModifyIndex: number;
}

/**
 * Consul's answer with every `"Flags": <digits>` member turned into a string before JSON.parse. Safe on
 * any JSON: inside a JSON string a quote is always escaped (`\"`), so `"Flags":` followed by digits can
 * only be a member name; keys and values (base64) cannot produce it.
 */
export function parseEntries(text: string): ConsulKvEntry[] | null {
  return JSON.parse(text.replace(/"Flags"(\s*):(\s*)(\d+)/g, '"Flags"$1:$2"$3"')) as ConsulKvEntry[] | null;
}

/** Canonical decimal form, so "0003" and "3" compare equal as text. */
export function normalizeFlags(flags: string | number | bigint | undefined): string {
  return BigInt(flags ?? 0).toString();
}

function toEntry(raw: ConsulKvEntry): KvEntry {
  return {
    key: raw.Key,
    value: raw.Value === null ? '' : Buffer.from(raw.Value, 'base64').toString('utf8'),
    session: raw.Session || null,
    flags: normalizeFlags(raw.Flags),
    lockIndex: raw.LockIndex,
    createIndex: raw.CreateIndex,
    modifyIndex: raw.ModifyIndex,
  };
}

function isEntry(raw: unknown): raw is ConsulKvEntry {
  if (typeof raw !== 'object' || raw === null) return false;
  const e = raw as Record<string, unknown>;
  return typeof e.Key === 'string' && (typeof e.Flags === 'string' || e.Flags === undefined) && (e.Value === null || typeof e.Value === 'string' || e.Value === undefined);
}

export class KvApi {
  constructor(
    private readonly client: ConsulClient,
    private readonly datacenter?: string,
  ) {}

  private query(extra: Query = {}): Query {
    return { dc: this.datacenter, ...extra };
  }

  /** One key; with `blocking`, Consul answers once it changes or the wait is over. A missing key is `entry: undefined`. */
  async read(key: string, blocking?: BlockingRead, options: RequestOptions = {}): Promise<KeyRead> {
    const { entries, index } = await this.get(key, `read the key ${key}`, {}, blocking, options);
    const entry = entries?.find((e) => e.key === key);
    if (entries !== null && !entry) {
      throw new ConsulError(`read the key ${key}`, "Consul's answer has no entry for that key.", { request: { method: 'GET', path: keyPath(key) } });
    }
    return { entry, index };
  }

  /** Every key that starts with `prefix` (give a trailing "/" for the keys under a folder only). */
  async list(prefix: string, blocking?: BlockingRead, options: RequestOptions = {}): Promise<PrefixRead> {
    const { entries, index } = await this.get(prefix, `read the keys under ${prefix}`, { recurse: true }, blocking, options);
    return { entries: entries ?? [], index };
  }

  /**
   * Acquire for `session` (or, for the holder, rewrite value and flags). Consul answers false, not an
   * error, when another session holds the key or a lock-delay runs. Re-sending is safe: the holder gets
   * true again. The value and flags are written as given: send the stored ones to keep them.
   */
  acquire(key: string, session: string, value: string, write: WriteFlags = {}, options: RequestOptions = {}): Promise<boolean> {
    return this.put(key, value, { acquire: session, flags: normalizeFlags(write.flags) }, `acquire the key ${key} for session ${session}`, true, options);
  }

  /** Release by the holder. A release writes value AND flags: without them Consul wipes the value and zeroes the flags. */
  release(key: string, session: string, value: string, write: WriteFlags = {}, options: RequestOptions = {}): Promise<boolean> {
    return this.put(key, value, { release: session, flags: normalizeFlags(write.flags) }, `release the key ${key} held by session ${session}`, true, options);
  }

  /**
   * Writes the key only if its ModifyIndex is still `cas` (0: only if it does not exist). False when it
   * changed. Retried on a transient failure: a re-sent write that had landed answers false, so on false
   * the caller reads again rather than assuming it lost.
   */
  casPut(key: string, value: string, cas: number, write: WriteFlags = {}, options: RequestOptions = {}): Promise<boolean> {
    return this.put(key, value, { cas: String(cas), flags: normalizeFlags(write.flags) }, `write the key ${key} (check-and-set at index ${cas})`, true, options);
  }

  /** Deletes the key; with `cas`, only if its ModifyIndex is still that (false otherwise, as for casPut). */
  async delete(key: string, cas?: number, options: RequestOptions = {}): Promise<boolean> {
    const path = keyPath(key);
    const what = cas === undefined ? `delete the key ${key}` : `delete the key ${key} (check-and-set at index ${cas})`;
    const response = await this.client.delete<unknown>(path, what, this.query({ cas: cas === undefined ? undefined : String(cas) }), { ...options, retry: true });
    return this.boolean(response.data, what, 'DELETE', path);
  }

  private async get(key: string, what: string, extra: Query, blocking: BlockingRead | undefined, options: RequestOptions) {
    const query = this.query(blocking ? { ...extra, index: String(blocking.index), wait: `${Math.max(1, Math.ceil(blocking.waitMs / 1000))}s` } : extra);
    // Consul answers a blocking query up to wait/16 late (jitter); give the request that long beyond its wait.
    const extraTimeoutMs = blocking ? Math.ceil(blocking.waitMs * (17 / 16)) + 1000 : 0;
    const path = keyPath(key);
    const response = await this.client.get<unknown>(path, what, query, { ...options, notFound: true, extraTimeoutMs, parse: parseEntries });
    const data = response.data;
    if (data !== null && !(Array.isArray(data) && data.every(isEntry))) {
      throw new ConsulError(what, "Consul's answer is not a list of KV entries.", { request: { method: 'GET', path } });
    }
    return { entries: data === null ? null : data.map(toEntry), index: response.index ?? 0 };
  }

  private async put(key: string, value: string, extra: Query, what: string, retry: boolean, options: RequestOptions): Promise<boolean> {
    const path = keyPath(key);
    const response = await this.client.put<unknown>(path, what, this.query(extra), value, { ...options, retry, rawBody: true });
    return this.boolean(response.data, what, 'PUT', path);
  }

  private boolean(data: unknown, what: string, method: string, path: string): boolean {
    if (typeof data !== 'boolean') {
      throw new ConsulError(what, `Consul answered ${JSON.stringify(data)}, not true or false.`, { request: { method, path } });
    }
    return data;
  }
}
