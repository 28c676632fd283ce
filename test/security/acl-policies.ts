// The smallest ACL policy for every state of every module: ONE table, proven row by row against a Consul
// 1.8.7 agent with default_policy deny (least-privilege.test.ts: the row's rules suffice, each rule is
// needed, and a write rule cannot be a read one) and printed into the README by scripts/acl-table.ts.
//
// Placeholders in rules: <node> the node of the session (the agent's node when `node` is not given),
// <key> consul_lock's key, <prefix> consul_semaphore's prefix (the rule covers "<prefix>/").

/**
 * What a run does with one rule of its row missing:
 * - denied: Consul answers 403 and the run fails naming the action and the rule (shared/acl.ts);
 * - hidden-fails: Consul 1.8 answers a session read it does not allow with no sessions (no 403), and the run
 *   fails because it needs the session, saying the token may not read it;
 * - hidden: the same hiding, and the run succeeds seeing no session (nothing to report or to remove).
 */
export type Without = 'denied' | 'hidden-fails' | 'hidden';

export interface AclRule {
  rule: string;
  without: Without;
}

export interface PolicyRow {
  /** Names the scenario least-privilege.test.ts runs for this row. */
  id: string;
  module: 'consul_session' | 'consul_lock' | 'consul_semaphore';
  state: string;
  /** The case of the state this row is about, in the words of its parameters. */
  when: string;
  rules: AclRule[];
}

const rule = (text: string, without: Without = 'denied'): AclRule => ({ rule: text, without });

const SESSION_WRITE = 'session "<node>" write';
const SESSION_READ = 'session "<node>" read';
const AGENT_READ = 'agent "<node>" read';
const KEY_WRITE = 'key "<key>" write';
const PREFIX_WRITE = 'key_prefix "<prefix>/" write';

export const POLICIES: PolicyRow[] = [
  { id: 'session-present-node', module: 'consul_session', state: 'present', when: 'name and node', rules: [rule(SESSION_WRITE)] },
  { id: 'session-present-agent', module: 'consul_session', state: 'present', when: 'name, no node (the agent is asked its node name)', rules: [rule(SESSION_WRITE), rule(AGENT_READ)] },
  { id: 'session-present-id', module: 'consul_session', state: 'present', when: 'id', rules: [rule(SESSION_READ, 'hidden-fails')] },
  { id: 'session-absent-name', module: 'consul_session', state: 'absent', when: 'name and node', rules: [rule(SESSION_WRITE, 'hidden')] },
  { id: 'session-absent-id', module: 'consul_session', state: 'absent', when: 'id', rules: [rule(SESSION_WRITE, 'hidden')] },
  { id: 'session-renewed', module: 'consul_session', state: 'renewed', when: 'id', rules: [rule(SESSION_WRITE, 'hidden-fails')] },
  { id: 'session-renewed-name', module: 'consul_session', state: 'renewed', when: 'name and node', rules: [rule(SESSION_WRITE, 'hidden-fails')] },
  { id: 'session-info', module: 'consul_session', state: 'info', when: 'id', rules: [rule(SESSION_READ, 'hidden')] },
  { id: 'session-node', module: 'consul_session', state: 'node', when: 'node', rules: [rule(SESSION_READ, 'hidden')] },
  { id: 'session-list', module: 'consul_session', state: 'list', when: '', rules: [rule('session_prefix "" read', 'hidden')] },
  { id: 'lock-acquired', module: 'consul_lock', state: 'acquired', when: 'the lock is free (or ours), or wait 0', rules: [rule(KEY_WRITE)] },
  { id: 'lock-acquired-wait', module: 'consul_lock', state: 'acquired', when: 'waiting for another holder, session without TTL', rules: [rule(KEY_WRITE), rule(SESSION_READ, 'hidden-fails')] },
  { id: 'lock-acquired-wait-ttl', module: 'consul_lock', state: 'acquired', when: 'waiting, session with a TTL (renewed while waiting)', rules: [rule(KEY_WRITE), rule(SESSION_WRITE, 'hidden-fails')] },
  { id: 'lock-released', module: 'consul_lock', state: 'released', when: '', rules: [rule(KEY_WRITE)] },
  { id: 'lock-info', module: 'consul_lock', state: 'info', when: '', rules: [rule('key "<key>" read')] },
  { id: 'semaphore-acquired', module: 'consul_semaphore', state: 'acquired', when: 'a slot is free (or ours), or wait 0', rules: [rule(PREFIX_WRITE)] },
  { id: 'semaphore-acquired-wait', module: 'consul_semaphore', state: 'acquired', when: 'waiting for a slot, session without TTL', rules: [rule(PREFIX_WRITE), rule(SESSION_READ, 'hidden-fails')] },
  { id: 'semaphore-acquired-wait-ttl', module: 'consul_semaphore', state: 'acquired', when: 'waiting, session with a TTL (renewed while waiting)', rules: [rule(PREFIX_WRITE), rule(SESSION_WRITE, 'hidden-fails')] },
  { id: 'semaphore-released', module: 'consul_semaphore', state: 'released', when: '', rules: [rule(PREFIX_WRITE)] },
  { id: 'semaphore-info', module: 'consul_semaphore', state: 'info', when: '', rules: [rule('key_prefix "<prefix>/" read')] },
];

/** What the README says a missing rule does, by kind. */
export const WITHOUT_WORDS: Record<Without, string> = {
  denied: 'Consul answers 403; the run fails naming what it attempted and this rule',
  'hidden-fails': 'Consul 1.8 hides the session instead of answering 403; the run fails saying the session does not exist or the token may not read it',
  hidden: 'Consul 1.8 hides the sessions instead of answering 403; the run succeeds seeing none (reports none, removes nothing)',
};

/** A rule with its placeholders filled in. */
export function fill(text: string, values: { node: string; key?: string; prefix?: string }): string {
  return text
    .replaceAll('<node>', values.node)
    .replaceAll('<key>', values.key ?? '<key>')
    .replaceAll('<prefix>', values.prefix ?? '<prefix>');
}
