// state=renewed: reset the TTL timer of a session (by id) or of every session of a name on a node, so a
// session outlives a long play. Like service state=restarted, a renewal is an action: changed when a
// timer was reset. A session that no longer exists cannot be renewed, only replaced (state=present).
import { secondsOrNull } from '../shared/duration';
import { SESSION_READ_HIDDEN } from '../shared/acl';
import { ModuleFailure } from '../shared/errors';
import type { ModuleResult } from '../shared/result';
import { parseDurationNs } from '../shared/duration';
import type { ConsulSession } from '../shared/sessions';
import { PENDING_SESSION } from '../shared/pending-session';
import { namedOnNode, targetNode, type Context } from './context';
import { keeper, refuseForeground } from './keeper-state';

const ttlSeconds = (session: ConsulSession) => secondsOrNull(session.TTL ? parseDurationNs(session.TTL) : undefined);

/** `unread`: not found by a read, which with ACLs may also mean the token may not read it. */
function missing(what: string, unread = false): ModuleFailure {
  return new ModuleFailure(
    `Cannot renew ${what}: it does not exist (its TTL ran out, or it was destroyed${unread ? `; ${SESSION_READ_HIDDEN}` : ''}). ` +
      'A session cannot be brought back; create a new one with state=present.',
  );
}

/** The sessions to renew as they are now: the one with `id`, or those named `name` on the target node. */
async function targets(ctx: Context): Promise<{ sessions: ConsulSession[]; what: string; node?: string }> {
  const { settings, api } = ctx;
  if (settings.id !== undefined) {
    const session = await api.info(settings.id);
    return { sessions: session ? [session] : [], what: `session ${settings.id}` };
  }
  const node = await targetNode(ctx);
  const name = settings.name as string;
  return { sessions: await namedOnNode(api, node, name), what: `a session named '${name}' on node ${node}`, node };
}

export async function renewed(ctx: Context): Promise<ModuleResult> {
  const { settings, api, warnings } = ctx;
  refuseForeground(ctx);
  // Check mode with id null: the session present would create is there, and a real run renews it.
  if (settings.id === PENDING_SESSION) return { changed: true, session_id: PENDING_SESSION, session: null, sessions: [], ttl: null };
  const found = await targets(ctx);
  if (found.sessions.length === 0) throw missing(found.what, true);
  if (settings.keepAliveMs !== undefined && !settings.ansible.checkMode) return keeper(ctx, found.sessions, found.what);
  if (found.sessions.length > 1) {
    warnings.push(`Node ${found.node} has ${found.sessions.length} sessions named '${settings.name}'; renewed each of them.`);
  }
  let sessions = found.sessions;
  if (!settings.ansible.checkMode) {
    sessions = [];
    for (const session of found.sessions) {
      const renewedSession = await api.renew(session.ID, { aclNode: session.Node });
      // Gone between the read and the renewal: its TTL ran out just now.
      if (!renewedSession) throw missing(`session ${session.ID}`);
      sessions.push(renewedSession);
    }
  }
  const withoutTtl = sessions.filter((s) => !s.TTL);
  if (withoutTtl.length) {
    warnings.push(`Session ${withoutTtl.map((s) => s.ID).join(', ')} has no TTL: there is no timer to reset, so renewing changes nothing.`);
  }
  const [first] = sessions as [ConsulSession, ...ConsulSession[]];
  return {
    changed: withoutTtl.length < sessions.length,
    session_id: first.ID,
    session: first,
    sessions,
    name: settings.name ?? first.Name,
    node: first.Node,
    ttl: ttlSeconds(first),
  };
}
