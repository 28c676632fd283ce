// Pure planning: (the sessions Consul has, the settings asked for) → what to do. No I/O here, so every
// rule of idempotence is unit-tested without an agent.
import { nsToSeconds, parseDurationNs, secondsOrNull } from '../shared/duration';
import type { SessionSpec } from './params';
import { desiredNodeChecks, type ConsulSession } from '../shared/sessions';

/** Consul guards a session with the node's serf health check when no check of any kind is given. */
export const DEFAULT_NODE_CHECK = 'serfHealth';

const sorted = (values: Iterable<string>) => [...new Set(values)].sort();

/** The checks that guard a session, as comparable sorted lists. */
export interface Guards {
  node: string[];
  service: string[];
}

export function guardsOf(session: ConsulSession): Guards {
  return {
    node: sorted([...(session.Checks ?? []), ...(session.NodeChecks ?? [])]),
    service: sorted((session.ServiceChecks ?? []).map((c) => `${c.Namespace ?? ''}/${c.ID}`)),
  };
}

export function desiredGuards(spec: SessionSpec): Guards {
  return {
    node: desiredNodeChecks(spec) ?? [DEFAULT_NODE_CHECK],
    service: sorted((spec.serviceChecks ?? []).map((c) => `${c.namespace}/${c.id}`)),
  };
}

const sameList = (a: string[], b: string[]) => a.length === b.length && a.every((v, i) => v === b[i]);

/** Does this existing session already have the settings asked for? (Name and node are matched by the caller.) */
export function matchesSpec(session: ConsulSession, spec: SessionSpec): boolean {
  const ttlNs = session.TTL ? parseDurationNs(session.TTL) : undefined;
  const have = guardsOf(session);
  const want = desiredGuards(spec);
  return (
    session.Behavior === spec.behavior &&
    session.LockDelay === spec.lockDelayNs &&
    ttlNs === spec.ttlNs &&
    sameList(have.node, want.node) &&
    sameList(have.service, want.service)
  );
}

const byAge = (a: ConsulSession, b: ConsulSession) => a.CreateIndex - b.CreateIndex;

/** The settings that make two sessions interchangeable, as one comparable value. */
function settingsKey(session: ConsulSession): string {
  const guards = guardsOf(session);
  return JSON.stringify([session.Behavior, session.LockDelay, session.TTL ? parseDurationNs(session.TTL) : null, guards.node, guards.service]);
}

/**
 * Which session of a name on a node stays, decided the same way by every run that looks, whatever it
 * asked for; this is what keeps concurrent runs from destroying each other's sessions:
 *
 * - the NEWEST session states the settings that win: a run asking for other settings than the existing
 *   ones creates its session after them, so the request that came last wins;
 * - of the newest sessions that share those settings (the trailing run in creation order), the OLDEST is
 *   kept, so runs that asked for the same settings converge on the first of them;
 * - every other session is destroyed, oldest first. Destroying in that order is what keeps the rule
 *   stable while runs read at different moments: a session is only ever destroyed after every older one
 *   except the kept one, so no reader sees two sessions of one settings side by side after the session
 *   between them (with other settings) is gone, and none takes an older session for the winner.
 */
export function resolveNamed(named: ConsulSession[], spec: SessionSpec): { keep?: ConsulSession; destroy: ConsulSession[]; keepMatches: boolean } {
  const ordered = [...named].sort(byAge);
  const newest = ordered[ordered.length - 1];
  if (newest === undefined) return { destroy: [], keepMatches: false };
  const winning = settingsKey(newest);
  let first = ordered.length - 1;
  while (first > 0 && settingsKey(ordered[first - 1] as ConsulSession) === winning) first--;
  const keep = ordered[first] as ConsulSession;
  return { keep, destroy: ordered.filter((s) => s !== keep), keepMatches: matchesSpec(keep, spec) };
}

export type PresentPlan =
  /** The session that stays has the asked settings: keep it, destroy every other one of that name. */
  | { action: 'keep'; keep: ConsulSession; destroy: ConsulSession[] }
  /** It has not (or there is none): create one; after the create, resolveNamed decides again. */
  | { action: 'create'; replace: ConsulSession[] };

/** `named` are the sessions with the wanted name on the target node. */
export function planPresent(named: ConsulSession[], spec: SessionSpec): PresentPlan {
  const { keep, destroy, keepMatches } = resolveNamed(named, spec);
  if (keep && keepMatches) return { action: 'keep', keep, destroy };
  return { action: 'create', replace: [...named].sort(byAge) };
}

/** What the module reports about a session: our parameter names, durations in seconds. */
export function describeSession(session: ConsulSession): Record<string, unknown> {
  const ttlNs = session.TTL ? parseDurationNs(session.TTL) : undefined;
  const guards = guardsOf(session);
  return {
    id: session.ID,
    name: session.Name,
    node: session.Node,
    behavior: session.Behavior,
    delay: nsToSeconds(session.LockDelay),
    ttl: secondsOrNull(ttlNs),
    checks: guards.node,
    service_checks: guards.service,
  };
}

/** The same view of a session that does not exist yet. */
export function describeSpec(spec: SessionSpec, node: string, id: string | null): Record<string, unknown> {
  const guards = desiredGuards(spec);
  return {
    id,
    name: spec.name ?? '',
    node,
    behavior: spec.behavior,
    delay: nsToSeconds(spec.lockDelayNs),
    ttl: secondsOrNull(spec.ttlNs),
    checks: guards.node,
    service_checks: guards.service,
  };
}
