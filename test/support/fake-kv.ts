/**
 * An in-memory stand-in for the shared KV and session APIs, with the Consul 1.8 semantics the semaphore
 * relies on (acquire by a session, check-and-set puts and deletes on ModifyIndex, blocking prefix reads
 * that return once the index moves past the one given, sessions whose death deletes their keys). Its
 * timers are setTimeout, so sinon's fake timers drive it. For unit tests of module states only: every
 * behaviour is also proven against a real agent in test/integration/.
 */
import type { BlockingRead, KeyRead, KvApi, KvEntry, PrefixRead, WriteFlags } from '../../src/shared/kv';
import type { ConsulSession, SessionApi } from '../../src/shared/sessions';

export class FakeKv {
  index = 10;
  readonly keys = new Map<string, KvEntry>();
  readonly sessions = new Map<string, { ttl: string; name: string }>();
  readonly writes: string[] = [];
  renewals = 0;
  /** Runs before a check-and-set put is applied: a test makes a competitor write first. */
  beforeCas?: (key: string) => void;
  private waiters: Array<() => void> = [];

  private bump(): number {
    this.index += 1;
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
    return this.index;
  }

  addSession(id: string, ttl = '', name = `session ${id.slice(0, 4)}`): void {
    this.sessions.set(id, { ttl, name });
  }

  /** A session invalidated with behavior delete: the keys it held go. */
  killSession(id: string): void {
    this.sessions.delete(id);
    for (const [key, entry] of this.keys) if (entry.session === id) this.keys.delete(key);
    this.bump();
  }

  put(key: string, value: string, session: string | null, flags: string): void {
    const old = this.keys.get(key);
    const index = this.bump();
    this.keys.set(key, { key, value, session, flags, lockIndex: (old?.lockIndex ?? 0) + (session && old?.session !== session ? 1 : 0), createIndex: old?.createIndex ?? index, modifyIndex: index });
  }

  get kv(): Pick<KvApi, 'list' | 'read' | 'acquire' | 'casPut' | 'delete'> {
    const api = {
      list: async (prefix: string, blocking?: BlockingRead): Promise<PrefixRead> => {
        if (blocking && this.index <= blocking.index) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, blocking.waitMs);
            this.waiters.push(() => {
              clearTimeout(timer);
              resolve();
            });
          });
        }
        const entries = [...this.keys.values()].filter((e) => e.key.startsWith(prefix)).sort((a, b) => (a.key < b.key ? -1 : 1));
        return { entries: entries.map((e) => ({ ...e })), index: this.index };
      },
      /** Not blocking: the semaphore reads one key only to tell an empty prefix from one the token may not read. */
      read: (key: string): Promise<KeyRead> => {
        const entry = this.keys.get(key);
        return Promise.resolve({ entry: entry && { ...entry }, index: this.index });
      },
      acquire: (key: string, session: string, value: string, write: WriteFlags = {}): Promise<boolean> => {
        this.writes.push(`acquire ${key}`);
        if (!this.sessions.has(session)) return Promise.reject(new Error(`invalid session "${session}"`));
        const old = this.keys.get(key);
        if (old?.session && old.session !== session) return Promise.resolve(false);
        this.put(key, value, session, write.flags ?? '0');
        return Promise.resolve(true);
      },
      casPut: (key: string, value: string, cas: number, write: WriteFlags = {}): Promise<boolean> => {
        this.beforeCas?.(key);
        this.writes.push(`cas ${key}@${cas}`);
        const old = this.keys.get(key);
        if ((old?.modifyIndex ?? 0) !== cas) return Promise.resolve(false);
        this.put(key, value, old?.session ?? null, write.flags ?? '0');
        return Promise.resolve(true);
      },
      delete: (key: string, cas?: number): Promise<boolean> => {
        this.writes.push(`delete ${key}${cas === undefined ? '' : `@${cas}`}`);
        const old = this.keys.get(key);
        if (cas !== undefined && (old?.modifyIndex ?? 0) !== cas) return Promise.resolve(false);
        this.keys.delete(key);
        this.bump();
        return Promise.resolve(true);
      },
    };
    return api;
  }

  get sessionApi(): Pick<SessionApi, 'info' | 'renew'> {
    const info = (id: string): ConsulSession | undefined => {
      const s = this.sessions.get(id);
      if (!s) return undefined;
      return { ID: id, Name: s.name, Node: 'fake-node', LockDelay: 15e9, Behavior: 'delete', TTL: s.ttl, CreateIndex: 1, ModifyIndex: 1 };
    };
    const api = {
      info: (id: string) => Promise.resolve(info(id)),
      renew: (id: string) => {
        this.renewals += 1;
        return Promise.resolve(info(id));
      },
    };
    return api;
  }
}
