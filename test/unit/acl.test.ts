// What a 403 says (src/shared/acl.ts): the action and the one rule each request we send needs, an
// unknown token told apart from a missing rule, and never the token itself.
import { expect } from 'chai';
import { deniedMessage, requiredRule } from '../../src/shared/acl';

const ID = '0b1d3ed1-4c4e-4b47-9f5b-1d3c1f2e7a10';

describe('ACL denials (shared/acl.ts)', () => {
  const cases: Array<[string, Parameters<typeof requiredRule>[0], string, string]> = [
    ['agent self', { method: 'GET', path: '/v1/agent/self' }, 'agent "<the agent\'s node name>" read', 'ask the agent for its node name (give node to skip this request)'],
    ['session create', { method: 'PUT', path: '/v1/session/create', body: { Node: 'web-1', Name: 'x' } }, 'session "web-1" write', 'create a session on node web-1'],
    ['session list', { method: 'GET', path: '/v1/session/list' }, 'session_prefix "" read', 'read the sessions of every node'],
    ['sessions of a node', { method: 'GET', path: '/v1/session/node/db%201' }, 'session "db 1" read', 'read the sessions of node db 1'],
    ['session info', { method: 'GET', path: `/v1/session/info/${ID}` }, `session "<the node of session ${ID}>" read`, `read session ${ID}`],
    ['session renew', { method: 'PUT', path: `/v1/session/renew/${ID}` }, `session "<the node of session ${ID}>" write`, `renew session ${ID}`],
    ['session destroy', { method: 'PUT', path: `/v1/session/destroy/${ID}` }, `session "<the node of session ${ID}>" write`, `destroy session ${ID}`],
    ['key read', { method: 'GET', path: '/v1/kv/locks/deploy/.lock' }, 'key "locks/deploy/.lock" read', 'read the key locks/deploy/.lock'],
    ['prefix read', { method: 'GET', path: '/v1/kv/sem/x/', query: { recurse: true } }, 'key_prefix "sem/x/" read', 'read the keys under sem/x/'],
    ['key acquire', { method: 'PUT', path: '/v1/kv/locks/a', query: { acquire: ID } }, 'key "locks/a" write', 'write the key locks/a'],
    ['key delete', { method: 'DELETE', path: '/v1/kv/sem/x/.lock', query: { cas: '7' } }, 'key "sem/x/.lock" write', 'delete the key sem/x/.lock'],
    ['quote in a key', { method: 'PUT', path: '/v1/kv/a%22b' }, 'key "a\\"b" write', 'write the key a"b'],
  ];
  for (const [name, request, rule, action] of cases) {
    it(`${name}: ${rule}`, () => {
      expect(requiredRule(request)).to.deep.equal({ rule, action });
    });
  }

  it('names the action and the rule, and says a token was sent without showing it', () => {
    const message = deniedMessage({ method: 'PUT', path: '/v1/session/create', body: { Node: 'n1' } }, 'Permission denied', true);
    expect(message).to.equal(
      "permission denied (Consul answered 403: Permission denied): to create a session on node n1, the token's ACL policy needs the rule session \"n1\" write (or a wider one).",
    );
  });

  it('without a token, points at token / CONSUL_HTTP_TOKEN and the anonymous policy', () => {
    const message = deniedMessage({ method: 'GET', path: '/v1/kv/k' }, 'Permission denied', false);
    expect(message).to.contain('no token was sent (token or CONSUL_HTTP_TOKEN)').and.to.contain("anonymous token's policy needs the rule key \"k\" read");
  });

  it('"ACL not found" is an unknown token, not a missing rule', () => {
    const message = deniedMessage({ method: 'GET', path: '/v1/session/list' }, 'ACL not found', true);
    expect(message).to.match(/^Consul does not know the token it was sent \(Consul answered 403: ACL not found\): check token or CONSUL_HTTP_TOKEN/);
    expect(message).not.to.contain('needs the rule');
  });

  it('a path the modules never call still gets a permission message, without a made-up rule', () => {
    expect(requiredRule({ method: 'GET', path: '/v1/catalog/nodes' })).to.equal(undefined);
    expect(deniedMessage({ method: 'GET', path: '/v1/catalog/nodes' }, 'Permission denied', true)).to.contain('does not allow GET /v1/catalog/nodes');
  });
});
