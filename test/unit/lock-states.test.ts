// consul_lock's states against an in-memory KV that answers as a 1.8.7 agent does (an acquire or release
// writes the flags and value it carries; another holder or a lock-delay gets false), with the APIs and
// the clock injected: the lock protocol's flags, foreign keys, fail_if_not_acquired, kept values.
import { expect } from 'chai';
import sinon from 'sinon';
import { parseArgs } from '../../src/shared/args';
import { ConsulError, ModuleFailure } from '../../src/shared/errors';
import type { BlockingRead, KvEntry } from '../../src/shared/kv';
import { LOCK_FLAGS, SEMAPHORE_FLAGS } from '../../src/shared/lock-protocol';
import { RetryBudget, realClock } from '../../src/shared/retry';
import type { ConsulSession } from '../../src/shared/sessions';
import { toSettings } from '../../src/consul_lock/params';
import { runState } from '../../src/consul_lock/states';

const OURS = 'aaaaaaaa-0000-4000-8000-000000000001';
const THEIRS = 'bbbbbbbb-0000-4000-8000-000000000002';
const session = (ID: string, Name: string): ConsulSession =>
  ({ ID, Name, Node: 'n1', LockDelay: 15e9, Behavior: 'release', TTL: '', CreateIndex: 1, ModifyIndex: 1 });

/** One key as Consul would keep it, plus a log of every write the module sent. */
function fakeConsul(initial?: Partial<KvEntry>, opts: { lockDelay?: boolean; ownSessionGone?: boolean } = {}) {
  let index = 10;
  let entry: KvEntry | undefined = initial && { key: 'k', value: '', session: null, flags: '0', lockIndex: 0, createIndex: 5, modifyIndex: 5, ...initial };
  const writes: string[] = [];
  const kv = {
    read: (_key: string, blocking?: BlockingRead) =>
      blocking ? new Promise<never>(() => undefined) : Promise.resolve({ entry: entry && { ...entry }, index }),
    acquire: (key: string, id: string, value: string, write: { flags?: string } = {}) => {
      writes.push(`acquire ${id === OURS ? 'ours' : id} flags=${write.flags} value=${JSON.stringify(value)}`);
      if (opts.ownSessionGone) return Promise.reject(new ConsulError('acquire the lock k', `invalid session "${id}"`, { request: { method: 'PUT', path: '/v1/kv/k' }, status: 500, body: `invalid session "${id}"` }));
      if ((entry?.session && entry.session !== id) || opts.lockDelay) return Promise.resolve(false);
      const lockIndex = (entry?.lockIndex ?? 0) + (entry?.session === id ? 0 : 1);
      entry = { key, value, session: id, flags: write.flags ?? '0', lockIndex, createIndex: entry?.createIndex ?? index, modifyIndex: (index += 1) };
      return Promise.resolve(true);
    },
    release: (_key: string, id: string, value: string, write: { flags?: string } = {}) => {
      writes.push(`release ${id === OURS ? 'ours' : id} flags=${write.flags} value=${JSON.stringify(value)}`);
      if (!entry || entry.session !== id) return Promise.resolve(false);
      entry = { ...entry, session: null, value, flags: write.flags ?? '0', modifyIndex: (index += 1) };
      return Promise.resolve(true);
    },
  };
  const sessions = {
    info: (id: string) => Promise.resolve(id === THEIRS ? session(THEIRS, 'deploy.sh') : id === OURS ? session(OURS, 'play') : undefined),
    renew: () => Promise.resolve(session(OURS, 'play')),
  };
  return { apis: { kv, sessions, retry: new RetryBudget(0), clock: realClock }, writes, stored: () => entry };
}

const run = (fake: ReturnType<typeof fakeConsul>, params: Record<string, unknown>) =>
  runState(toSettings(parseArgs(JSON.stringify({ key: 'k', ...params })), {}), fake.apis);
const failureOf = (promise: Promise<unknown>) => promise.then(() => expect.fail('expected a failure'), (error: unknown) => error as ModuleFailure);

describe('consul_lock states (injected APIs)', () => {
  it("takes a free key with the lock protocol's flags, and reports them exactly", async () => {
    const fake = fakeConsul();
    const result = await run(fake, { session: OURS, value: 'v' });
    expect(result).to.include({ changed: true, acquired: true, holder: OURS, value: 'v', flags: LOCK_FLAGS, waited: 0 });
    expect(fake.writes).to.deep.equal([`acquire ours flags=${LOCK_FLAGS} value="v"`]);
  });

  it('without value keeps what the key holds; a second run changes nothing', async () => {
    const fake = fakeConsul({ value: 'set by consul kv put', flags: LOCK_FLAGS });
    expect(await run(fake, { session: OURS })).to.include({ changed: true, value: 'set by consul kv put' });
    expect(await run(fake, { session: OURS })).to.include({ changed: false, acquired: true });
    expect(fake.writes).to.deep.equal([`acquire ours flags=${LOCK_FLAGS} value="set by consul kv put"`]);
  });

  it('adopts a flags-0 key, even one it already holds (an older release took it), giving it the lock flags', async () => {
    const fake = fakeConsul({ session: OURS, value: 'old', lockIndex: 1 });
    expect(await run(fake, { session: OURS, value: 'old' })).to.include({ changed: true, flags: LOCK_FLAGS, lock_index: 1 });
    expect(fake.stored()?.flags).to.equal(LOCK_FLAGS);
  });

  it("refuses a semaphore's key, naming it, and never writes it (acquired, released, check mode)", async () => {
    for (const params of [{ session: OURS }, { session: OURS, state: 'released' }, { session: OURS, _ansible_check_mode: true }]) {
      const fake = fakeConsul({ session: OURS, flags: SEMAPHORE_FLAGS, value: '{"Limit":2,"Holders":{}}' });
      const error = await failureOf(run(fake, params));
      expect(error.message).to.contain("is a semaphore's key (flags 16210313421097356768").and.contain('neither takes nor rewrites it');
      expect(error.details).to.include({ flags: SEMAPHORE_FLAGS });
      expect(fake.writes).to.deep.equal([]);
    }
  });

  it('refuses any other non-zero flags as another tool\'s key; info reads it with a warning', async () => {
    const fake = fakeConsul({ flags: '42' });
    expect((await failureOf(run(fake, { session: OURS }))).message).to.contain('a key with flags 42, which belongs to another tool');
    const info = await run(fake, { state: 'info' });
    expect(info).to.include({ changed: false, flags: '42' });
    expect(String(info.warnings)).to.contain('not a lock');
    expect(fake.writes).to.deep.equal([]);
  });

  it('fail_if_not_acquired false: held with wait 0 succeeds with acquired false and who holds it', async () => {
    const fake = fakeConsul({ session: THEIRS, flags: LOCK_FLAGS, lockIndex: 3 });
    const result = await run(fake, { session: OURS, fail_if_not_acquired: false });
    expect(result).to.include({ changed: false, acquired: false, holder: THEIRS, holder_name: 'deploy.sh', holder_node: 'n1', waited: 0 });
    expect(String(result.msg)).to.contain('wait is 0');
    expect(result).to.not.have.property('failed');
    const failed = await failureOf(run(fake, { session: OURS }));
    expect(failed.details).to.include({ holder: THEIRS, holder_name: 'deploy.sh' });
  });

  it('fail_if_not_acquired false: a free key refused by a lock-delay is not obtained either, holder null', async () => {
    const result = await run(fakeConsul({ flags: LOCK_FLAGS }, { lockDelay: true }), { session: OURS, fail_if_not_acquired: false });
    expect(result).to.include({ changed: false, acquired: false, holder: null });
  });

  it('fail_if_not_acquired false still fails on a real error: its own session gone', async () => {
    const error = await failureOf(run(fakeConsul(undefined, { ownSessionGone: true }), { session: OURS, fail_if_not_acquired: false }));
    expect(error.message).to.contain(`Session ${OURS} does not exist`);
  });

  it('fail_if_not_acquired false after the wait ran out: waited is measured on the injected clock', async () => {
    const clock = sinon.useFakeTimers({ now: 5_000_000 });
    try {
      const fake = fakeConsul({ session: THEIRS, flags: LOCK_FLAGS });
      fake.apis.kv.read = (_key, blocking) =>
        new Promise((resolve) => setTimeout(() => resolve({ entry: fake.stored(), index: 10 }), blocking?.waitMs ?? 0));
      const done = run(fake, { session: OURS, wait: '30s', fail_if_not_acquired: false });
      await clock.tickAsync(31_000);
      expect(await done).to.include({ changed: false, acquired: false, holder: THEIRS, waited: 30 });
    } finally {
      clock.restore();
    }
  });

  it('released hands the key back with the lock flags and its value', async () => {
    const fake = fakeConsul({ session: OURS, value: 'mine', lockIndex: 1 });
    expect(await run(fake, { session: OURS, state: 'released' })).to.include({ changed: true, holder: null, flags: LOCK_FLAGS, value: 'mine' });
    expect(fake.writes).to.deep.equal([`release ours flags=${LOCK_FLAGS} value="mine"`]);
  });
});
