// What a 403 from Consul means for the user: the ACL rule the token lacks for the request that was refused,
// derived from the request itself (method, path, query, body), so every caller gets it without saying so.
// Consul answers "ACL not found" for a token it does not know: then no rule is missing, the token is wrong.
// Never mentions the token's value: only whether one was sent.
import type { Query } from './consul';

/** The refused request, as the client sent it. */
export interface DeniedRequest {
  method: string;
  path: string;
  query?: Query;
  body?: unknown;
  /** The node of the session the request is about, when the caller knows it (renew, destroy, info). */
  node?: string;
}

/** Consul 1.8 hides from a session read what the token may not read, answering [] instead of 403. */
export const SESSION_READ_HIDDEN =
  'or the token may not read it: Consul answers a session read it does not allow with no sessions, not an error ' +
  '(the rule session "<its node>" read is needed)';

const quote = (text: string) => JSON.stringify(text);

/** A path's segments after `prefix`, percent-decoding undone ("a%2Fb" stays one segment's text). */
function rest(path: string, prefix: string): string {
  return path
    .slice(prefix.length)
    .split('/')
    .map((part) => {
      try {
        return decodeURIComponent(part);
      } catch {
        return part;
      }
    })
    .join('/');
}

function nodeOf(body: unknown): string | undefined {
  const node = typeof body === 'object' && body !== null ? (body as { Node?: unknown }).Node : undefined;
  return typeof node === 'string' ? node : undefined;
}

/** The rule a request needs, and the action in words (for the message); undefined for a path we never call. */
export function requiredRule(request: DeniedRequest): { rule: string; action: string } | undefined {
  const { method, path, query = {}, body, node: sessionNode } = request;
  const write = method !== 'GET';
  if (path === '/v1/agent/self') {
    return { rule: 'agent "<the agent\'s node name>" read', action: 'ask the agent for its node name (give node to skip this request)' };
  }
  if (path === '/v1/session/create') {
    const node = nodeOf(body) ?? '<node>';
    return { rule: `session ${quote(node)} write`, action: `create a session on node ${node}` };
  }
  if (path === '/v1/session/list') return { rule: 'session_prefix "" read', action: 'read the sessions of every node' };
  if (path.startsWith('/v1/session/node/')) {
    const node = rest(path, '/v1/session/node/');
    return { rule: `session ${quote(node)} read`, action: `read the sessions of node ${node}` };
  }
  const session = /^\/v1\/session\/(info|renew|destroy)\/(.+)$/.exec(path);
  if (session) {
    const [, verb, id] = session as unknown as [string, string, string];
    const level = verb === 'info' ? 'read' : 'write';
    const node = sessionNode === undefined ? `"<the node of session ${id}>"` : quote(sessionNode);
    return { rule: `session ${node} ${level}`, action: `${verb === 'info' ? 'read' : verb} session ${id}` };
  }
  if (path.startsWith('/v1/kv/')) {
    const key = rest(path, '/v1/kv/');
    const level = write ? 'write' : 'read';
    if (query.recurse !== undefined && !write) return { rule: `key_prefix ${quote(key)} read`, action: `read the keys under ${key}` };
    const verb = method === 'DELETE' ? 'delete' : write ? 'write' : 'read';
    return { rule: `key ${quote(key)} ${level}`, action: `${verb} the key ${key}` };
  }
  return undefined;
}

/**
 * The message after "Could not <what>: " for a 403. `tokenSent`: whether the run had a token (from
 * `token` or CONSUL_HTTP_TOKEN); without one Consul applied its anonymous token's policy.
 */
export function deniedMessage(request: DeniedRequest, consulText: string, tokenSent: boolean): string {
  const answer = `Consul answered 403: ${consulText}`;
  if (/ACL not found/i.test(consulText)) {
    return (
      `Consul does not know the token it was sent (${answer}): check token or CONSUL_HTTP_TOKEN ` +
      '(a deleted or expired token, a token of another datacenter, or the AccessorID given instead of the SecretID).'
    );
  }
  const needed = requiredRule(request);
  const whose = tokenSent ? "the token's ACL policy" : 'no token was sent (token or CONSUL_HTTP_TOKEN), and the anonymous token\'s policy';
  if (!needed) return `permission denied (${answer}): ${whose} does not allow ${request.method} ${request.path}.`;
  return `permission denied (${answer}): to ${needed.action}, ${whose} needs the rule ${needed.rule} (or a wider one).`;
}
