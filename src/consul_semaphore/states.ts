// What each state of consul_semaphore does: read the prefix, decide (semaphore.ts), write unless in
// check mode, report. `acquired` (and its wait) lives in acquire.ts; the requests in the shared KV and
// session APIs, which are given to runState so that every state runs against fakes in unit tests.
import { ModuleFailure } from '../shared/errors';
import { SEMAPHORE_FLAGS } from '../shared/lock-protocol';
import type { ModuleResult } from '../shared/result';
import { finishResult } from '../shared/run-module';
import { acquired, MAX_CAS_RACES } from './acquire';
import { describeHolders, diffOf, readSemaphore, report, slotsOf, type Context, type SemaphoreApis, type Slots } from './context';
import type { Settings } from './params';
import { contenderKey, planCleanup, planRelease, waitingContenders, type SemaphoreView } from './semaphore';

/** Our entry out of PREFIX/.lock (Semaphore.Release): check-and-set, re-read and repeated when another write came first. */
async function leaveHolders(ctx: Context, view: SemaphoreView, session: string): Promise<SemaphoreView> {
  let current = view;
  for (let race = 0; race < MAX_CAS_RACES; race++) {
    const write = planRelease(current, session);
    if (!write) return current;
    if (await ctx.kv.casPut(write.key, write.value, write.cas, { flags: SEMAPHORE_FLAGS })) return readSemaphore(ctx);
    current = await readSemaphore(ctx);
  }
  throw new ModuleFailure(`Could not remove session ${session} from the holders of the semaphore ${ctx.settings.prefix}: ${MAX_CAS_RACES} check-and-set writes in a row lost to other writers.`);
}

async function released(ctx: Context): Promise<ModuleResult> {
  const { settings, kv } = ctx;
  const session = settings.session as string;
  const before = await readSemaphore(ctx);
  const beforeSlots = slotsOf(before);
  const contender = before.contenders.get(session);
  // Only a contender key with the semaphore's flags is ours to delete; anything else at that key is left alone.
  const ownContender = contender !== undefined && contender.flags === SEMAPHORE_FLAGS;
  if (!planRelease(before, session) && !ownContender) return { ...report(ctx, beforeSlots, false), ...diffOf(ctx, beforeSlots, beforeSlots) };
  const predicted: Slots = { ...beforeSlots, holders: beforeSlots.holders.filter((h) => h !== session) };
  if (settings.ansible.checkMode) return { ...report(ctx, predicted, true), ...diffOf(ctx, beforeSlots, predicted) };

  let now = await leaveHolders(ctx, before, session);
  if (ownContender) {
    await kv.delete(contenderKey(settings.prefix, session));
    now = await readSemaphore(ctx);
  }
  // The last one out removes PREFIX/.lock, as the CLI does; a CAS delete, so a contender that came in
  // between keeps it (the CLI's "Cleanup aborted, lock in use").
  const cleanup = planCleanup(now);
  if (cleanup && (await kv.delete(cleanup.key, cleanup.cas))) now = await readSemaphore(ctx);
  const after = slotsOf(now);
  return { ...report(ctx, after, true), ...diffOf(ctx, beforeSlots, after) };
}

async function info(ctx: Context): Promise<ModuleResult> {
  const view = await readSemaphore(ctx);
  const slots = slotsOf(view);
  return report(ctx, slots, false, { holder_details: (await describeHolders(ctx, view, slots.holders)).details, waiting: waitingContenders(view) });
}

const STATES = { acquired, released, info } as const;

export async function runState(settings: Settings, apis: SemaphoreApis): Promise<ModuleResult> {
  const ctx: Context = { ...apis, settings, warnings: [...settings.warnings] };
  const result = await STATES[settings.state](ctx);
  return finishResult(result, settings, ctx.warnings, { retrySummary: () => apis.retry.summary() });
}
