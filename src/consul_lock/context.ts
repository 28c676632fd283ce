// What every state of consul_lock works with: its settings, the APIs it is given (injected, so states
// run in unit tests against fakes), one clock for every deadline, the run's warnings; and the pieces
// of a result that several states report.
import { ModuleFailure } from '../shared/errors';
import { describeHolder as sharedDescribe, explainInvalidSession as sharedExplain, sessionGone as sharedSessionGone } from '../shared/holders';
import type { KvApi } from '../shared/kv';
import { LOCK_FLAGS, SEMAPHORE_FLAGS, flagsAllow, flagsOwner } from '../shared/lock-protocol';
import type { ModuleResult } from '../shared/result';
import type { RetryBudget, RetryClock } from '../shared/retry';
import type { SessionApi } from '../shared/sessions';
import type { LockState } from './lock-key';
import type { Settings } from './params';

/** Only what the states use, so unit tests hand them small fakes. */
export interface LockApis {
  kv: Pick<KvApi, 'read' | 'acquire' | 'release'>;
  sessions: Pick<SessionApi, 'info' | 'renew'>;
  /** The run's retry budget: budgets made for single requests of a wait report with it. */
  retry: RetryBudget;
  /** The one clock of the run: the wait's deadline and each request's budget are measured on it. */
  clock: RetryClock;
}

export interface Context extends LockApis {
  settings: Settings;
  warnings: string[];
}


export const sessionGone = (session: string, unread = false) => sharedSessionGone(session, 'a lock', unread);

export const explainInvalidSession = (error: unknown, session: string) => sharedExplain(error, session, 'a lock');

/** Who holds a key: in words and as result fields (shared/holders.ts). */
export const describeHolder = (ctx: Context, holder: string) => sharedDescribe(ctx.sessions, holder);

/**
 * A key whose flags say it is something else (a semaphore's key, another tool's data) is never taken
 * or rewritten. Flags 0 (an older consul_lock, consul_kv) are adopted: the lock flags go on with the
 * next acquire or release.
 */
export function refuseForeign(ctx: Context, state: LockState): void {
  if (!state.exists || flagsAllow(state.flags, LOCK_FLAGS)) return;
  const fix = `${state.flags === SEMAPHORE_FLAGS ? 'use consul_semaphore (or consul lock -n) with it, or ' : ''}choose another key for the lock`;
  throw new ModuleFailure(
    `The key ${ctx.settings.key} is ${flagsOwner(state.flags)}, not a lock: consul_lock neither takes nor rewrites it; ` +
      `${fix} (consul lock PREFIX uses PREFIX/.lock).`,
    { flags: state.flags, holder: state.holder },
  );
}

export function report(ctx: Context, state: LockState, changed: boolean, extra: Record<string, unknown> = {}): ModuleResult {
  const { settings } = ctx;
  return {
    changed,
    key: settings.key,
    holder: state.holder,
    acquired: settings.session !== undefined && state.holder === settings.session,
    value: state.value,
    lock_index: state.lockIndex,
    flags: state.exists ? state.flags : null,
    ...extra,
  };
}

export function diffOf(ctx: Context, before: LockState, after: LockState): Record<string, unknown> {
  if (!ctx.settings.ansible.diff) return {};
  const view = (s: LockState) => ({ key: ctx.settings.key, holder: s.holder, value: s.value });
  return { diff: { before: view(before), after: view(after) } };
}

