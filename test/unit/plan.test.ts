import { expect } from 'chai';
import fc from 'fast-check';
import type { SessionSpec } from '../../src/consul_session/params';
import { matchesSpec, planPresent, resolveNamed } from '../../src/consul_session/plan';
import type { ConsulSession } from '../../src/shared/sessions';

const spec: SessionSpec = { name: 'lock', behavior: 'release', lockDelayNs: 15e9 };

let nextIndex = 10;
function session(overrides: Partial<ConsulSession> = {}): ConsulSession {
  nextIndex += 1;
  return {
    ID: `00000000-0000-0000-0000-${String(nextIndex).padStart(12, '0')}`,
    Name: 'lock',
    Node: 'n1',
    LockDelay: 15e9,
    Behavior: 'release',
    TTL: '',
    NodeChecks: ['serfHealth'],
    ServiceChecks: null,
    CreateIndex: nextIndex,
    ModifyIndex: nextIndex,
    ...overrides,
  };
}

describe('plan: does an existing session match?', () => {
  it('matches Consul defaults when nothing special is asked', () => {
    expect(matchesSpec(session(), spec)).to.equal(true);
  });

  it('compares TTLs by duration, not by spelling', () => {
    expect(matchesSpec(session({ TTL: '1m0s' }), { ...spec, ttlNs: 60e9 })).to.equal(true);
    expect(matchesSpec(session({ TTL: '60s' }), { ...spec, ttlNs: 30e9 })).to.equal(false);
    expect(matchesSpec(session({ TTL: '' }), { ...spec, ttlNs: 30e9 })).to.equal(false);
  });

  it('sees drift in behavior, lock delay and checks', () => {
    expect(matchesSpec(session({ Behavior: 'delete' }), spec)).to.equal(false);
    expect(matchesSpec(session({ LockDelay: 20e9 }), spec)).to.equal(false);
    expect(matchesSpec(session(), { ...spec, checks: ['service:web'] })).to.equal(false);
  });

  it('treats checks as a set, wherever Consul filed them', () => {
    const s = session({ NodeChecks: ['b', 'a'] });
    expect(matchesSpec(s, { ...spec, checks: ['a', 'b'] })).to.equal(true);
    expect(matchesSpec(s, { ...spec, nodeChecks: ['a'], checks: ['b'] })).to.equal(true);
  });

  it('compares service checks with their namespace', () => {
    const s = session({ NodeChecks: [], ServiceChecks: [{ ID: 'web', Namespace: '' }] });
    expect(matchesSpec(s, { ...spec, nodeChecks: [], serviceChecks: [{ id: 'web', namespace: '' }] })).to.equal(true);
    expect(matchesSpec(s, { ...spec, nodeChecks: [], serviceChecks: [{ id: 'db', namespace: '' }] })).to.equal(false);
  });

  it('expects serfHealth when only service checks are given, as Consul adds it then', () => {
    const s = session({ ServiceChecks: [{ ID: 'web', Namespace: '' }] });
    expect(matchesSpec(s, { ...spec, serviceChecks: [{ id: 'web', namespace: '' }] })).to.equal(true);
  });
});

describe('plan: present', () => {
  it('creates when nothing of that name exists', () => {
    expect(planPresent([], spec)).to.deep.equal({ action: 'create', replace: [] });
  });

  it('keeps a matching session and changes nothing', () => {
    const s = session();
    expect(planPresent([s], spec)).to.deep.equal({ action: 'keep', keep: s, destroy: [] });
  });

  it('replaces drifted sessions: create first, then destroy them', () => {
    const old = session({ LockDelay: 1e9 });
    expect(planPresent([old], spec)).to.deep.equal({ action: 'create', replace: [old] });
  });

  it('keeps the oldest of several matching sessions and destroys the duplicates, oldest first', () => {
    const [a, b, c] = [session(), session(), session()];
    expect(planPresent([c, a, b], spec)).to.deep.equal({ action: 'keep', keep: a, destroy: [b, c] });
  });

  it('finishes a replace cut short: keeps the new matching session and destroys the old one (issue 9, bug 2)', () => {
    const old = session({ LockDelay: 5e9 });
    const replacement = session({ LockDelay: 7e9 });
    expect(planPresent([replacement, old], { ...spec, lockDelayNs: 7e9 })).to.deep.equal({ action: 'keep', keep: replacement, destroy: [old] });
  });

  it('creates when a newer session has other settings, even though an older one matches: the newest request wins', () => {
    const matching = session();
    const newer = session({ Behavior: 'delete' });
    expect(planPresent([matching, newer], spec)).to.deep.equal({ action: 'create', replace: [matching, newer] });
  });
});

describe('plan: which session of a name stays (resolveNamed)', () => {
  const other: SessionSpec = { ...spec, behavior: 'delete' };

  it('keeps the oldest of the newest sessions that share settings; the rest go, oldest first', () => {
    const a = session();
    const b = session({ Behavior: 'delete' });
    const c = session();
    const d = session();
    expect(resolveNamed([d, b, c, a], spec)).to.deep.equal({ keep: c, destroy: [a, b, d], keepMatches: true });
  });

  it('two runs asking for different settings agree: the later create wins, the earlier run sees it lost', () => {
    const first = session(); // created by a run asking for `spec`
    const second = session({ Behavior: 'delete' }); // created after it by a run asking for `other`
    const seenByFirst = resolveNamed([first, second], spec);
    const seenBySecond = resolveNamed([first, second], other);
    expect(seenByFirst).to.deep.equal({ keep: second, destroy: [first], keepMatches: false });
    expect(seenBySecond).to.deep.equal({ keep: second, destroy: [first], keepMatches: true });
  });

  it('a run that looked before the other create keeps its own; the later run then replaces it', () => {
    const first = session();
    expect(resolveNamed([first], spec)).to.deep.equal({ keep: first, destroy: [], keepMatches: true });
    const second = session({ Behavior: 'delete' });
    expect(resolveNamed([first, second], other).keep).to.equal(second);
  });

  it('ten racing runs with the same settings all keep the first create', () => {
    const created = Array.from({ length: 10 }, () => session());
    for (let seen = 1; seen <= created.length; seen++) {
      expect(resolveNamed(created.slice(0, seen).reverse(), spec).keep).to.equal(created[0]);
    }
  });

  it('has nothing to keep when nothing exists', () => {
    expect(resolveNamed([], spec)).to.deep.equal({ destroy: [], keepMatches: false });
  });

  // Runs read at different moments, while other runs are destroying. Whatever part of its destroy order
  // has been carried out, a reader must pick the same session: else two runs could destroy each
  // other's picks. This holds because the order is oldest first (newest first would break it).
  const settingsOf = [{}, { Behavior: 'delete' as const }, { LockDelay: 0 }, { TTL: '30s' }];
  const histories = fc.array(fc.integer({ min: 0, max: settingsOf.length - 1 }), { minLength: 1, maxLength: 12 });

  it('every run picks the same session whatever it asked for, and never destroys it (property)', () => {
    fc.assert(
      fc.property(histories, (kinds) => {
        const named = kinds.map((k) => session(settingsOf[k]));
        const picks = [spec, other].map((asked) => resolveNamed(named, asked));
        expect(picks[0]?.keep).to.equal(picks[1]?.keep);
        expect(picks[0]?.destroy).not.to.include(picks[0]?.keep);
        expect((picks[0]?.destroy.length ?? 0) + 1).to.equal(named.length);
      }),
    );
  });

  it('a reader sees the same pick at every step of the destroy order (property)', () => {
    fc.assert(
      fc.property(histories, (kinds) => {
        const named = kinds.map((k) => session(settingsOf[k]));
        const { keep, destroy } = resolveNamed(named, spec);
        for (let done = 0; done <= destroy.length; done++) {
          const left = named.filter((s) => !destroy.slice(0, done).includes(s));
          expect(resolveNamed(left, spec).keep).to.equal(keep);
        }
      }),
    );
  });
});
