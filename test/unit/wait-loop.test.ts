// The shared wait loop (src/shared/wait.ts) on sinon's fake timers, driven as a lock drives it: blocking
// reads until the key is free, a short growing timer through a lock-delay, renewals of a TTL session
// every half TTL, and an end at the deadline; and as a semaphore drives it: a lost CAS race (the index
// moved) is retried at once, never on the lock-delay timer.
import { expect } from 'chai';
import sinon from 'sinon';
import { ModuleFailure } from '../../src/shared/errors';
import type { BlockingRead } from '../../src/shared/kv';
import type { LockState } from '../../src/consul_lock/lock-key';
import { DELAY_POLL_MS, MAX_DELAY_POLL_MS, MIN_READ_INTERVAL_MS, waitUntil, type WaitRequests } from '../../src/shared/wait';

const OURS = 'aaaaaaaa-0000-4000-8000-000000000001';
const THEIRS = 'bbbbbbbb-0000-4000-8000-000000000002';
const held = (index: number, holder: string | null = THEIRS): LockState => ({ exists: true, holder, value: '', lockIndex: 1, flags: '0', index });

/** A fake agent: blocking reads take their `wait` (or until `changeAt`), then show `after`. */
function fakeLock(opts: { changeAt?: number; after?: LockState; acquireAnswers?: boolean[]; renewOk?: boolean }) {
  const start = Date.now();
  let state = held(10);
  const log: string[] = [];
  const current = () => (opts.changeAt !== undefined && Date.now() - start >= opts.changeAt ? (opts.after ?? held(11, null)) : state);
  const requests: WaitRequests<LockState> & { reads: BlockingRead[] } = {
    reads: [],
    done: (s) => s.holder === OURS,
    ready: (s) => s.holder === null,
    read: async (blocking) => {
      if (blocking) {
        requests.reads.push(blocking);
        const untilChange = opts.changeAt === undefined ? Infinity : Math.max(0, opts.changeAt - (Date.now() - start));
        await new Promise((resolve) => setTimeout(resolve, Math.min(blocking.waitMs, untilChange)));
      }
      log.push(`read@${Date.now() - start}`);
      return current();
    },
    attempt: () => {
      log.push(`acquire@${Date.now() - start}`);
      const answer = opts.acquireAnswers?.shift() ?? current().holder === null;
      if (answer) state = { ...current(), holder: OURS };
      return Promise.resolve(answer);
    },
    renew: () => {
      log.push(`renew@${Date.now() - start}`);
      return Promise.resolve(opts.renewOk ?? true);
    },
  };
  return { requests, log };
}

describe('shared wait loop (fake timers)', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = sinon.useFakeTimers({ now: 1_000_000 });
  });
  afterEach(() => clock.restore());

  const plan = (waitMs: number, ttlMs?: number) => ({ session: OURS, what: 'the lock k', deadline: Date.now() + waitMs, ttlMs });

  it('blocks on the key until the holder lets go, then acquires', async () => {
    const { requests, log } = fakeLock({ changeAt: 7_000 });
    const done = waitUntil(plan(60_000), held(10), requests);
    await clock.tickAsync(8_000);
    const outcome = await done;
    expect(outcome).to.include({ acquired: true, waitedMs: 7_000, renewals: 0 });
    expect(requests.reads).to.deep.equal([{ index: 10, waitMs: 60_000 }]);
    expect(log).to.deep.equal(['read@7000', 'acquire@7000']);
  });

  it('keeps trying on a short, growing timer while a lock-delay refuses the free key', async () => {
    const { requests, log } = fakeLock({ acquireAnswers: [false, false, false, false, false, true], changeAt: 0 });
    const done = waitUntil(plan(60_000), held(11, null), requests);
    await clock.tickAsync(5_000);
    const outcome = await done;
    expect(outcome.acquired).to.equal(true);
    const acquires = log.filter((l) => l.startsWith('acquire')).map((l) => Number(l.split('@')[1]));
    expect(acquires).to.deep.equal([0, DELAY_POLL_MS, 300, 700, 1_500, 1_500 + MAX_DELAY_POLL_MS]);
    expect(requests.reads, 'no blocking read while the key is free').to.deep.equal([]);
  });

  it('gives up at `wait` and reports who holds the key', async () => {
    const { requests } = fakeLock({});
    const done = waitUntil(plan(12_000), held(10), requests);
    await clock.tickAsync(13_000);
    const outcome = await done;
    expect(outcome).to.include({ acquired: false, waitedMs: 12_000 });
    expect(outcome.state.holder).to.equal(THEIRS);
    expect(requests.reads.reduce((sum, r) => sum + r.waitMs, 0)).to.equal(12_000);
  });

  it('renews its own TTL session every half TTL, waking its blocking reads for it', async () => {
    const { requests, log } = fakeLock({ changeAt: 31_000 });
    const done = waitUntil(plan(60_000, 10_000), held(10), requests);
    await clock.tickAsync(32_000);
    const outcome = await done;
    expect(outcome).to.include({ acquired: true, renewals: 6 });
    expect(log.filter((l) => l.startsWith('renew'))).to.deep.equal(['renew@5000', 'renew@10000', 'renew@15000', 'renew@20000', 'renew@25000', 'renew@30000']);
    for (const read of requests.reads) expect(read.waitMs).to.be.at.most(5_000);
  });

  it('fails when its own session is gone at a renewal', async () => {
    const { requests } = fakeLock({ renewOk: false });
    const done = waitUntil(plan(60_000, 10_000), held(10), requests).catch((error: unknown) => error);
    await clock.tickAsync(6_000);
    const error = await done;
    expect(error).to.be.instanceOf(ModuleFailure);
    expect((error as Error).message).to.contain(OURS).and.contain('expired or was destroyed');
  });

  it('does not spin when Consul answers a blocking read at once with nothing changed', async () => {
    const { requests } = fakeLock({});
    requests.read = async (blocking) => {
      if (blocking) requests.reads.push(blocking);
      return Promise.resolve(held(10));
    };
    const done = waitUntil(plan(2_000), held(10), requests);
    await clock.tickAsync(2_100);
    expect((await done).acquired).to.equal(false);
    expect(requests.reads.length).to.be.at.most(2_000 / MIN_READ_INTERVAL_MS + 1);
  });

  it('retries at once after a lost race (the index moved), without the lock-delay timer', async () => {
    // A semaphore's CAS: refused because another contender wrote first; the re-read shows a new index
    // and still a free slot, so the next attempt goes out immediately.
    let index = 20;
    const attempts: number[] = [];
    const requests: WaitRequests<{ index: number; free: boolean }> = {
      read: () => Promise.resolve({ index: (index += 1), free: true }),
      done: () => false,
      ready: (s) => s.free,
      attempt: () => {
        attempts.push(Date.now());
        return Promise.resolve(attempts.length === 3);
      },
      renew: () => Promise.resolve(true),
    };
    const outcome = await waitUntil({ session: OURS, what: 'a slot', deadline: Date.now() + 10_000 }, { index, free: true }, requests);
    expect(outcome).to.include({ acquired: true, waitedMs: 0 });
    expect(attempts).to.deep.equal([1_000_000, 1_000_000, 1_000_000]);
  });

  it('names what it waited for when its session is gone', async () => {
    const { requests } = fakeLock({ renewOk: false });
    const done = waitUntil({ session: OURS, what: 'a slot of semaphore s', deadline: Date.now() + 60_000, ttlMs: 2_000 }, held(10), requests).catch((e: unknown) => e);
    await clock.tickAsync(1_100);
    expect((await done as Error).message).to.contain('while waiting for a slot of semaphore s');
  });
});
