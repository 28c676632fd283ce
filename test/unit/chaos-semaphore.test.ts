// The chaos workload's semaphore invariant must be able to fail: fed hand-built states that break each
// promise it says so, naming the sessions; fed legal states (dead holders not yet pruned, no .lock) it does not.
import { expect } from 'chai';
import { liveHoldersOf, semaphoreViolations, type SemaphoreState, type StepFacts } from '../chaos/semaphore-invariant';

const A = '11111111-1111-4111-8111-111111111111';
const B = '22222222-2222-4222-8222-222222222222';
const C = '33333333-3333-4333-8333-333333333333';

const state = (holders: string[], live: string[], limit = 2): SemaphoreState => ({
  record: { Limit: limit, Holders: Object.fromEntries(holders.map((h) => [h, true])) },
  live: new Set(live),
});
const facts = (over: Partial<StepFacts> = {}): StepFacts => ({ acquireThatDecided: false, liveBefore: new Set([A, B, C]), released: new Map(), ...over });

describe('chaos semaphore steps: the invariant checker', () => {
  it('accepts a full semaphore, an empty one, and one without .lock', () => {
    expect(semaphoreViolations(state([A, B], [A, B, C]), 2, facts())).to.deep.equal([]);
    expect(semaphoreViolations(state([], [A]), 2, facts({ acquireThatDecided: true }))).to.deep.equal([]);
    expect(semaphoreViolations({ record: undefined, live: new Set() }, 2, facts({ acquireThatDecided: true }))).to.deep.equal([]);
  });

  it('flags more holders with live sessions than the limit, but does not count dead ones', () => {
    const [violation] = semaphoreViolations(state([A, B, C], [A, B, C]), 2, facts());
    expect(violation).to.contain('3 holders with live sessions, limit 2').and.contain(C);
    // C is dead: it no longer counts, and until an acquire decides, its entry may stay.
    expect(liveHoldersOf(state([A, B, C], [A, B]))).to.deep.equal([A, B]);
    expect(semaphoreViolations(state([A, B, C], [A, B]), 2, facts({ liveBefore: new Set([A, B]) }))).to.deep.equal([]);
  });

  it('flags a holder entry of a session that was dead before an acquire that took a slot or found it full', () => {
    const dead = facts({ acquireThatDecided: true, liveBefore: new Set([A, B]) });
    const [violation] = semaphoreViolations(state([A, C], [A, B]), 2, dead);
    expect(violation).to.contain('dead before it started').and.contain(C);
  });

  it('does not blame the acquire for a holder that died while it ran', () => {
    // C was alive when the acquire started and is gone by the read after it: the next acquire prunes it.
    expect(semaphoreViolations(state([A, C], [A]), 2, facts({ acquireThatDecided: true, liveBefore: new Set([A, C]) }))).to.deep.equal([]);
  });

  it('flags a released session that is a holder again without acquiring, and a changed limit', () => {
    const released = semaphoreViolations(state([A, B], [A, B]), 2, facts({ released: new Map([[B, 17]]) }));
    expect(released).to.have.length(1);
    expect(released[0]).to.contain(`session ${B}, released at step 17`);
    expect(semaphoreViolations(state([A], [A], 3), 2, facts())[0]).to.contain('.lock says limit 3, every contender uses 2');
  });
});
