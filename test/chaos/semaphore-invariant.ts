/**
 * The semaphore's promises under chaos, checked on what Consul holds after every step (read straight
 * from a server with ?consistent): pure, so test/unit/chaos-semaphore.test.ts feeds it hand-built states.
 *
 *  - never more holders with live sessions than the limit (a holder whose session is gone no longer
 *    counts: Consul released or deleted its contender key, and the next acquire drops it);
 *  - after an acquire that took a slot or found the semaphore full, no holder entry is left for a session
 *    that was already dead when that acquire started (the acquire must have pruned it, or must not have
 *    counted it);
 *  - a session whose release succeeded is not a holder again unless it acquired since;
 *  - .lock keeps the limit every contender uses.
 */

/** PREFIX/.lock's JSON, as the Go client writes it. */
export interface SemaphoreJson {
  Limit: number;
  Holders: Record<string, boolean>;
}

/** One consistent look at the semaphore after a step. */
export interface SemaphoreState {
  /** undefined: there is no PREFIX/.lock (nobody in; the last one out deleted it). */
  record: SemaphoreJson | undefined;
  /** Every live session of the datacenter, read after the prefix (so never more than were live then). */
  live: ReadonlySet<string>;
}

/** What the step just done was, as far as the invariant cares. */
export interface StepFacts {
  /** An acquire that succeeded and either took a slot (changed) or found the semaphore full. */
  acquireThatDecided: boolean;
  /** The sessions alive just before the step's module run started. */
  liveBefore: ReadonlySet<string>;
  /** Sessions whose last successful call was a release (and the step that released them), not acquired since. */
  released: ReadonlyMap<string, number>;
}

export const holdersOf = (state: SemaphoreState): string[] => Object.keys(state.record?.Holders ?? {}).sort();

export const liveHoldersOf = (state: SemaphoreState): string[] => holdersOf(state).filter((h) => state.live.has(h));

/** Every broken promise in `state`, in words; [] when all hold. */
export function semaphoreViolations(state: SemaphoreState, limit: number, facts: StepFacts): string[] {
  const violations: string[] = [];
  const holders = holdersOf(state);
  const live = liveHoldersOf(state);
  if (live.length > limit) violations.push(`${live.length} holders with live sessions, limit ${limit}: ${live.join(', ')}`);
  if (state.record !== undefined && state.record.Limit !== limit) violations.push(`.lock says limit ${state.record.Limit}, every contender uses ${limit}`);
  if (facts.acquireThatDecided) {
    const stale = holders.filter((h) => !facts.liveBefore.has(h));
    if (stale.length) violations.push(`after an acquire, holder entries remain for sessions dead before it started: ${stale.join(', ')}`);
  }
  for (const holder of holders) {
    const releasedAt = facts.released.get(holder);
    if (releasedAt !== undefined) violations.push(`session ${holder}, released at step ${releasedAt} and not acquired since, is a holder again`);
  }
  return violations;
}
