// What each state of consul_lock does: read the key, decide, apply (unless in check mode), report.
// Waiting lives in wait.ts; the requests in kv.ts and the shared session API.
import type { ConsulClient, RequestOptions } from '../shared/consul';
import { ConsulError, ModuleFailure } from '../shared/errors';
import type { ModuleResult } from '../shared/result';
import { RetryBudget } from '../shared/retry';
import { finishResult } from '../shared/run-module';
import { SessionApi } from '../shared/sessions';
import { parseDurationNs } from '../shared/duration';
import { KvApi, type LockState } from './kv';
import type { Settings } from './params';
import { waitForLock } from './wait';

interface Context {
  settings: Settings;
  client: ConsulClient;
  kv: KvApi;
  sessions: SessionApi;
  warnings: string[];
}

const seconds = (ms: number) => Math.round(ms / 100) / 10;

const sessionGone = (session: string) =>
  new ModuleFailure(
    `Session ${session} does not exist (it expired or was destroyed), so it cannot hold a lock. ` +
      'Create one with consul_session (state: present) and pass its session_id.',
  );

/** Consul answers an acquire by a session it does not know with 500 `invalid session "<id>"`. */
function explainInvalidSession(error: unknown, session: string): never {
  if (error instanceof ConsulError && error.status === 500 && /invalid session/i.test(error.body ?? '')) throw sessionGone(session);
  throw error;
}

/** Who holds a key: in words ("session <id> ('name' on node n)") and as result fields, for failures too. */
async function describeHolder(ctx: Context, holder: string): Promise<{ words: string; fields: Record<string, unknown> }> {
  const session = await ctx.sessions.info(holder).catch(() => undefined);
  if (!session) return { words: `session ${holder}`, fields: { holder } };
  return {
    words: `session ${holder} ('${session.Name}' on node ${session.Node})`,
    fields: { holder, holder_name: session.Name, holder_node: session.Node },
  };
}

function report(ctx: Context, state: LockState, changed: boolean, extra: Record<string, unknown> = {}): ModuleResult {
  const { settings } = ctx;
  return {
    changed,
    key: settings.key,
    holder: state.holder,
    acquired: settings.session !== undefined && state.holder === settings.session,
    value: state.value,
    lock_index: state.lockIndex,
    ...extra,
  };
}

function diffOf(ctx: Context, before: LockState, after: LockState): Record<string, unknown> {
  if (!ctx.settings.ansible.diff) return {};
  const view = (s: LockState) => ({ key: ctx.settings.key, holder: s.holder, value: s.value });
  return { diff: { before: view(before), after: view(after) } };
}

/** Each request of a wait gets its own retry budget, never reaching past the wait's end plus `timeout`. */
function waitBudget(ctx: Context, deadline: number): RequestOptions {
  const { retryTimeoutMs = 0, timeoutMs } = ctx.settings.connection;
  const budget = new RetryBudget(Math.max(0, Math.min(retryTimeoutMs, deadline + timeoutMs - Date.now())));
  ctx.client.retry.adopt(budget);
  return { budget };
}

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

/** Waits (wait.ts) for a lock held by another session: our session must exist, and a TTL one is renewed. */
async function waitAndAcquire(ctx: Context, current: LockState, deadline: number, attempt: () => Promise<boolean>): Promise<ModuleResult> {
  const { settings, kv } = ctx;
  const session = settings.session as string;
  const own = await ctx.sessions.info(session);
  if (!own) throw sessionGone(session);
  const ttlNs = own.TTL ? parseDurationNs(own.TTL) : undefined;
  const outcome = await waitForLock(
    { session, key: settings.key, waitMs: settings.waitMs, ttlMs: ttlNs === undefined ? undefined : ttlNs / 1e6 },
    current,
    {
      read: (blocking) => kv.read(settings.key, blocking, waitBudget(ctx, deadline)),
      acquire: attempt,
      renew: async () => (await ctx.sessions.renew(session)) !== undefined,
    },
  );
  if (!outcome.acquired) return notAcquired(ctx, outcome.state, outcome.waitedMs);
  if (outcome.renewals > 0) ctx.warnings.push(`Renewed session ${session} ${outcome.renewals} time(s) while waiting, so that its TTL did not run out.`);
  return { ...report(ctx, await kv.read(settings.key), true), waited: seconds(outcome.waitedMs) };
}

async function acquired(ctx: Context): Promise<ModuleResult> {
  const { settings, kv } = ctx;
  const session = settings.session as string;
  const before = await kv.read(settings.key);
  const ours = before.holder === session;
  if (ours && before.value === settings.value) return { ...report(ctx, before, false), waited: 0, ...diffOf(ctx, before, before) };
  const after: LockState = { ...before, holder: session, value: settings.value, lockIndex: before.lockIndex + (ours ? 0 : 1) };
  const heldByOther = before.holder !== null && !ours;
  if (heldByOther && settings.waitMs === 0) return notAcquired(ctx, before, 0);
  if (settings.ansible.checkMode) {
    if (heldByOther) ctx.warnings.push(`The lock ${settings.key} is held by ${before.holder}; a real run would wait up to ${settings.waitMs / 1000} s for it.`);
    return { ...report(ctx, after, true), waited: 0, ...diffOf(ctx, before, after) };
  }
  const deadline = Date.now() + settings.waitMs;
  const attempt = () => kv.acquire(settings.key, session, settings.value, waitBudget(ctx, deadline)).catch((e: unknown) => explainInvalidSession(e, session));
  // Free (or ours, with a new value): one acquire does it, unless a lock-delay or a faster run refuses us.
  let current = before;
  if (!heldByOther) {
    if (await attempt()) return { ...report(ctx, await kv.read(settings.key), true), waited: 0, ...diffOf(ctx, before, after) };
    current = await kv.read(settings.key);
    if (settings.waitMs === 0) return notAcquired(ctx, current, 0);
  }
  return { ...(await waitAndAcquire(ctx, current, deadline, attempt)), ...diffOf(ctx, before, after) };
}

async function released(ctx: Context): Promise<ModuleResult> {
  const { settings, kv } = ctx;
  const session = settings.session as string;
  const before = await kv.read(settings.key);
  if (before.holder !== session) return { ...report(ctx, before, false), ...diffOf(ctx, before, before) };
  const after: LockState = { ...before, holder: null };
  if (settings.ansible.checkMode) return { ...report(ctx, after, true), ...diffOf(ctx, before, after) };
  // The stored value goes along: a release without a body would wipe it.
  const releasedNow = await kv.release(settings.key, session, before.value ?? '');
  const now = await kv.read(settings.key);
  // false after a retry means an earlier attempt already released it; anything else is a surprise.
  if (!releasedNow && now.holder === session) throw new ModuleFailure(`Consul refused to release the lock ${settings.key} held by session ${session}.`);
  return { ...report(ctx, now, true), ...diffOf(ctx, before, now) };
}

async function info(ctx: Context): Promise<ModuleResult> {
  const state = await ctx.kv.read(ctx.settings.key);
  const holder = state.holder === null ? undefined : await describeHolder(ctx, state.holder);
  return report(ctx, state, false, holder?.fields ?? {});
}

const STATES = { acquired, released, info } as const;

export async function runState(settings: Settings, client: ConsulClient): Promise<ModuleResult> {
  const ctx: Context = {
    settings,
    client,
    kv: new KvApi(client, settings.datacenter),
    sessions: new SessionApi(client, settings.datacenter),
    warnings: [...settings.warnings],
  };
  const result = await STATES[settings.state](ctx);
  return finishResult(result, settings, ctx.warnings, { retrySummary: () => client.retry.summary() });
}
