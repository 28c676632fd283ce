// consul_lock's state `acquired`: take a free lock at once, or wait (shared/wait.ts) for another holder
// to let go, with one deadline on the run's clock for the wait and every request in it. The key is
// taken with Consul's lock flags, so `consul lock` and api.Lock see our lock as theirs.
import { ModuleFailure } from '../shared/errors';
import { parseDurationNs } from '../shared/duration';
import { LOCK_FLAGS } from '../shared/lock-protocol';
import type { ModuleResult } from '../shared/result';
import { budgetUntil, seconds, waitUntil } from '../shared/wait';
import { describeHolder, diffOf, explainInvalidSession, refuseForeign, report, sessionGone, type Context } from './context';
import { readLock, type LockState } from './lock-key';

/**
 * Did not get the lock (held by another session, or a lock-delay): fails naming the holder, or with
 * fail_if_not_acquired false reports acquired: false and succeeds.
 */
async function notObtained(ctx: Context, before: LockState, state: LockState, waitedMs: number): Promise<ModuleResult> {
  const { key, waitMs } = ctx.settings;
  const holder =
    state.holder === null
      ? { words: 'a lock-delay (its last holder was invalidated)', fields: { holder: null } }
      : await describeHolder(ctx, state.holder);
  const message =
    waitMs === 0
      ? `The lock ${key} is held by ${holder.words}; wait is 0, so not waiting for it.`
      : `Waited ${seconds(waitedMs)} s for the lock ${key}; it is still held by ${holder.words}.`;
  if (ctx.settings.failIfNotAcquired) throw new ModuleFailure(message, { ...holder.fields, waited: seconds(waitedMs) });
  return { ...report(ctx, state, false, holder.fields), waited: seconds(waitedMs), msg: message, ...diffOf(ctx, before, state) };
}

/** Waits for a lock held by another session: our session must exist, and a TTL one is renewed. */
async function waitAndAcquire(ctx: Context, before: LockState, current: LockState, deadline: number, attempt: (state: LockState) => Promise<boolean>): Promise<ModuleResult> {
  const { settings, kv, clock } = ctx;
  const session = settings.session as string;
  const own = await ctx.sessions.info(session);
  if (!own) throw sessionGone(session, true);
  const ttlNs = own.TTL ? parseDurationNs(own.TTL) : undefined;
  const outcome = await waitUntil(
    { session, what: `the lock ${settings.key}`, deadline, ttlMs: ttlNs === undefined ? undefined : ttlNs / 1e6 },
    current,
    {
      read: (blocking) => readLock(kv, settings.key, blocking, budgetUntil(ctx, deadline)),
      done: (state) => state.holder === session,
      ready: (state) => state.holder === null,
      attempt,
      renew: async () => (await ctx.sessions.renew(session, { aclNode: own.Node })) !== undefined,
    },
    clock,
  );
  if (!outcome.acquired) return notObtained(ctx, before, outcome.state, outcome.waitedMs);
  if (outcome.renewals > 0) ctx.warnings.push(`Renewed session ${session} ${outcome.renewals} time(s) while waiting, so that its TTL did not run out.`);
  return { ...report(ctx, await readLock(kv, settings.key), true), waited: seconds(outcome.waitedMs) };
}

export async function acquired(ctx: Context): Promise<ModuleResult> {
  const { settings, kv, clock } = ctx;
  const session = settings.session as string;
  const deadline = clock.now() + settings.waitMs;
  /** Without `value`, what the key holds stays (an acquire writes the value it is sent). */
  const valueFor = (state: LockState) => settings.value ?? state.value ?? '';
  const before = await readLock(kv, settings.key);
  refuseForeign(ctx, before);
  const ours = before.holder === session;
  if (ours && before.flags === LOCK_FLAGS && before.value === valueFor(before)) return { ...report(ctx, before, false), waited: 0, ...diffOf(ctx, before, before) };
  const after: LockState = { ...before, exists: true, holder: session, value: valueFor(before), flags: LOCK_FLAGS, lockIndex: before.lockIndex + (ours ? 0 : 1) };
  const heldByOther = before.holder !== null && !ours;
  if (heldByOther && settings.waitMs === 0) return notObtained(ctx, before, before, 0);
  if (settings.ansible.checkMode) {
    if (heldByOther) ctx.warnings.push(`The lock ${settings.key} is held by ${before.holder}; a real run would wait up to ${settings.waitMs / 1000} s for it.`);
    return { ...report(ctx, after, true), waited: 0, ...diffOf(ctx, before, after) };
  }
  const attempt = (state: LockState) => {
    // Looked at again for every attempt: while we waited, the key may have been deleted and re-made by another tool.
    refuseForeign(ctx, state);
    return kv.acquire(settings.key, session, valueFor(state), { flags: LOCK_FLAGS }, budgetUntil(ctx, deadline)).catch((e: unknown) => explainInvalidSession(e, session));
  };
  // Free (or ours, with a new value or without the lock flags yet): one acquire does it, unless a
  // lock-delay or a faster run refuses us.
  let current = before;
  if (!heldByOther) {
    if (await attempt(before)) return { ...report(ctx, await readLock(kv, settings.key), true), waited: 0, ...diffOf(ctx, before, after) };
    current = await readLock(kv, settings.key);
    if (settings.waitMs === 0) return notObtained(ctx, before, current, 0);
  }
  return { ...(await waitAndAcquire(ctx, before, current, deadline, attempt)), ...diffOf(ctx, before, after) };
}
