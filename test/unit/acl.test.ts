// What a 403 says (src/shared/acl.ts): the action and the one rule each request we send needs, an
// unknown token told apart from a missing rule, and never the token itself.
import { expect } from 'chai';
import { parseArgs } from '../../src/shared/args';
import { deniedMessage, requiredRule } from '../../src/shared/acl';
import { ConsulError } from '../../src/shared/errors';
import { SEMAPHORE_FLAGS } from '../../src/shared/lock-protocol';
import { RetryBudget, realClock } from '../../src/shared/retry';
import type { SemaphoreApis } from '../../src/consul_semaphore/context';
import { toSettings } from '../../src/consul_semaphore/params';
import { runState } from '../../src/consul_semaphore/states';
import { FakeKv } from '../support/fake-kv';

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
    ['renew, node known', { method: 'PUT', path: `/v1/session/renew/${ID}`, node: 'web-1' }, 'session "web-1" write', `renew session ${ID}`],
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

describe('ACLs hiding what a token may not read (consul_semaphore on an in-memory KV)', () => {
  const P = 'sem/acl';
  const OURS = 'aaaaaaaa-0000-4000-8000-00000000000a';
  const HOLDER = 'bbbbbbbb-0000-4000-8000-00000000000b';
  const run = (fake: FakeKv, params: Record<string, unknown>, apis: Partial<SemaphoreApis> = {}) =>
    runState(toSettings(parseArgs(JSON.stringify({ prefix: P, limit: 1, retry_timeout: 0, ...params })), {}), {
      kv: fake.kv,
      sessions: fake.sessionApi,
      retry: new RetryBudget(0),
      clock: realClock,
      ...apis,
    });
  const rejected = async (promise: Promise<unknown>): Promise<Error> => {
    try {
      await promise;
    } catch (error) {
      return error as Error;
    }
    throw new Error('expected a failure');
  };

  it('a prefix that reads as empty is confirmed by reading .lock, so a 403 there fails instead of showing no semaphore', async () => {
    const fake = new FakeKv();
    const denied = new ConsulError('read the key sem/acl/.lock', 'permission denied', { request: { method: 'GET', path: `/v1/kv/${P}/.lock` }, status: 403, body: 'Permission denied' });
    const kv = { ...fake.kv, read: () => Promise.reject(denied) };
    expect(await rejected(run(fake, { state: 'info' }, { kv }))).to.equal(denied);
    fake.addSession(OURS, '');
    expect(await rejected(run(fake, { session: OURS }, { kv }))).to.equal(denied);
    expect(fake.writes, 'nothing written').to.deep.equal([]);
  });

  it('waiting with a session the token may not read: fails saying so, and takes its contender key back', async () => {
    const fake = new FakeKv();
    for (const id of [HOLDER, OURS]) fake.addSession(id, '');
    fake.put(`${P}/${HOLDER}`, '', HOLDER, SEMAPHORE_FLAGS);
    fake.put(`${P}/.lock`, JSON.stringify({ Limit: 1, Holders: { [HOLDER]: true } }), null, SEMAPHORE_FLAGS);
    const hidden = { ...fake.sessionApi, info: () => Promise.resolve(undefined) };
    const error = await rejected(run(fake, { session: OURS, wait: 5 }, { sessions: hidden }));
    expect(error.message).to.contain(`Session ${OURS} does not exist`).and.to.contain('or the token may not read it').and.to.contain('session "<its node>" read');
    expect([...fake.keys.keys()].sort()).to.deep.equal([`${P}/.lock`, `${P}/${HOLDER}`]);
  });
});
