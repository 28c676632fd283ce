// What both lock kinds say about sessions: who holds a key (in words and as result fields), and the
// failure when our own session is gone, which Consul reports as 500 `invalid session "<id>"`.
import { SESSION_READ_HIDDEN } from './acl';
import { ConsulError, ModuleFailure } from './errors';
import type { SessionApi } from './sessions';

export interface Holder {
  /** "session <id> ('name' on node n)", or just "session <id>" when it is gone by now. */
  words: string;
  /** holder, holder_name, holder_node: for results, failures included. */
  fields: Record<string, unknown>;
}

export async function describeHolder(sessions: Pick<SessionApi, 'info'>, holder: string): Promise<Holder> {
  const session = await sessions.info(holder).catch(() => undefined);
  if (!session) return { words: `session ${holder}`, fields: { holder } };
  return {
    words: `session ${holder} ('${session.Name}' on node ${session.Node})`,
    fields: { holder, holder_name: session.Name, holder_node: session.Node },
  };
}

/**
 * `what`: "a lock", "a slot of a semaphore". `unread`: the session was not found by reading it, which
 * with ACLs may also mean the token may not read it (Consul then answers as if it did not exist).
 */
export const sessionGone = (session: string, what: string, unread = false) =>
  new ModuleFailure(
    `Session ${session} does not exist (it expired or was destroyed${unread ? `; ${SESSION_READ_HIDDEN}` : ''}), so it cannot hold ${what}. ` +
      'Create one with consul_session (state: present) and pass its session_id.',
  );

/** Turns Consul's answer to a write by a session it does not know into sessionGone; rethrows anything else. */
export function explainInvalidSession(error: unknown, session: string, what: string): never {
  if (error instanceof ConsulError && error.status === 500 && /invalid session/i.test(error.body ?? '')) throw sessionGone(session, what);
  throw error;
}
