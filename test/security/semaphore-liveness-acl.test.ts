// consul_semaphore's liveness rule under a token that may read no session at all: a holder is alive while
// its session holds a key under the prefix (the Go client's rule), which the KV read alone shows, so
// holders whose sessions the token cannot see are never pruned and no more than `limit` get in; only a
// holder whose contender key went with its session is pruned. Against a deny-by-default 1.8.7 agent.
import { expect } from 'chai';
import { hcl, startAclAgent, type AclAgent } from '../support/acl-agent';
import { consulHttp, consulOrSkip } from '../support/consul';
import { prefixEntries, semaphoreJson, semaphoreOk } from '../support/semaphores';

describe('security: semaphore liveness with a token that cannot read sessions', function () {
  this.timeout(60_000);
  const prefix = 'live/deploy';
  let acl: AclAgent;
  let token: string;

  const session = async (name: string) => {
    const res = await consulHttp(acl.agent, 'PUT', '/v1/session/create', { Name: name, Node: acl.agent.nodeName, Behavior: 'delete', LockDelay: '0s' });
    expect(res.status, res.text).to.equal(200);
    return (res.body as { ID: string }).ID;
  };
  const run = (args: Record<string, unknown>, as = token) =>
    semaphoreOk({ host: '127.0.0.1', port: acl.agent.httpPort, token: as, prefix, limit: 2, ...args });
  const holders = async () => Object.keys((await semaphoreJson(acl.agent, prefix))?.Holders ?? {}).sort();

  before(async function () {
    consulOrSkip(this);
    acl = await startAclAgent();
    // Exactly the semaphore's row of the least-privilege table: no session rule at all.
    token = await acl.tokenFor(hcl([`key_prefix "${prefix}/" write`]));
  });
  after(async () => {
    await acl?.agent.stop();
  });

  it('the token really cannot see the sessions', async () => {
    await session('probe');
    const seen = await consulHttp(acl.agent, 'GET', '/v1/session/list', undefined, { token });
    expect(seen.body).to.deep.equal([]);
  });

  it('keeps live holders it cannot read, prunes only the one whose key is gone, never lets a third in', async () => {
    const [a, b, c, d] = [await session('a'), await session('b'), await session('c'), await session('d')];
    await run({ session: a }, acl.master);
    await run({ session: b }, acl.master);
    // b dies: its session goes and (behavior delete) its contender key with it; .lock still names it.
    expect((await consulHttp(acl.agent, 'PUT', `/v1/session/destroy/${b}`)).status).to.equal(200);
    expect(await holders()).to.deep.equal([a, b].sort());

    const taken = await run({ session: c });
    expect(taken).to.include({ acquired: true, changed: true });
    expect(taken.pruned).to.deep.equal([b]);
    expect(taken.holders).to.deep.equal([a, c].sort());
    expect(await holders(), 'a, whose session the token cannot read, is still in').to.deep.equal([a, c].sort());

    const full = await run({ session: d, fail_if_not_acquired: false });
    expect(full).to.include({ acquired: false, changed: false });
    expect(full.holders).to.deep.equal([a, c].sort());
    expect(await holders(), 'never more than the limit').to.deep.equal([a, c].sort());
    expect((await prefixEntries(acl.agent, prefix)).map((e) => e.key).sort(), 'd withdrew its contender key').to.deep.equal([`${prefix}/.lock`, `${prefix}/${a}`, `${prefix}/${c}`].sort());

    // Once a leaves, d gets in with the same token.
    expect(await run({ session: a, state: 'released' })).to.include({ changed: true });
    expect(await run({ session: d })).to.include({ acquired: true });
    expect(await holders()).to.deep.equal([c, d].sort());
  });
});
