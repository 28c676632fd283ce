// What every state of consul_semaphore works with: its settings, the APIs it is given (injected, so the
// states run in unit tests against fakes), one clock for every deadline, the run's warnings; one read of
// the prefix with every check a read must pass; and the pieces of a result that several states report.
import type { RequestOptions } from '../shared/consul';
import { describeHolder } from '../shared/holders';
import type { BlockingRead, KvApi } from '../shared/kv';
import type { ModuleResult } from '../shared/result';
import type { RetryBudget, RetryClock } from '../shared/retry';
import type { SessionApi } from '../shared/sessions';
import type { Settings } from './params';
import { coordinationKey, limitConflict, liveHolders, semaphoreView, storedLimit, type SemaphoreView } from './semaphore';

/** Only what the states use, so unit tests hand them small fakes. */
export interface SemaphoreApis {
  kv: Pick<KvApi, 'list' | 'read' | 'acquire' | 'casPut' | 'delete'>;
  sessions: Pick<SessionApi, 'info' | 'renew'>;
  /** The run's retry budget: budgets made for single requests of a wait report with it. */
  retry: RetryBudget;
  /** The one clock of the run: the wait's deadline and each request's budget are measured on it. */
  clock: RetryClock;
}

export interface Context extends SemaphoreApis {
  settings: Settings;
  warnings: string[];
}

/** Who holds slots, as the result reports it: the limit (null without a semaphore) and the live holders. */
export interface Slots {
  limit: number | null;
  holders: string[];
}


export const slotsOf = (view: SemaphoreView): Slots => ({ limit: storedLimit(view) ?? null, holders: liveHolders(view) });

/**
 * The prefix as it is now (or, with `blocking`, once it changed), refused when PREFIX/.lock belongs to
 * something else or holds another limit than ours: nothing is ever written from such a read.
 */
export async function readSemaphore(ctx: Context, blocking?: BlockingRead, options?: RequestOptions): Promise<SemaphoreView> {
  const { prefix, limit } = ctx.settings;
  // The trailing "/" keeps keys of a sibling prefix (locks/a-b beside locks/a) out of the read.
  const { entries, index } = await ctx.kv.list(`${prefix}/`, blocking, options);
  // Consul answers a prefix the token may not read as an empty one (404, no 403): .lock read on its own
  // is refused with a 403 instead, so such a token fails naming the rule rather than seeing no semaphore.
  if (entries.length === 0 && !blocking) await ctx.kv.read(coordinationKey(prefix), undefined, options);
  const view = semaphoreView(prefix, entries, index);
  const conflict = limitConflict(view, limit);
  if (conflict) throw conflict;
  return view;
}

export function report(ctx: Context, slots: Slots, changed: boolean, extra: Record<string, unknown> = {}): ModuleResult {
  const { settings } = ctx;
  return {
    changed,
    prefix: settings.prefix,
    limit: slots.limit,
    acquired: settings.session !== undefined && slots.holders.includes(settings.session),
    holders: slots.holders,
    ...extra,
  };
}

export function diffOf(ctx: Context, before: Slots, after: Slots): Record<string, unknown> {
  if (!ctx.settings.ansible.diff) return {};
  const prefix = ctx.settings.prefix;
  return { diff: { before: { prefix, ...before }, after: { prefix, ...after } } };
}

/** One holder as the result shows it; name and node are null when its session could not be read. */
export interface HolderDetail {
  session: string;
  name: string | null;
  node: string | null;
  value: string | null;
}

/**
 * Who is inside, for a play that must say so: each holder's session name and node and its contender
 * key's value, and the same in words for a message ("session <id> ('name' on node n), …").
 */
export async function describeHolders(ctx: Context, view: SemaphoreView, holders: string[]): Promise<{ details: HolderDetail[]; words: string }> {
  const described = await Promise.all(holders.map((id) => describeHolder(ctx.sessions, id)));
  const details = described.map(({ fields }, i) => ({
    session: holders[i] as string,
    name: (fields.holder_name as string | undefined) ?? null,
    node: (fields.holder_node as string | undefined) ?? null,
    value: view.contenders.get(holders[i] as string)?.value ?? null,
  }));
  return { details, words: described.map((h) => h.words).join(', ') };
}

