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

export type PresentPlan =
  /** A matching session exists: keep the oldest; the rest are reported, never touched. */
  | { action: 'keep'; keep: ConsulSession; duplicates: ConsulSession[]; others: ConsulSession[] }
  /** None matches: create one, then destroy the drifted ones of that name. */
  | { action: 'create'; replace: ConsulSession[] };

/** `named` are the sessions with the wanted name on the target node. */
export function planPresent(named: ConsulSession[], spec: SessionSpec): PresentPlan {
  const matching = named.filter((s) => matchesSpec(s, spec)).sort(byAge);
  const [keep, ...duplicates] = matching;
  if (keep) return { action: 'keep', keep, duplicates, others: named.filter((s) => !matching.includes(s)) };
  return { action: 'create', replace: [...named].sort(byAge) };
}

/**
 * After creating `ownId`, re-read the named sessions: when a run racing ours created a matching session
 * earlier, that older one wins and ours is destroyed, so concurrent runs converge on ONE session.
 */
export function settleAfterCreate(
  named: ConsulSession[],
  ownId: string,
  spec: SessionSpec,
): { keep: ConsulSession | undefined; destroyOwn: boolean } {
  const own = named.find((s) => s.ID === ownId);
  const older = named
    .filter((s) => s.ID !== ownId && matchesSpec(s, spec) && (own === undefined || s.CreateIndex < own.CreateIndex))
    .sort(byAge)[0];
  return older ? { keep: older, destroyOwn: true } : { keep: own, destroyOwn: false };
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
