// What each state does, against the session API. Decisions come from plan.ts; this file only reads,
// applies (unless in check mode) and reports.
import { ModuleFailure } from '../shared/errors';
import type { ModuleResult } from '../shared/result';
import { finishResult } from '../shared/run-module';
import { namedOnNode, targetNode, type Context } from './context';
import { renewed } from './renew';
import type { Settings } from './params';
import { describeSession, describeSpec, planPresent, settleAfterCreate } from './plan';
import { certainlyNotApplied } from '../shared/retry';
import { nsToSeconds, secondsOrNull } from '../shared/duration';
import { createWhat, type ConsulSession, type SessionApi } from '../shared/sessions';


function diffOf(settings: Settings, before: unknown[], after: unknown[]): Record<string, unknown> {
  return settings.ansible.diff ? { diff: { before: { sessions: before }, after: { sessions: after } } } : {};
}

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

async function presentById(ctx: Context, id: string): Promise<ModuleResult> {
  const session = await ctx.api.info(id);
  if (!session) {
    throw new ModuleFailure(
      `Session ${id} does not exist. Consul assigns session IDs, so state=present with id can only confirm ` +
        'an existing session; give a name instead to create one.',
    );
  }
  return { changed: false, session_id: id, session, sessions: [session], node: session.Node, removed: [] };
}

/**
 * Creates the session under the run's retry budget, never re-sending a create blindly: after a transient
 * failure (a timeout or a lost leader may hide a create that happened) the node's sessions of that name
 * are re-read with ?consistent, and a matching one is adopted instead of creating again. Without a
 * name nothing could be recognised, so the create is re-sent only when Consul certainly never got it.
 */
async function createRecovering(ctx: Context, node: string): Promise<string> {
  const { api, settings } = ctx;
  const spec = settings.session;
  const name = spec.name;
  const what = createWhat(name, node);
  if (name === undefined) return api.retrying(what, () => api.create(spec, node), certainlyNotApplied);
  return api.retrying(what, async ({ attempt }) => {
    if (attempt > 1) {
      const named = await namedOnNode(api, node, name, 'consistent');
      const plan = planPresent(named, spec);
      if (plan.action === 'keep') return plan.keep.ID;
    }
    return api.create(spec, node);
  });
}

async function createAndSettle(ctx: Context, node: string, replace: ConsulSession[]) {
  const { api, settings } = ctx;
  const ownId = await createRecovering(ctx, node);
  const name = settings.session.name;
  if (name === undefined) return { session: (await api.info(ownId)) ?? null, removed: [] as string[] };
  const settled = settleAfterCreate(await namedOnNode(api, node, name), ownId, settings.session);
  if (settled.destroyOwn) await api.destroy(ownId);
  for (const drifted of replace) await api.destroy(drifted.ID);
  return { session: settled.keep ?? null, removed: replace.map((s) => s.ID) };
}

async function present(ctx: Context): Promise<ModuleResult> {
  const { settings, api } = ctx;
  if (settings.id !== undefined) return presentById(ctx, settings.id);
  const node = await targetNode(ctx);
  const fields = presentFields(settings, node);
  const name = settings.name;
  const named = name === undefined ? [] : await namedOnNode(api, node, name);
  const plan = planPresent(named, settings.session);
  const before = named.map(describeSession);

  if (plan.action === 'keep') {
    const extra = [...plan.duplicates, ...plan.others];
    if (extra.length) {
      ctx.warnings.push(
        `Node ${node} has ${named.length} sessions named '${name}'; keeping the oldest matching one, ` +
          `${plan.keep.ID}. The others were left alone: ${extra.map((s) => s.ID).join(', ')}.`,
      );
    }
    return {
      changed: false,
      ...fields,
      session_id: plan.keep.ID,
      session: plan.keep,
      sessions: named,
      removed: [],
      ...diffOf(settings, before, before),
    };
  }

  const removed = plan.replace.map((s) => s.ID);
  if (settings.ansible.checkMode) {
    return {
      changed: true,
      ...fields,
      session_id: null,
      session: null,
      sessions: [],
      removed,
      ...diffOf(settings, before, [describeSpec(settings.session, node, null)]),
    };
  }
  const outcome = await createAndSettle(ctx, node, plan.replace);
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

async function absent(ctx: Context): Promise<ModuleResult> {
  const { settings, api } = ctx;
  let node: string | undefined;
  let doomed: ConsulSession[];
  if (settings.id !== undefined) {
    const session = await api.info(settings.id);
    doomed = session ? [session] : [];
    node = session?.Node;
  } else {
    node = await targetNode(ctx);
    doomed = await namedOnNode(api, node, settings.name as string);
  }
  if (!settings.ansible.checkMode) {
    for (const session of doomed) await api.destroy(session.ID);
  }
  return {
    changed: doomed.length > 0,
    name: settings.name ?? null,
    node: node ?? null,
    session_id: settings.id ?? null,
    sessions: [],
    removed: doomed.map((s) => s.ID),
    ...diffOf(settings, doomed.map(describeSession), []),
  };
}

async function info(ctx: Context): Promise<ModuleResult> {
  const id = ctx.settings.id as string;
  const session = (await ctx.api.info(id)) ?? null;
  return { changed: false, session_id: id, session, sessions: session ? [session] : [] };
}

async function node(ctx: Context): Promise<ModuleResult> {
  const target = await targetNode(ctx);
  return { changed: false, node: target, sessions: (await ctx.api.onNode(target)).data };
}

async function list(ctx: Context): Promise<ModuleResult> {
  return { changed: false, sessions: (await ctx.api.list()).data };
}

const STATES = { present, absent, info, node, list, renewed } as const;

export async function runState(settings: Settings, api: SessionApi): Promise<ModuleResult> {
  const warnings = [...settings.warnings];
  const result = await STATES[settings.state]({ settings, api, warnings });
  const { knownLeader, lastContactMs } = api.lastRead;
  const freshness = {
    consistency: settings.consistency,
    ...(knownLeader === undefined ? {} : { known_leader: knownLeader }),
    ...(lastContactMs === undefined || Number.isNaN(lastContactMs) ? {} : { last_contact_ms: lastContactMs }),
  };
  return finishResult({ ...result, ...freshness }, settings, warnings, api);
}
