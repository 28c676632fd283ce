// The chaos workload's mutual-exclusion check must be able to fail: fed a history where two names are
// inside the shared lock's critical section at once, it says so; fed a legal history, it does not.
import { expect } from 'chai';
import { acquireStep, releaseStep, type SharedLock } from '../chaos/lock-steps';
import type { StepContext, Truth } from '../chaos/workload';

const S1 = '11111111-1111-4111-8111-111111111111';
const S2 = '22222222-2222-4222-8222-222222222222';

function ctx(name: string, session: string, lock: SharedLock): StepContext {
  return { name, own: { session }, lock } as unknown as StepContext;
}
const truth = (holder: string | null, live: string[]): Truth => ({ sessions: [], live: new Set(live), lockHolder: holder });
const acquired = (session: string) => ({ changed: true, acquired: true, holder: session });

describe('chaos lock steps: the mutual-exclusion check', () => {
  it('flags a second holder while the first is inside with a live session', () => {
    const lock: SharedLock = { key: 'k' };
    expect(acquireStep.verify(acquired(S1), truth(S1, [S1, S2]), ctx('a', S1, lock))).to.equal(undefined);
    expect(acquireStep.verify(acquired(S2), truth(S2, [S1, S2]), ctx('b', S2, lock))).to.contain('while a is inside its critical section');
  });

  it('accepts the next holder once the first started its release, or lost its session', async () => {
    const lock: SharedLock = { key: 'k' };
    acquireStep.verify(acquired(S1), truth(S1, [S1, S2]), ctx('a', S1, lock));
    await releaseStep.arrange?.(ctx('a', S1, lock));
    expect(acquireStep.verify(acquired(S2), truth(S2, [S1, S2]), ctx('b', S2, lock))).to.equal(undefined);
    // b is inside now; its session is destroyed (Consul released the lock), so a may take it.
    expect(acquireStep.verify(acquired(S1), truth(S1, [S1]), ctx('a', S1, lock))).to.equal(undefined);
  });

  it('flags an acquire whose holder Consul does not confirm, and a release that left the lock held', () => {
    const lock: SharedLock = { key: 'k' };
    expect(acquireStep.verify(acquired(S1), truth(S2, [S1, S2]), ctx('a', S1, lock))).to.contain('Consul says');
    expect(releaseStep.verify({ changed: true, acquired: false }, truth(S1, [S1]), ctx('a', S1, lock))).to.contain('still holds');
  });
});
