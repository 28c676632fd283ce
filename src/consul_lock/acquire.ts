// consul_lock's state `acquired`: take a free lock at once, or wait (shared/wait.ts) for another holder
// to let go, with one deadline on the run's clock for the wait and every request in it.
import { ModuleFailure } from '../shared/errors';
import { parseDurationNs } from '../shared/duration';
import type { ModuleResult } from '../shared/result';
import { waitUntil } from '../shared/wait';
import { budgetUntil, describeHolder, diffOf, explainInvalidSession, report, seconds, sessionGone, type Context } from './context';
import { readLock, type LockState } from './lock-key';

/** The failure of an acquire that did not get the lock: who holds it, and how long we waited (wait: 0 did not). */
async function notAcquired(ctx: Context, state: LockState, waitedMs: number): Promise<never> {
  const { key, waitMs } = ctx.settings;
  const holder =
    state.holder === null
      ? { words: 'a lock-delay (its last holder was invalidated)', fields: { holder: null } }
      : await describeHolder(ctx, state.holder);
  const message =
    waitMs === 0
      ? `The lock ${key} is held by ${holder.words}; wait is 0, so not waiting for it.`
      : `Waited ${seconds(waitedMs)} s for the lock ${key}; it is still held by ${holder.words}.`;
  throw new ModuleFailure(message, { ...holder.fields, waited: seconds(waitedMs) });
}

/** Waits for a lock held by another session: our session must exist, and a TTL one is renewed. */
async function waitAndAcquire(ctx: Context, current: LockState, deadline: number, attempt: () => Promise<boolean>): Promise<ModuleResult> {
  const { settings, kv, clock } = ctx;
  const session = settings.session as string;
  const own = await ctx.sessions.info(session);
  if (!own) throw sessionGone(session);
  const ttlNs = own.TTL ? parseDurationNs(own.TTL) : undefined;
  const outcome = await waitUntil(
    { session, what: `the lock ${settings.key}`, deadline, ttlMs: ttlNs === undefined ? undefined : ttlNs / 1e6 },
    current,
    {
      read: (blocking) => readLock(kv, settings.key, blocking, budgetUntil(ctx, deadline)),
      done: (state) => state.holder === session,
      ready: (state) => state.holder === null,
      attempt,
      renew: async () => (await ctx.sessions.renew(session)) !== undefined,
    },
    clock,
  );
  if (!outcome.acquired) return notAcquired(ctx, outcome.state, outcome.waitedMs);
  if (outcome.renewals > 0) ctx.warnings.push(`Renewed session ${session} ${outcome.renewals} time(s) while waiting, so that its TTL did not run out.`);
  return { ...report(ctx, await readLock(kv, settings.key), true), waited: seconds(outcome.waitedMs) };
}

export async function acquired(ctx: Context): Promise<ModuleResult> {
  const { settings, kv, clock } = ctx;
  const session = settings.session as string;
  const deadline = clock.now() + settings.waitMs;
  const before = await readLock(kv, settings.key);
  const ours = before.holder === session;
  if (ours && before.value === settings.value) return { ...report(ctx, before, false), waited: 0, ...diffOf(ctx, before, before) };
  const after: LockState = { ...before, holder: session, value: settings.value, lockIndex: before.lockIndex + (ours ? 0 : 1) };
  const heldByOther = before.holder !== null && !ours;
  if (heldByOther && settings.waitMs === 0) return notAcquired(ctx, before, 0);
  if (settings.ansible.checkMode) {
    if (heldByOther) ctx.warnings.push(`The lock ${settings.key} is held by ${before.holder}; a real run would wait up to ${settings.waitMs / 1000} s for it.`);
    return { ...report(ctx, after, true), waited: 0, ...diffOf(ctx, before, after) };
  }
  const attempt = () => kv.acquire(settings.key, session, settings.value, {}, budgetUntil(ctx, deadline)).catch((e: unknown) => explainInvalidSession(e, session));
  // Free (or ours, with a new value): one acquire does it, unless a lock-delay or a faster run refuses us.
  let current = before;
  if (!heldByOther) {
    if (await attempt()) return { ...report(ctx, await readLock(kv, settings.key), true), waited: 0, ...diffOf(ctx, before, after) };
    current = await readLock(kv, settings.key);
    if (settings.waitMs === 0) return notAcquired(ctx, current, 0);
  }
  return { ...(await waitAndAcquire(ctx, current, deadline, attempt)), ...diffOf(ctx, before, after) };
}
