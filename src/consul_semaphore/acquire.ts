// consul_semaphore's state `acquired`, in Semaphore.Acquire's order: first our contender key (held by
// our session, so that others count us alive), then our session into PREFIX/.lock with a check-and-set
// write once fewer than `limit` live holders are in. While the semaphore is full, shared/wait.ts blocks
// on the prefix and renews our TTL session. One deadline on the run's clock bounds it all.
import { ModuleFailure } from '../shared/errors';
import { explainInvalidSession, sessionGone } from '../shared/holders';
import { parseDurationNs } from '../shared/duration';
import { SEMAPHORE_FLAGS, flagsOwner } from '../shared/lock-protocol';
import type { RequestOptions } from '../shared/consul';
import type { ModuleResult } from '../shared/result';
import { budgetUntil, seconds, waitUntil } from '../shared/wait';
import { describeHolders, diffOf, readSemaphore, report, slotsOf, type Context, type Slots } from './context';
import { contenderKey, holdsContenderKey, planAcquire, type SemaphoreView } from './semaphore';

/** A backstop: each lost check-and-set means another contender wrote .lock, so races end long before this. */
export const MAX_CAS_RACES = 100;

/** No slot within `wait`: a failure naming who is inside, or (fail_if_not_acquired: false) a result saying so. */
async function notAcquired(ctx: Context, view: SemaphoreView, waitedMs: number): Promise<ModuleResult> {
  const { prefix, waitMs, failIfNotAcquired } = ctx.settings;
  const slots = slotsOf(view);
  const { details, words } = await describeHolders(ctx, view, slots.holders);
  const full = `its ${slots.holders.length} slot(s) are held by ${words}`;
  const message =
    waitMs === 0
      ? `The semaphore ${prefix} is full: ${full}; wait is 0, so not waiting for a slot.`
      : `Waited ${seconds(waitedMs)} s for a slot of the semaphore ${prefix}; it is still full: ${full}.`;
  const fields = { limit: slots.limit, holders: slots.holders, holder_details: details, waited: seconds(waitedMs) };
  if (!failIfNotAcquired) return { ...report(ctx, slots, false), ...fields, msg: message };
  throw new ModuleFailure(message, fields);
}

/**
 * One attempt at a slot from `view`: the check-and-set write, re-read and repeated at once while it loses
 * races and a slot is still open. False when the semaphore is full (then the caller waits).
 */
async function takeSlot(ctx: Context, view: SemaphoreView, pruned: string[], options: () => RequestOptions): Promise<boolean> {
  const { session, limit, prefix } = ctx.settings as { session: string; limit: number; prefix: string };
  let current = view;
  for (let race = 0; race < MAX_CAS_RACES; race++) {
    const plan = planAcquire(current, session, limit);
    if (plan.kind === 'held') return true;
    if (plan.kind === 'full') return false;
    if (await ctx.kv.casPut(plan.write.key, plan.write.value, plan.write.cas, { flags: SEMAPHORE_FLAGS }, options())) {
      pruned.push(...plan.pruned);
      return true;
    }
    current = await readSemaphore(ctx, undefined, options());
    if (!holdsContenderKey(current, session)) throw sessionGone(session, `a slot of the semaphore ${prefix}`);
  }
  return false;
}

/** Our contender key, created (or given its new value); the one write a holder's slot cannot do without. */
async function ensureContender(ctx: Context, view: SemaphoreView, options: RequestOptions): Promise<boolean> {
  const { session, prefix, value } = ctx.settings as { session: string; prefix: string; value?: string };
  const key = contenderKey(prefix, session);
  const existing = view.contenders.get(session);
  if (existing && existing.flags !== SEMAPHORE_FLAGS) {
    throw new ModuleFailure(`The key ${key} is ${flagsOwner(existing.flags)}, not a semaphore contender's; refusing to rewrite it.`);
  }
  const mine = holdsContenderKey(view, session);
  if (mine && (value === undefined || existing?.value === value)) return false;
  const made = await ctx.kv.acquire(key, session, value ?? existing?.value ?? '', { flags: SEMAPHORE_FLAGS }, options).catch((e: unknown) => explainInvalidSession(e, session, `a slot of the semaphore ${prefix}`));
  if (!made) throw new ModuleFailure(`Consul refused session ${session} its contender key ${key} (another session holds it).`);
  return true;
}

/** The contender key of a run that got no slot goes (as the CLI's goes with its session); best effort. */
async function withdraw(ctx: Context): Promise<void> {
  const { session, prefix } = ctx.settings as { session: string; prefix: string };
  await ctx.kv.delete(contenderKey(prefix, session)).catch(() => undefined);
}

/** What check mode reports: the holders a real run would leave (when full, after its wait, with a warning). */
function predicted(ctx: Context, before: SemaphoreView, plan: ReturnType<typeof planAcquire>): Slots {
  const session = ctx.settings.session as string;
  const slots = slotsOf(before);
  if (plan.kind === 'held') return slots;
  if (plan.kind === 'full') {
    ctx.warnings.push(`The semaphore ${ctx.settings.prefix} is full (${plan.holders.join(', ')}); a real run would wait up to ${ctx.settings.waitMs / 1000} s for a slot.`);
  }
  return { limit: slots.limit ?? (ctx.settings.limit as number), holders: [...slots.holders, session].sort() };
}

export async function acquired(ctx: Context): Promise<ModuleResult> {
  const { settings, clock } = ctx;
  const session = settings.session as string;
  const deadline = clock.now() + settings.waitMs;
  const before = await readSemaphore(ctx);
  const plan = planAcquire(before, session, settings.limit as number);
  const beforeSlots = slotsOf(before);
  const contenderCurrent = holdsContenderKey(before, session) && (settings.value === undefined || before.contenders.get(session)?.value === settings.value);
  if (plan.kind === 'held' && contenderCurrent) return { ...report(ctx, beforeSlots, false), waited: 0, pruned: [], ...diffOf(ctx, beforeSlots, beforeSlots) };
  if (plan.kind === 'full' && settings.waitMs === 0) return notAcquired(ctx, before, 0);
  if (settings.ansible.checkMode) {
    const after = predicted(ctx, before, plan);
    return { ...report(ctx, after, true), waited: 0, pruned: plan.kind === 'take' ? plan.pruned : [], ...diffOf(ctx, beforeSlots, after) };
  }

  const pruned: string[] = [];
  // Once our contender key is written, a run that ends without a slot takes it away again.
  let contending = false;
  try {
    await ensureContender(ctx, before, budgetUntil(ctx, deadline));
    contending = plan.kind !== 'held';
    const outcome = await waitForSlot(ctx, before, deadline, pruned);
    if (!outcome.acquired) {
      await withdraw(ctx);
      contending = false;
      return await notAcquired(ctx, outcome.state, outcome.waitedMs);
    }
    contending = false;
    const after = slotsOf(await readSemaphore(ctx));
    return { ...report(ctx, after, true), waited: seconds(outcome.waitedMs), pruned, ...diffOf(ctx, beforeSlots, after) };
  } catch (error) {
    if (contending) await withdraw(ctx);
    throw error;
  }
}

/** Takes a free slot at once, or waits for one: our session must exist, and a TTL one is renewed. */
async function waitForSlot(ctx: Context, initial: SemaphoreView, deadline: number, pruned: string[]) {
  const { settings, clock } = ctx;
  const session = settings.session as string;
  const options = () => budgetUntil(ctx, deadline);
  const planOf = (view: SemaphoreView) => planAcquire(view, session, settings.limit as number).kind;
  // Free now: no need to know our session's TTL.
  if (planOf(initial) !== 'full' && (await takeSlot(ctx, initial, pruned, options))) return { acquired: true, waitedMs: 0, state: initial, renewals: 0 };
  const own = await ctx.sessions.info(session);
  if (!own) throw sessionGone(session, `a slot of the semaphore ${settings.prefix}`, true);
  const ttlNs = own.TTL ? parseDurationNs(own.TTL) : undefined;
  const outcome = await waitUntil(
    { session, what: `a slot of the semaphore ${settings.prefix}`, deadline, ttlMs: ttlNs === undefined ? undefined : ttlNs / 1e6 },
    await readSemaphore(ctx, undefined, options()),
    {
      read: async (blocking) => {
        const view = await readSemaphore(ctx, blocking, options());
        // Our key is gone with our session (or was deleted): a slot taken now would be a dead holder's.
        if (!holdsContenderKey(view, session)) throw sessionGone(session, `a slot of the semaphore ${settings.prefix}`);
        return view;
      },
      done: (view) => planOf(view) === 'held',
      ready: (view) => planOf(view) === 'take',
      attempt: (view) => takeSlot(ctx, view, pruned, options),
      renew: async () => (await ctx.sessions.renew(session, { aclNode: own.Node })) !== undefined,
    },
    clock,
  );
  if (outcome.renewals > 0) ctx.warnings.push(`Renewed session ${session} ${outcome.renewals} time(s) while waiting, so that its TTL did not run out.`);
  return outcome;
}
