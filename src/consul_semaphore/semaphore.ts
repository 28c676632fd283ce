// The semaphore of `consul lock -n N PREFIX` and Consul's api.Semaphore, as one read of its prefix shows
// it, and what each state would write: pure, so every rule is unit-tested without Consul.
//
// The layout (api/semaphore.go, and what a 1.8.7 agent showed under `consul lock -n 2`):
//   PREFIX/<session id>  a contender's key, held by its session (acquire), flags SEMAPHORE_FLAGS
//   PREFIX/.lock         no session, flags SEMAPHORE_FLAGS, value {"Limit":N,"Holders":{"<id>":true,…}},
//                        only ever written with ?cas=<ModifyIndex> (0: only if it does not exist yet)
// A holder is alive while its session holds a key under the prefix (normally its contender key): the Go
// client's own rule. A stricter rule here would drop holders the CLI still counts, and the CLI, which
// watches .lock, would then see its slot lost and kill its command.
import { ModuleFailure } from '../shared/errors';
import { LOCK_FLAGS, SEMAPHORE_FLAGS, flagsOwner } from '../shared/lock-protocol';
import type { KvEntry } from '../shared/kv';

/** The coordination key under the prefix (api.DefaultSemaphoreKey). */
export const COORDINATION_KEY = '.lock';

export const coordinationKey = (prefix: string) => `${prefix}/${COORDINATION_KEY}`;
export const contenderKey = (prefix: string, session: string) => `${prefix}/${session}`;

/** The fields of a KV entry the semaphore reasons with. */
export type SemaphoreEntry = Pick<KvEntry, 'key' | 'value' | 'session' | 'flags' | 'modifyIndex'>;

/** The JSON in PREFIX/.lock. Holder values are kept as stored (the Go client writes true). */
export interface SemaphoreRecord {
  limit: number;
  holders: Map<string, boolean>;
}

/** One read of the prefix. */
export interface SemaphoreView {
  prefix: string;
  /** X-Consul-Index of the read: a blocking read of the prefix returns once anything under it changes. */
  index: number;
  /** PREFIX/.lock, when it exists. */
  coordination?: SemaphoreEntry;
  /** Its JSON; undefined when there is no .lock or it is empty (the Go client then starts a new one). */
  record?: SemaphoreRecord;
  /** Every session holding a key under the prefix: a holder among them is alive. */
  live: ReadonlySet<string>;
  /** The contender keys PREFIX/<session id>, by session id. */
  contenders: ReadonlyMap<string, SemaphoreEntry>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Go's encoding/json matches field names case-insensitively (an exact match first) and ignores the
 * others; so does this, so that whatever the Go client accepts is accepted here.
 */
function field(object: Record<string, unknown>, name: string): unknown {
  if (name in object) return object[name];
  const found = Object.keys(object).find((key) => key.toLowerCase() === name.toLowerCase());
  return found === undefined ? undefined : object[found];
}

/** PREFIX/.lock's value, or a failure naming the key; "" (stored as null) means no semaphore yet, as for the Go client. */
export function decodeRecord(key: string, text: string): SemaphoreRecord | undefined {
  if (text === '') return undefined;
  const bad = (why: string) =>
    new ModuleFailure(`The key ${key} has the semaphore flags but its value is not a semaphore's JSON (${why}): ${JSON.stringify(text.slice(0, 200))}. Fix or delete the key.`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw bad('not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw bad('not an object');
  const limit = field(parsed as Record<string, unknown>, 'Limit');
  const holders = field(parsed as Record<string, unknown>, 'Holders') ?? {};
  if (limit !== undefined && !(typeof limit === 'number' && Number.isSafeInteger(limit) && limit >= 0)) throw bad('Limit is not a whole number');
  if (typeof holders !== 'object' || Array.isArray(holders) || Object.values(holders).some((v) => typeof v !== 'boolean')) {
    throw bad('Holders is not an object of true/false');
  }
  return { limit: (limit) ?? 0, holders: new Map(Object.entries(holders as Record<string, boolean>)) };
}

/** The JSON exactly as Go's json.Marshal writes the semaphore: Limit, then Holders with sorted keys. */
export function encodeRecord(record: SemaphoreRecord): string {
  const holders = [...record.holders.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify({ Limit: record.limit, Holders: Object.fromEntries(holders) });
}

/**
 * The semaphore as the entries under `prefix/` show it. A .lock with other flags is someone else's key
 * (a `consul lock` lock's, a plain key): refused, naming what it is, and never written.
 */
export function semaphoreView(prefix: string, entries: readonly SemaphoreEntry[], index: number): SemaphoreView {
  const lockKey = coordinationKey(prefix);
  const coordination = entries.find((e) => e.key === lockKey);
  if (coordination && coordination.flags !== SEMAPHORE_FLAGS) {
    // `consul lock PREFIX` and `consul lock -n 1 PREFIX` both keep a plain lock there.
    const hint = coordination.flags === LOCK_FLAGS ? ` (consul lock and consul lock -n 1 keep a lock there: share it with consul_lock, key ${lockKey})` : '';
    throw new ModuleFailure(
      `The key ${lockKey} is ${flagsOwner(coordination.flags)}, not a semaphore's (flags ${SEMAPHORE_FLAGS}); ` +
        `refusing to use the prefix ${prefix} as a semaphore${hint}. Give the semaphore a prefix of its own.`,
      { key: lockKey, flags: coordination.flags },
    );
  }
  const live = new Set(entries.flatMap((e) => (e.session ? [e.session] : [])));
  const contenders = new Map<string, SemaphoreEntry>();
  for (const entry of entries) {
    const name = entry.key.slice(prefix.length + 1);
    if (entry.key.startsWith(`${prefix}/`) && UUID.test(name)) contenders.set(name, entry);
  }
  return { prefix, index, coordination, record: coordination ? decodeRecord(lockKey, coordination.value) : undefined, live, contenders };
}

/** The holders whose session is alive, sorted. */
export const liveHolders = (view: SemaphoreView): string[] => [...(view.record?.holders.keys() ?? [])].filter((h) => view.live.has(h)).sort();

export const deadHolders = (view: SemaphoreView): string[] => [...(view.record?.holders.keys() ?? [])].filter((h) => !view.live.has(h)).sort();

/** Sessions with a live contender key but no slot: waiting for one. */
export const waitingContenders = (view: SemaphoreView): string[] =>
  [...view.contenders.entries()].filter(([id, e]) => e.session === id && !view.record?.holders.has(id)).map(([id]) => id).sort();

/** Whether `session` holds a slot: it is a holder and alive (its contender key is held). */
export const holdsSlot = (view: SemaphoreView, session: string) => !!view.record?.holders.has(session) && view.live.has(session);

/** Whether `session` holds its own contender key. */
export const holdsContenderKey = (view: SemaphoreView, session: string) => view.contenders.get(session)?.session === session;

/** The limit stored in the semaphore, or undefined when there is none yet. */
export const storedLimit = (view: SemaphoreView) => view.record?.limit;

/** A limit that disagrees with the stored one: the failure, naming both (nothing is written). */
export function limitConflict(view: SemaphoreView, limit: number | undefined): ModuleFailure | undefined {
  const stored = storedLimit(view);
  if (limit === undefined || stored === undefined || stored === limit) return undefined;
  return new ModuleFailure(
    `The semaphore ${view.prefix} has limit ${stored} (in ${coordinationKey(view.prefix)}), but this task asks for limit ${limit}. ` +
      `Every client of one semaphore must use the same limit (consul lock -n fails the same way: "semaphore limit conflict (lock: ${stored}, local: ${limit})").`,
    { limit: stored, requested_limit: limit },
  );
}

/** A check-and-set write of PREFIX/.lock: `cas` 0 creates it only if it still does not exist. */
export interface CasWrite {
  key: string;
  value: string;
  cas: number;
  record: SemaphoreRecord;
}

export type AcquirePlan =
  | { kind: 'held' }
  | { kind: 'full'; holders: string[] }
  /** Take a slot: the dead holders are dropped in the same write. */
  | { kind: 'take'; write: CasWrite; pruned: string[] };

/** What taking a slot for `session` means from this view (Semaphore.Acquire's decision, without the limit check). */
export function planAcquire(view: SemaphoreView, session: string, limit: number): AcquirePlan {
  if (holdsSlot(view, session)) return { kind: 'held' };
  const live = liveHolders(view).filter((h) => h !== session);
  const effectiveLimit = storedLimit(view) ?? limit;
  if (live.length >= effectiveLimit) return { kind: 'full', holders: live };
  const kept = new Map([...(view.record?.holders ?? [])].filter(([h]) => view.live.has(h) && h !== session));
  kept.set(session, true);
  const record = { limit: effectiveLimit, holders: kept };
  const pruned = deadHolders(view).filter((h) => h !== session);
  return { kind: 'take', write: { key: coordinationKey(view.prefix), value: encodeRecord(record), cas: view.coordination?.modifyIndex ?? 0, record }, pruned };
}

/** Giving back the slot of `session` (Semaphore.Release): only its own entry goes; undefined when it has none. */
export function planRelease(view: SemaphoreView, session: string): CasWrite | undefined {
  if (!view.record?.holders.has(session) || !view.coordination) return undefined;
  const holders = new Map(view.record.holders);
  holders.delete(session);
  const record = { limit: view.record.limit, holders };
  return { key: coordinationKey(view.prefix), value: encodeRecord(record), cas: view.coordination.modifyIndex, record };
}

/**
 * The CLI's cleanup after a release (Semaphore.Destroy): PREFIX/.lock goes, with a CAS delete, when no
 * live holder is left. Undefined when it must stay (or does not exist).
 */
export function planCleanup(view: SemaphoreView): { key: string; cas: number } | undefined {
  if (!view.coordination || liveHolders(view).length > 0) return undefined;
  return { key: view.coordination.key, cas: view.coordination.modifyIndex };
}
