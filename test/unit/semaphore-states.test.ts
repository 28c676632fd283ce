// consul_semaphore's states against an in-memory KV (test/support/fake-kv.ts) on sinon's fake timers:
// what each state writes, in which order, and what it reports; the wait with renewals, a lost
// check-and-set retried, and a contender key taken back when no slot came. The same behaviours are
// proven against a real agent and the real CLI in test/integration/semaphore-*.test.ts.
import { expect } from 'chai';
import sinon from 'sinon';
import { parseArgs } from '../../src/shared/args';
import { ModuleFailure } from '../../src/shared/errors';
import { SEMAPHORE_FLAGS } from '../../src/shared/lock-protocol';
import { RetryBudget, realClock } from '../../src/shared/retry';
import { toSettings } from '../../src/consul_semaphore/params';
import { runState } from '../../src/consul_semaphore/states';
import { FakeKv } from '../support/fake-kv';

const A = 'aaaaaaaa-0000-4000-8000-00000000000a';
const B = 'bbbbbbbb-0000-4000-8000-00000000000b';
const C = 'cccccccc-0000-4000-8000-00000000000c';
const P = 'sem/states';
const lockJson = (fake: FakeKv) => JSON.parse(fake.keys.get(`${P}/.lock`)?.value ?? 'null') as { Limit: number; Holders: Record<string, boolean> } | null;

function run(fake: FakeKv, params: Record<string, unknown>, flags: Record<string, unknown> = {}) {
  const settings = toSettings(parseArgs(JSON.stringify({ prefix: P, limit: 2, retry_timeout: 0, ...params, ...flags })), {});
  return runState(settings, { kv: fake.kv, sessions: fake.sessionApi, retry: new RetryBudget(0), clock: realClock });
}

async function failure(promise: Promise<unknown>): Promise<ModuleFailure> {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(ModuleFailure);
    return error as ModuleFailure;
  }
  throw new Error('expected a failure');
}

/** A and B inside a semaphore of 2, as `consul lock -n 2` leaves it. */
function full(fake: FakeKv): void {
  for (const id of [A, B]) {
    fake.addSession(id, '15s');
    fake.put(`${P}/${id}`, `${id.slice(0, 1)} value`, id, SEMAPHORE_FLAGS);
  }
  fake.put(`${P}/.lock`, JSON.stringify({ Limit: 2, Holders: { [A]: true, [B]: true } }), null, SEMAPHORE_FLAGS);
}

describe('consul_semaphore states (in-memory KV, fake timers)', () => {
  let clock: sinon.SinonFakeTimers;
  let fake: FakeKv;
  beforeEach(() => {
    clock = sinon.useFakeTimers({ now: 1_000_000, toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    fake = new FakeKv();
    fake.addSession(C, '10s', 'c-run');
  });
  afterEach(() => clock.restore());

  it('acquired: the contender key first, then a create-only write of .lock; again: no change', async () => {
    const first = await run(fake, { session: C, value: 'host c' });
    expect(first).to.deep.include({ changed: true, acquired: true, limit: 2, holders: [C], waited: 0, pruned: [] });
    expect(fake.writes).to.deep.equal([`acquire ${P}/${C}`, `cas ${P}/.lock@0`]);
    expect(fake.keys.get(`${P}/${C}`)).to.include({ session: C, value: 'host c', flags: SEMAPHORE_FLAGS });
    expect(fake.keys.get(`${P}/.lock`)).to.include({ session: null, flags: SEMAPHORE_FLAGS });
    expect(lockJson(fake)).to.deep.equal({ Limit: 2, Holders: { [C]: true } });
    fake.writes.length = 0;
    expect(await run(fake, { session: C, value: 'host c' })).to.deep.include({ changed: false, acquired: true });
    expect(await run(fake, { session: C })).to.deep.include({ changed: false, acquired: true });
    expect(fake.writes, 'nothing written when already in').to.deep.equal([]);
    // A new value for a slot already held is a change of the contender key only.
    expect(await run(fake, { session: C, value: 'host c again' })).to.deep.include({ changed: true, acquired: true });
    expect(fake.writes).to.deep.equal([`acquire ${P}/${C}`]);
  });

  it('a full semaphore with wait 0 fails naming the holders (name, node, value), and writes nothing', async () => {
    full(fake);
    const error = await failure(run(fake, { session: C }));
    expect(error.message).to.match(/^The semaphore sem\/states is full: its 2 slot\(s\) are held by session aaaaaaaa-.* \('session aaaa' on node fake-node\), session bbbbbbbb-.*; wait is 0, so not waiting for a slot\.$/);
    expect(error.details).to.deep.include({ limit: 2, holders: [A, B], waited: 0 });
    expect(error.details.holder_details).to.deep.equal([
      { session: A, name: 'session aaaa', node: 'fake-node', value: 'a value' },
      { session: B, name: 'session bbbb', node: 'fake-node', value: 'b value' },
    ]);
    expect(fake.writes).to.deep.equal([]);
  });

  it('fail_if_not_acquired: false reports acquired: false with the holders and succeeds', async () => {
    full(fake);
    const result = await run(fake, { session: C, fail_if_not_acquired: false });
    expect(result).to.deep.include({ changed: false, acquired: false, holders: [A, B], waited: 0 });
    expect(result.holder_details).to.have.length(2);
    expect(result.msg).to.match(/^The semaphore sem\/states is full: its 2 slot\(s\) are held by /);
  });

  it('waits with blocking reads, renews its TTL session every half TTL, and gets in when a holder leaves', async () => {
    full(fake);
    const pending = run(fake, { session: C, wait: 60 });
    await clock.tickAsync(100);
    expect(fake.keys.get(`${P}/${C}`)?.session, 'contender key written before the wait').to.equal(C);
    // A leaves at 12 s, as the CLI releases: .lock without A (CAS), then its contender key.
    await clock.tickAsync(11_900);
    fake.put(`${P}/.lock`, JSON.stringify({ Limit: 2, Holders: { [B]: true } }), null, SEMAPHORE_FLAGS);
    fake.keys.delete(`${P}/${A}`);
    await clock.tickAsync(10);
    const result = await pending;
    expect(result).to.deep.include({ changed: true, acquired: true, holders: [B, C].sort() });
    expect(result.waited).to.be.within(11.9, 12.1);
    expect(fake.renewals, 'renewed at 5 s and 10 s (TTL 10 s)').to.equal(2);
    expect(result.warnings).to.deep.include(`Renewed session ${C} 2 time(s) while waiting, so that its TTL did not run out.`);
  });

  it('gives up at the deadline, takes its contender key back, and names the holders', async () => {
    full(fake);
    const pending = failure(run(fake, { session: C, wait: 3 }));
    await clock.tickAsync(4_000);
    const error = await pending;
    expect(error.message).to.match(/^Waited 3(\.\d)? s for a slot of the semaphore sem\/states; it is still full: /);
    expect(fake.keys.has(`${P}/${C}`), 'contender key deleted').to.equal(false);
    expect(lockJson(fake)?.Holders).to.deep.equal({ [A]: true, [B]: true });
  });

  it('a dead holder (its key gone with its session) is dropped in the write that takes its slot', async () => {
    full(fake);
    fake.killSession(A);
    const result = await run(fake, { session: C });
    expect(result).to.deep.include({ changed: true, acquired: true, holders: [B, C].sort(), pruned: [A] });
    expect(lockJson(fake)?.Holders).to.deep.equal({ [B]: true, [C]: true });
  });

  it('a check-and-set lost to a faster contender is retried at once from a fresh read', async () => {
    fake.addSession(A, '');
    fake.put(`${P}/${A}`, '', A, SEMAPHORE_FLAGS);
    let raced = false;
    fake.beforeCas = (key) => {
      if (raced) return;
      raced = true;
      // A takes the first slot between our read and our write.
      fake.put(key, JSON.stringify({ Limit: 2, Holders: { [A]: true } }), null, SEMAPHORE_FLAGS);
    };
    const result = await run(fake, { session: C });
    expect(result).to.deep.include({ changed: true, acquired: true, holders: [A, C].sort() });
    expect(fake.writes.filter((w) => w.startsWith('cas '))).to.have.length(2);
  });

  it('a limit that disagrees fails naming both, in every state, and writes nothing', async () => {
    full(fake);
    for (const state of ['acquired', 'released', 'info']) {
      const error = await failure(run(fake, { session: C, state, limit: 3 }));
      expect(error.message, state).to.match(/has limit 2 .* asks for limit 3/);
    }
    expect(fake.writes).to.deep.equal([]);
  });

  it('check mode writes nothing and reports what a real run would leave; diff shows before and after', async () => {
    const result = await run(fake, { session: C }, { _ansible_check_mode: true, _ansible_diff: true });
    expect(result).to.deep.include({ changed: true, acquired: true, holders: [C], limit: 2 });
    expect(result.diff).to.deep.equal({ before: { prefix: P, limit: null, holders: [] }, after: { prefix: P, limit: 2, holders: [C] } });
    expect(fake.writes).to.deep.equal([]);
  });

  it('released: its entry out (CAS), then its contender key; other slots untouched; again: no change', async () => {
    full(fake);
    const result = await run(fake, { session: A, state: 'released' });
    expect(result).to.deep.include({ changed: true, acquired: false, holders: [B] });
    expect(fake.writes).to.deep.equal([`cas ${P}/.lock@${fake.keys.get(`${P}/.lock`)!.modifyIndex - 1}`, `delete ${P}/${A}`]);
    expect(lockJson(fake)?.Holders).to.deep.equal({ [B]: true });
    fake.writes.length = 0;
    expect(await run(fake, { session: A, state: 'released' })).to.deep.include({ changed: false, acquired: false });
    expect(fake.writes).to.deep.equal([]);
  });

  it('the last one out deletes .lock with a CAS delete, as the CLI does', async () => {
    await run(fake, { session: C });
    fake.writes.length = 0;
    expect(await run(fake, { session: C, state: 'released' })).to.deep.include({ changed: true, limit: null, holders: [] });
    expect(fake.writes.at(-1)).to.match(/^delete sem\/states\/\.lock@\d+$/);
    expect([...fake.keys.keys()]).to.deep.equal([]);
  });

  it('info: limit, live holders with details, and the contenders waiting', async () => {
    full(fake);
    fake.put(`${P}/${C}`, '', C, SEMAPHORE_FLAGS);
    const result = await run(fake, { state: 'info', limit: undefined });
    expect(result).to.deep.include({ changed: false, acquired: false, limit: 2, holders: [A, B], waiting: [C] });
    expect(result.holder_details).to.have.length(2);
  });
});
