// What each state does, against the session API. Decisions come from plan.ts; this file only reads,
// applies (unless in check mode) and reports.
import type { ModuleResult } from '../shared/result';
import { finishResult } from '../shared/run-module';
import type { ConsulSession, SessionApi } from '../shared/sessions';
import { diffOf, namedOnNode, targetNode, type Context } from './context';
import type { Settings } from './params';
import { describeSession } from './plan';
import { present } from './present';
import { renewed } from './renew';

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
    for (const session of doomed) await api.destroy(session.ID, session.Node);
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
