// The bench's handoff options: defaults (5 rounds, 5 waiters, 200 ms held), values taken, nonsense refused.
import { expect } from 'chai';
import { parseOptions } from '../../bench/options';

describe('bench options: the handoff part', () => {
  it('defaults to 5 rounds of 1 holder + 5 waiters holding 200 ms, as part of the whole bench', () => {
    const opts = parseOptions([], {});
    expect(opts).to.include({ handoffRounds: 5, handoffWaiters: 5, handoffHoldMs: 200, handoffOnly: false });
  });

  it('takes --handoff-rounds, --handoff-waiters, --handoff-hold-ms and --handoff-only', () => {
    const opts = parseOptions(['--handoff-rounds', '3', '--handoff-waiters', '2', '--handoff-hold-ms', '0', '--handoff-only'], {});
    expect(opts).to.include({ handoffRounds: 3, handoffWaiters: 2, handoffHoldMs: 0, handoffOnly: true });
  });

  it('refuses no waiter, a missing number, and --quick with --handoff-only', () => {
    expect(() => parseOptions(['--handoff-waiters', '0'], {})).to.throw('--handoff-waiters needs an integer ≥ 1, got 0');
    expect(() => parseOptions(['--handoff-rounds'], {})).to.throw('--handoff-rounds needs an integer ≥ 1');
    expect(() => parseOptions(['--quick', '--handoff-only'], {})).to.throw('--quick skips the handoff part');
  });
});
