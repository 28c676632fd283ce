// state=present: make exactly one session of the name exist on the node, with the asked settings.
// plan.ts decides which session stays (the same way for every run that looks, so concurrent runs
// converge); this file reads, creates without ever duplicating, destroys, and reports.
import { nsToSeconds, secondsOrNull } from '../shared/duration';
import { SESSION_READ_HIDDEN } from '../shared/acl';
import { ModuleFailure } from '../shared/errors';
import type { ModuleResult } from '../shared/result';
import { certainlyNotApplied } from '../shared/retry';
import { createWhat, type ConsulSession, type SessionApi } from '../shared/sessions';
import { diffOf, namedOnNode, targetNode, type Context } from './context';
import type { Settings } from './params';
import { describeSession, describeSpec, planPresent, resolveNamed } from './plan';

function presentFields(settings: Settings, node: string): Record<string, unknown> {
  const spec = settings.session;
  return {
    name: settings.name ?? null,
    node,
    behavior: spec.behavior,
    delay: nsToSeconds(spec.lockDelayNs),
    ttl: secondsOrNull(spec.ttlNs),
    checks: spec.checks ?? null,
    node_checks: spec.nodeChecks ?? null,
    service_checks: spec.serviceChecks ?? null,
  };
}

const ids = (sessions: ConsulSession[]) => sessions.map((s) => s.ID);

/** In the order plan.ts gives (oldest first), stopping at the first failure: that order is what keeps racing runs apart. */
async function destroyInOrder(api: SessionApi, sessions: ConsulSession[]): Promise<void> {
  for (const session of sessions) await api.destroy(session.ID, session.Node);
}

async function presentById(ctx: Context, id: string): Promise<ModuleResult> {
  const session = await ctx.api.info(id);
  if (!session) {
    throw new ModuleFailure(
      `Session ${id} does not exist (${SESSION_READ_HIDDEN}). Consul assigns session IDs, so state=present with id can only confirm ` +
        'an existing session; give a name instead to create one.',
    );
  }
  return { changed: false, session_id: id, session, sessions: [session], node: session.Node, removed: [] };
}

/**
 * Creates the session under the run's retry budget, never re-sending a create blindly: after a transient
 * failure (a reset, a timeout or a lost leader may hide a create that happened) the node's sessions of
 * that name are re-read with ?consistent, and the one plan.ts keeps is adopted when it has the asked
 * settings. Without a name nothing could be recognised, so the create is re-sent only when Consul
 * certainly never got it.
 */
async function createRecovering(ctx: Context, node: string): Promise<string> {
  const { api, settings } = ctx;
  const spec = settings.session;
  const name = spec.name;
  const what = createWhat(name, node);
  if (name === undefined) return api.retrying(what, () => api.create(spec, node), certainlyNotApplied);
  return api.retrying(what, async ({ attempt }) => {
    if (attempt > 1) {
      const plan = planPresent(await namedOnNode(api, node, name, 'consistent'), spec);
      if (plan.action === 'keep') return plan.keep.ID;
    }
    return api.create(spec, node);
  });
}

/**
 * After our create, re-read (?consistent: the answer then holds every session created before ours) and
 * apply the same rule again: racing runs asking for the same settings all keep the oldest of theirs; when
 * a run asking for other settings created its session after ours, that newer request wins and this run
 * fails, saying so, instead of destroying the winner's session.
 */
async function createAndSettle(ctx: Context, node: string, name: string | undefined, found: ConsulSession[]) {
  const { api, settings } = ctx;
  const ownId = await createRecovering(ctx, node);
  if (name === undefined) return { session: (await api.info(ownId)) ?? null, removed: [] as string[] };
  const { keep, destroy, keepMatches } = resolveNamed(await namedOnNode(api, node, name, 'consistent'), settings.session);
  await destroyInOrder(api, destroy);
  const others = destroy.filter((s) => s.ID !== ownId);
  if (keep === undefined) {
    throw new ModuleFailure(
      `Session ${ownId}, just created as '${name}' on node ${node}, was gone when this run read the sessions of that name ` +
        'again: destroyed by another run or by hand, or invalidated by a failing check.',
    );
  }
  if (!keepMatches) {
    throw new ModuleFailure(
      `Another run asked for session '${name}' on node ${node} with other settings at the same time, and the newest ` +
        `request wins: session ${keep.ID} (behavior ${keep.Behavior}, delay ${nsToSeconds(keep.LockDelay)} s, ttl ${keep.TTL || 'none'}) ` +
        `stays. This run's session ${ownId} was destroyed${others.length ? `, as were ${ids(others).join(', ')}` : ''}; run again to ask for these settings anew.`,
    );
  }
  const racers = others.filter((s) => !found.some((f) => f.ID === s.ID));
  if (racers.length || keep.ID !== ownId) {
    ctx.warnings.push(
      `Runs racing this one created sessions named '${name}' on node ${node} too; all converge on ${keep.ID}, ` +
        `the oldest of them${racers.length ? ` (destroyed here: ${ids(racers).join(', ')})` : ''}.`,
    );
  }
  if (found.length > 1) ctx.warnings.push(leftovers(node, name, found, keep));
  return { session: keep, removed: ids(others) };
}

function leftovers(node: string, name: string, found: ConsulSession[], keep: ConsulSession, checkMode = false): string {
  return (
    `Node ${node} had ${found.length} sessions named '${name}'; only ${keep.ID} ${checkMode ? 'would be' : 'is'} left. A replace cut ` +
    `short or runs racing with other settings leave such sessions behind, and they keep their locks: ` +
    `${checkMode ? 'would destroy' : 'destroyed'} ${ids(found.filter((s) => s !== keep)).join(', ')}.`
  );
}

export async function present(ctx: Context): Promise<ModuleResult> {
  const { settings, api } = ctx;
  if (settings.id !== undefined) return presentById(ctx, settings.id);
  const node = await targetNode(ctx);
  const fields = presentFields(settings, node);
  const name = settings.name;
  const named = name === undefined ? [] : await namedOnNode(api, node, name);
  const plan = planPresent(named, settings.session);
  const before = named.map(describeSession);

  if (plan.action === 'keep') {
    if (plan.destroy.length) ctx.warnings.push(leftovers(node, name as string, named, plan.keep, settings.ansible.checkMode));
    if (!settings.ansible.checkMode) await destroyInOrder(api, plan.destroy);
    return {
      changed: plan.destroy.length > 0,
      ...fields,
      session_id: plan.keep.ID,
      session: plan.keep,
      sessions: [plan.keep],
      removed: ids(plan.destroy),
      ...diffOf(settings, before, [describeSession(plan.keep)]),
    };
  }

  if (settings.ansible.checkMode) {
    return {
      changed: true,
      ...fields,
      session_id: null,
      session: null,
      sessions: [],
      removed: ids(plan.replace),
      ...diffOf(settings, before, [describeSpec(settings.session, node, null)]),
    };
  }
  const outcome = await createAndSettle(ctx, node, name, named);
  const sessions = outcome.session ? [outcome.session] : [];
  return {
    changed: true,
    ...fields,
    session_id: outcome.session?.ID ?? null,
    session: outcome.session,
    sessions,
    removed: outcome.removed,
    ...diffOf(settings, before, sessions.map(describeSession)),
  };
}
