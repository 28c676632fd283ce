// The keeper loop (consul_session keep_alive) on sinon's fake timers: a renewal every half TTL as Consul
// answers it, blocking reads between them, and each way it ends.
import { expect } from 'chai';
import sinon from 'sinon';
import { ConsulError } from '../../src/shared/errors';
import { keepAlive, type KeeperRequests, type StopSwitch } from '../../src/consul_session/keeper';

const refused = () => new ConsulError('renew session x', 'connection refused', { request: { method: 'PUT', path: '/v1/session/renew/x' }, code: 'ECONNREFUSED', transport: 'refused' });

/** A fake session: watches last their wait unless it is destroyed at `goneAt`; renewals answer `ttlMs`. */
function fakeSession(opts: { goneAt?: number; ttlMs?: number; renew?: (budgetMs: number) => Promise<{ ttlMs?: number } | null>; watchFails?: boolean }) {
  const start = Date.now();
  const log: string[] = [];
  const budgets: number[] = [];
  let watches = 0;
  const requests: KeeperRequests = {
    renew: (budgetMs) => {
      log.push(`renew@${Date.now() - start}`);
      budgets.push(budgetMs);
      if (opts.renew) return opts.renew(budgetMs);
      return Promise.resolve(opts.goneAt !== undefined && Date.now() - start >= opts.goneAt ? null : { ttlMs: opts.ttlMs ?? 10_000 });
    },
    watch: async (waitMs) => {
      watches += 1;
      if (opts.watchFails) throw refused();
      const untilGone = opts.goneAt === undefined ? Infinity : Math.max(0, opts.goneAt - (Date.now() - start));
      await new Promise((resolve) => setTimeout(resolve, Math.min(waitMs, untilGone)));
      return !(opts.goneAt !== undefined && Date.now() - start >= opts.goneAt);
    },
  };
  return { requests, log, budgets, watches: () => watches };
}

function stopSwitch(): StopSwitch & { fire(signal: string): void } {
  let resolve: () => void = () => undefined;
  const stop = { stopped: new Promise<void>((done) => (resolve = done)), signal: undefined as string | undefined, fire: (signal: string) => {
    stop.signal = signal;
    resolve();
  } };
  return stop;
}

describe('consul_session keeper loop (fake timers)', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = sinon.useFakeTimers({ now: 1_000_000 });
  });
  afterEach(() => clock.restore());

  it('renews every half TTL until keep_alive is over', async () => {
    const { requests, log } = fakeSession({});
    const done = keepAlive({ keepAliveMs: 20_000, ttlMs: 10_000 }, requests, stopSwitch());
    await clock.tickAsync(21_000);
    expect(await done).to.deep.equal({ ended: 'keep_alive_over', renewals: 3, ttlMs: 10_000, keptMs: 20_000 });
    expect(log).to.deep.equal(['renew@5000', 'renew@10000', 'renew@15000']);
  });

  it('follows the TTL Consul answers (longer than asked)', async () => {
    const { requests, log } = fakeSession({ ttlMs: 30_000 });
    const done = keepAlive({ keepAliveMs: 50_000, ttlMs: 10_000 }, requests, stopSwitch());
    await clock.tickAsync(51_000);
    expect(await done).to.include({ ended: 'keep_alive_over', renewals: 3, ttlMs: 30_000 });
    expect(log).to.deep.equal(['renew@5000', 'renew@20000', 'renew@35000']);
  });

  it('ends as soon as a blocking read shows the session gone, not at the next renewal', async () => {
    const { requests, log } = fakeSession({ goneAt: 7_300 });
    const done = keepAlive({ keepAliveMs: 600_000, ttlMs: 10_000 }, requests, stopSwitch());
    await clock.tickAsync(7_300);
    expect(await done).to.deep.equal({ ended: 'session_gone', renewals: 1, ttlMs: 10_000, keptMs: 7_300 });
    expect(log).to.deep.equal(['renew@5000']);
  });

  it('ends when a renewal finds the session gone (a watch that could not tell)', async () => {
    const { requests } = fakeSession({ renew: () => Promise.resolve(null), watchFails: true });
    const done = keepAlive({ keepAliveMs: 600_000, ttlMs: 10_000 }, requests, stopSwitch());
    await clock.tickAsync(5_000);
    expect(await done).to.include({ ended: 'session_gone', renewals: 0, keptMs: 5_000 });
  });

  it('a failed watch (Consul away) sleeps until the renewal is due instead of spinning', async () => {
    const session = fakeSession({ watchFails: true });
    const done = keepAlive({ keepAliveMs: 12_000, ttlMs: 10_000 }, session.requests, stopSwitch());
    await clock.tickAsync(13_000);
    expect(await done).to.include({ ended: 'keep_alive_over', renewals: 2 });
    // One watch per wait: before 5 s, before 10 s, before 12 s.
    expect(session.watches()).to.equal(3);
  });

  it('retries a failing renewal until a TTL has passed since the last one, then ends saying how long', async () => {
    let calls = 0;
    const session = fakeSession({
      renew: async (budgetMs) => {
        calls += 1;
        if (calls === 1) return { ttlMs: 10_000 };
        // The renewal's own retries (retry.ts) use up the budget, then give up.
        await new Promise((resolve) => setTimeout(resolve, budgetMs));
        throw refused();
      },
    });
    const done = keepAlive({ keepAliveMs: 600_000, ttlMs: 10_000 }, session.requests, stopSwitch());
    await clock.tickAsync(20_000);
    const outcome = await done;
    expect(outcome).to.include({ ended: 'consul_unreachable', renewals: 1, outageMs: 10_000, keptMs: 15_000 });
    expect(outcome.lastError).to.contain('connection refused');
    // Due at 5 s with 10 s of TTL left; due at 10 s with a TTL since the renewal at 5 s.
    expect(session.budgets).to.deep.equal([5_000, 5_000]);
  });

  it('a permanent error (403) is not an outage: it fails the keeper', async () => {
    const denied = new ConsulError('renew session x', 'permission denied', { request: { method: 'PUT', path: '/v1/session/renew/x' }, status: 403, body: 'Permission denied' });
    const { requests } = fakeSession({ renew: () => Promise.reject(denied) });
    const done = keepAlive({ keepAliveMs: 600_000, ttlMs: 10_000 }, requests, stopSwitch());
    const failed = done.then(() => undefined, (error: unknown) => error);
    await clock.tickAsync(5_000);
    expect(await failed).to.equal(denied);
  });

  it('a signal ends it at once, in the middle of a wait', async () => {
    const { requests } = fakeSession({});
    const stop = stopSwitch();
    const done = keepAlive({ keepAliveMs: 600_000, ttlMs: 60_000 }, requests, stop);
    await clock.tickAsync(12_000);
    stop.fire('SIGTERM');
    await clock.tickAsync(0);
    expect(await done).to.deep.equal({ ended: 'signal', renewals: 0, ttlMs: 60_000, keptMs: 12_000 });
    expect(clock.countTimers(), 'no timer left to hold the process up').to.be.at.most(1);
  });
});
