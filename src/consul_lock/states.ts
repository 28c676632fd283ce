// What each state of consul_lock does: read the key, decide, apply (unless in check mode), report.
// `acquired` (and its wait) lives in acquire.ts; the requests in the shared KV and session APIs, which
// are given to runState so that every state runs against fakes in unit tests.
import { ModuleFailure } from '../shared/errors';
import { LOCK_FLAGS, flagsAllow, flagsOwner } from '../shared/lock-protocol';
import type { ModuleResult } from '../shared/result';
import { finishResult } from '../shared/run-module';
import { acquired } from './acquire';
import { describeHolder, diffOf, refuseForeign, report, type Context, type LockApis } from './context';
import { readLock, type LockState } from './lock-key';
import type { Settings } from './params';

async function released(ctx: Context): Promise<ModuleResult> {
  const { settings, kv } = ctx;
  const session = settings.session as string;
  const before = await readLock(kv, settings.key);
  if (before.holder !== session) return { ...report(ctx, before, false), ...diffOf(ctx, before, before) };
  refuseForeign(ctx, before);
  const after: LockState = { ...before, holder: null, flags: LOCK_FLAGS };
  if (settings.ansible.checkMode) return { ...report(ctx, after, true), ...diffOf(ctx, before, after) };
  // The stored value and the lock flags go along: a release without them wipes the value and zeroes the
  // flags (a flags-0 key, taken by an older release, leaves with the lock flags, so `consul lock` takes it).
  const releasedNow = await kv.release(settings.key, session, before.value ?? '', { flags: LOCK_FLAGS });
  const now = await readLock(kv, settings.key);
  // false after a retry means an earlier attempt already released it; anything else is a surprise.
  if (!releasedNow && now.holder === session) throw new ModuleFailure(`Consul refused to release the lock ${settings.key} held by session ${session}.`);
  return { ...report(ctx, now, true), ...diffOf(ctx, before, now) };
}

async function info(ctx: Context): Promise<ModuleResult> {
  const state = await readLock(ctx.kv, ctx.settings.key);
  if (state.exists && !flagsAllow(state.flags, LOCK_FLAGS)) ctx.warnings.push(`The key ${ctx.settings.key} is ${flagsOwner(state.flags)}, not a lock: consul_lock would refuse to take it.`);
  const holder = state.holder === null ? undefined : await describeHolder(ctx, state.holder);
  return report(ctx, state, false, holder?.fields ?? {});
}

const STATES = { acquired, released, info } as const;

export async function runState(settings: Settings, apis: LockApis): Promise<ModuleResult> {
  const ctx: Context = { ...apis, settings, warnings: [...settings.warnings] };
  const result = await STATES[settings.state](ctx);
  return finishResult(result, settings, ctx.warnings, { retrySummary: () => apis.retry.summary() });
}
